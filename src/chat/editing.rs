//! Correcting and removing messages: an author edits and deletes their own messages, a
//! room's creator deletes any message in it, a moderator any comment in a thread. Each change is numbered in the room's sequence
//! like a new message, so it reaches open streams live and is replayed to those that
//! resume from before it (`events.rs`).

use super::domain::{Message, MessageBody, RoomSlug};
use super::events::{deleted_event, edited_event};
use super::service::ChatService;
use super::store::DeleteAs;
use crate::accounts::domain::Account;
use crate::error::AppError;
use crate::inbox::service::withdrawn_event;

impl ChatService {
    /// Replaces the text of message `id` in room `slug`, by its author.
    ///
    /// # Errors
    /// `Invalid` for a malformed slug or body; `RoomNotFound` if `editor` may not see the
    /// room; `MessageNotFound` if it has no such message (or it was deleted); `Forbidden`
    /// if `editor` did not write it; `RateLimited` as for posting.
    pub async fn edit_message(
        &self,
        editor: &Account,
        slug: &str,
        id: i64,
        body: &str,
    ) -> Result<Message, AppError> {
        let slug = RoomSlug::parse(slug)?;
        let body = MessageBody::parse(body)?;
        self.may_change(editor, &slug).await?;
        let editor = editor.clone();
        self.write_in_order(move |chat| async move {
            let edit = chat.store.edit_message(&slug, id, &editor, &body);
            let edited = chat
                .change_room(&slug, edit, |edited| {
                    vec![edited_event(&edited.made).following(edited.after)]
                })
                .await?;
            Ok(edited.made.message)
        })
        .await
    }

    /// Deletes message `id` in room `slug`, by its author or the room's creator (in a
    /// thread, also by a moderator): its text is erased everywhere (the notifications it
    /// made are taken back), and a marker stays in its place.
    ///
    /// # Errors
    /// As for [`Self::edit_message`]; `Forbidden` if `by` may not delete it.
    pub async fn delete_message(&self, by: &Account, slug: &str, id: i64) -> Result<(), AppError> {
        let slug = RoomSlug::parse(slug)?;
        let room = self.may_change(by, &slug).await?;
        let on = match self.moderates(by, &room) {
            true => DeleteAs::Moderator,
            false => DeleteAs::Member,
        };
        let by = by.clone();
        self.write_in_order(move |chat| async move {
            let delete = chat.store.delete_message(&slug, id, &by, on);
            chat.change_room(&slug, delete, |deleted| {
                let (change, withdrawn) = &deleted.made;
                let taken_back = withdrawn.iter().map(|name| withdrawn_event(name, id));
                std::iter::once(deleted_event(change).following(deleted.after))
                    .chain(taken_back)
                    .collect()
            })
            .await?;
            Ok(())
        })
        .await
    }
}
