//! The changes to a room's messages — posting, editing, deleting — each numbered from the
//! one sequence message ids come from, after the room's write lock is taken. SQLite's
//! sequence is the messages table's AUTOINCREMENT counter, in `sqlite_sequence`;
//! PostgreSQL's is `message_changes`. These two lines are all that differs.

use super::{SqlChatStore, message_columns, room_columns};
use crate::accounts::domain::Account;
use crate::chat::domain::{Message, MessageBody, RoomSlug};
use crate::chat::store::rows::{LATEST_CHANGE, MessageRow, PostedRow, RoomRow};
use crate::chat::store::{Change, Changed, DeleteAs, Posted, StoreError};
use crate::inbox::store::{Mention, notify, reword, withdraw};
use crate::sql::{Text, Tx, query};
use crate::time::Timestamp;

/// The sequence's next number as a one-row table `(n)`, for an `INSERT` to take.
macro_rules! next_number {
    (sqlite) => {
        "(SELECT seq + 1 AS n FROM sqlite_sequence WHERE name = 'messages')"
    };
    (postgres) => {
        "(SELECT nextval('message_changes') AS n)"
    };
}

/// A new message, whose id is the sequence's next number, and so is its first change.
macro_rules! insert_message {
    ($dialect:ident) => {
        concat!(
            "INSERT INTO messages (id, seq, room_id, author, author_id, body, created_at)
             SELECT next.n, next.n, (SELECT id FROM rooms WHERE slug = $1), $2, $3, $4, $5
             FROM ",
            next_number!($dialect),
            " AS next RETURNING ",
            message_columns!(),
            ", (SELECT COALESCE(MAX(m.seq), 0) FROM messages m
                WHERE m.room_id = messages.room_id AND m.seq < messages.seq) AS after"
        )
    };
}

const INSERT_MESSAGE: Text = Text::Each {
    sqlite: insert_message!(sqlite),
    postgres: insert_message!(postgres),
};

/// Takes the sequence's next number for a change to room `$1`, once its write lock is
/// held: SQLite's transaction holds it already; PostgreSQL locks the room's row first (the
/// subquery's lock is taken before the outer `nextval` runs). No room, no number.
const NEXT_CHANGE: Text = Text::Each {
    sqlite: "UPDATE sqlite_sequence SET seq = seq + 1 WHERE name = 'messages' RETURNING seq",
    postgres: "SELECT nextval('message_changes')
               FROM (SELECT 1 FROM rooms WHERE slug = $1 FOR NO KEY UPDATE) AS locked",
};

/// Replaces a standing message's text, if `$4` wrote it; `$5` is the change's number.
const EDIT: &str = concat!(
    "UPDATE messages SET body = $2, edited_at = $3, seq = $5
     WHERE id = $6 AND deleted_at IS NULL AND author_id = $4
       AND room_id = (SELECT id FROM rooms WHERE slug = $1)
     RETURNING ",
    message_columns!()
);

/// Erases a standing message's text, if `$3` wrote it or created its room or `$6` (a
/// moderator's deletion); `$4` is the change's number.
const DELETE: &str = concat!(
    "UPDATE messages SET body = '', deleted_at = $2, seq = $4
     WHERE id = $5 AND deleted_at IS NULL
       AND room_id = (SELECT id FROM rooms WHERE slug = $1)
       AND (author_id = $3 OR (SELECT creator_id FROM rooms WHERE slug = $1) = $3 OR $6)
     RETURNING ",
    message_columns!()
);

impl SqlChatStore {
    /// See [`ChatStore::insert_message`](crate::chat::store::ChatStore::insert_message).
    pub(super) async fn insert(
        &self,
        slug: &RoomSlug,
        author: &Account,
        body: &MessageBody,
        mentioned: &[String],
    ) -> Result<Posted, StoreError> {
        let now = Timestamp::now().millis();
        let mut tx = self.sql.begin().await?;
        // On PostgreSQL this locks the room's row until commit: the number is taken after.
        let room: Option<RoomRow> = query(concat!(
            "UPDATE rooms SET message_count = message_count + 1, last_activity = $2
             WHERE slug = $1 RETURNING ",
            room_columns!()
        ))
        .bind(slug.as_str())
        .bind(now)
        .optional(&mut tx)
        .await?;
        let Some(room) = room else {
            return Err(StoreError::RoomNotFound(slug.as_str().to_owned()));
        };
        let posted: PostedRow = query(INSERT_MESSAGE)
            .bind(slug.as_str())
            .bind(&author.username)
            .bind(author.id)
            .bind(body.as_str())
            .bind(now)
            .one(&mut tx)
            .await?;
        let message = Message::from(posted.message);
        let mention = Mention {
            room: slug.as_str(),
            message_id: message.id,
            from: &author.username,
            body: body.as_str(),
            at: message.created_at,
        };
        let notified = match mentioned {
            [] => Vec::new(),
            names => notify(&mut tx, &mention, names).await?,
        };
        tx.commit().await?;
        Ok(Posted {
            message,
            room: room.into(),
            after: posted.after,
            notified,
        })
    }

