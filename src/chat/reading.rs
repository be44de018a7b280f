//! How far each signed-in reader has read each room: unread counts for the room list, the
//! place a room's "new" divider marks, and reading to the bottom. Each move forward is told
//! to the reader's own topic (`read`, with the room; no cursor: nothing is kept), so their other tabs and devices follow.

use live_loader::LiveEvent;
use serde_json::json;

use super::domain::RoomSlug;
use super::service::ChatService;
use crate::accounts::domain::Account;
use crate::error::AppError;
use crate::inbox::service::personal_event;

impl ChatService {
    /// Where `reader` had read room `slug` up to (the "new" divider goes after it), and
    /// records that they have now read all of it: they opened it at its newest message.
    ///
    /// # Errors
    /// `Invalid` for a malformed slug, `RoomNotFound` as for [`Self::room`].
    pub async fn open_room(&self, reader: &Account, slug: &str) -> Result<i64, AppError> {
        let before = self.last_read(reader, slug).await?;
        self.mark_read(reader, &RoomSlug::parse(slug)?, i64::MAX)
            .await?;
        Ok(before)
    }

    /// Where `reader` has read room `slug` up to, recording nothing.
    ///
    /// # Errors
    /// `Invalid` for a malformed slug, `RoomNotFound` as for [`Self::room`].
    pub async fn last_read(&self, reader: &Account, slug: &str) -> Result<i64, AppError> {
        let slug = RoomSlug::parse(slug)?;
        self.visible_room(Some(&reader.username), &slug).await?;
        Ok(self.store.last_read(&slug, &reader.username).await?)
    }

    /// Records that `reader` has read room `slug` up to message `up_to`.
    ///
    /// # Errors
    /// `Invalid` for a malformed slug, `RoomNotFound` as for [`Self::room`].
    pub async fn read_room(
        &self,
        reader: &Account,
        slug: &str,
        up_to: i64,
    ) -> Result<(), AppError> {
        let slug = RoomSlug::parse(slug)?;
        self.visible_room(Some(&reader.username), &slug).await?;
        self.mark_read(reader, &slug, up_to).await
    }

    async fn mark_read(
        &self,
        reader: &Account,
        slug: &RoomSlug,
        up_to: i64,
    ) -> Result<(), AppError> {
        let username = &reader.username;
        if self.store.mark_read(slug, username, up_to).await? {
            self.bus.publish(room_read_event(username, slug));
        }
        Ok(())
    }
}

/// That `username` has read room `slug`, as their own topic carries it: `room-read`, with
/// no cursor.
fn room_read_event(username: &str, slug: &RoomSlug) -> LiveEvent {
    let payload = json!({ "room": slug.as_str() });
    personal_event(username, "room-read", None, &payload)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::room_list::RoomRead;
    use crate::js::native::parse;

    #[test]
    fn a_room_read_reads_back_in_the_browser_as_the_room() {
        let slug = RoomSlug::parse("lobby").unwrap();
        let read = parse(&room_read_event("ada", &slug).live_data());
        let room = "lobby".to_owned();
        assert_eq!(read, Some(RoomRead { room }));
    }
}