    /// See [`ChatStore::edit_message`](crate::chat::store::ChatStore::edit_message).
    pub(super) async fn edit(
        &self,
        slug: &RoomSlug,
        id: i64,
        editor: &Account,
        body: &MessageBody,
    ) -> Result<Changed<Change>, StoreError> {
        let mut tx = self.sql.begin().await?;
        let (seq, after) = self.begin_change(&mut tx, slug, id).await?;
        let edited: Option<MessageRow> = query(EDIT)
            .bind(slug.as_str())
            .bind(body.as_str())
            .bind(Timestamp::now().millis())
            .bind(editor.id)
            .bind(seq)
            .bind(id)
            .optional(&mut tx)
            .await?;
        let Some(edited) = edited else {
            drop(tx);
            return Err(self
                .why_not(slug, id, "only its author may edit a message")
                .await);
        };
        reword(&mut tx, id, body.as_str()).await?;
        tx.commit().await?;
        Ok(Changed {
            made: edited.into(),
            after,
        })
    }

    /// See [`ChatStore::delete_message`](crate::chat::store::ChatStore::delete_message).
    pub(super) async fn delete(
        &self,
        slug: &RoomSlug,
        id: i64,
        by: &Account,
        on: DeleteAs,
    ) -> Result<Changed<(Change, Vec<String>)>, StoreError> {
        let mut tx = self.sql.begin().await?;
        let (seq, after) = self.begin_change(&mut tx, slug, id).await?;
        let deleted: Option<MessageRow> = query(DELETE)
            .bind(slug.as_str())
            .bind(Timestamp::now().millis())
            .bind(by.id)
            .bind(seq)
            .bind(id)
            .bind(on == DeleteAs::Moderator)
            .optional(&mut tx)
            .await?;
        let Some(deleted) = deleted else {
            drop(tx);
            let refusal = "only its author or the room's creator may delete a message";
            return Err(self.why_not(slug, id, refusal).await);
        };
        let withdrawn = withdraw(&mut tx, id).await?;
        tx.commit().await?;
        self.sql.erase_old_pages().await;
        Ok(Changed {
            made: (deleted.into(), withdrawn),
            after,
        })
    }

    /// Takes the number of a change to message `id` of room `slug`, and answers it with the
    /// number of the room's latest change before it.
    ///
    /// # Errors
    /// [`StoreError::MessageNotFound`] if there is no such room (PostgreSQL finds out here).
    async fn begin_change(
        &self,
        tx: &mut Tx,
        slug: &RoomSlug,
        id: i64,
    ) -> Result<(i64, i64), StoreError> {
        let number: Option<(i64,)> = query(NEXT_CHANGE)
            .bind(slug.as_str())
            .optional(&mut *tx)
            .await?;
        let Some((seq,)) = number else {
            return Err(StoreError::MessageNotFound(id));
        };
        let (after,): (i64,) = query(LATEST_CHANGE)
            .bind(slug.as_str())
            .one(&mut *tx)
            .await?;
        Ok((seq, after))
    }

    /// Why a change to message `id` matched nothing: it is not there, or it is and the
    /// caller may not change it (`refusal`).
    async fn why_not(&self, slug: &RoomSlug, id: i64, refusal: &'static str) -> StoreError {
        let standing: Result<Option<(i64,)>, _> = query(
            "SELECT id FROM messages WHERE id = $2 AND deleted_at IS NULL
               AND room_id = (SELECT id FROM rooms WHERE slug = $1)",
        )
        .bind(slug.as_str())
        .bind(id)
        .optional(&self.sql)
        .await;
        match standing {
            Ok(Some(_)) => StoreError::NotAllowed(refusal),
            Ok(None) => StoreError::MessageNotFound(id),
            Err(error) => error.into(),
        }
    }
}
