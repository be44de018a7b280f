//! Chat on the live bus: how rooms' changes are carried as events (`message`, `edited`,
//! `deleted`, each with the number of its change as its cursor; `room` in the directory),
//! which chat replays from the store (its [`History`]), and who chat admits to its topics
//! (what the app's live gate asks it).

use async_trait::async_trait;
use live_loader::{History, LiveEvent};
use serde::Serialize;
use serde_json::json;

use super::cache::ReadCache;
use super::domain::{Message, RoomSlug, RoomSummary};
use super::service::ChatService;
use super::store::{Change, Posted};
use super::{DIRECTORY_TOPIC, THREADS_TOPIC, room_of_topic, room_topic};
use crate::error::AppError;
use crate::inbox::service::notification_event;

impl ChatService {
    /// Whether `who` may subscribe to `topic` (the live gate asks): a room's topic is for those who may see
    /// the room; the directory is everyone's (each gets the rooms they may see), and so
    /// are the threads' topic.
    ///
    /// # Errors
    /// `RoomNotFound` for a room `who` may not see, as if it didn't exist;
    /// `TopicNotFound` for a topic that is not chat's; `Internal` if the store fails.
    pub async fn admit(&self, who: Option<&str>, topic: &str) -> Result<(), AppError> {
        let Some(slug) = room_of_topic(topic) else {
            return match topic {
                DIRECTORY_TOPIC | THREADS_TOPIC => Ok(()),
                _ => Err(AppError::TopicNotFound(topic.to_owned())),
            };
        };
        match self.room(who, slug).await {
            Ok(_) => Ok(()),
            Err(AppError::Invalid(_)) => Err(AppError::RoomNotFound(slug.to_owned())),
            Err(error) => Err(error),
        }
    }
}

#[async_trait]
impl History for ChatService {
    /// Room topics only: each message changed after `cursor` once, as its latest change
    /// left it — `message` if the client can't have seen it yet (it was made after the
    /// cursor), otherwise `edited`, or `deleted` if it is gone. An edit superseded by a
    /// later edit or the deletion is not replayed: the text it carried is no longer kept.
    async fn after(&self, topic: &str, cursor: i64, limit: u32) -> Option<Vec<LiveEvent>> {
        let slug = RoomSlug::parse(room_of_topic(topic)?).ok()?;
        let changes = self
            .store
            .changes_after(&slug, cursor, limit)
            .await
            .ok()??;
        Some(
            changes
                .iter()
                .map(|change| match &change.message {
                    message if message.deleted_at.is_some() => deleted_event(change),
                    message if message.id > cursor => event(
                        room_topic(&message.room),
                        "message",
                        Some(change.seq),
                        message,
                    ),
                    _ => edited_event(change),
                })
                .collect(),
        )
    }

    /// Room topics only: the number of the room's latest change.
    async fn latest(&self, topic: &str) -> Option<i64> {
        let slug = RoomSlug::parse(room_of_topic(topic)?).ok()?;
        self.store.latest_change(&slug).await.ok()
    }
}

/// What a new message tells: its room's topic, and each account it notified, theirs.
pub(super) fn posted_events(posted: &Posted) -> Vec<LiveEvent> {
    let notifications = posted.notified.iter().map(|notified| {
        notification_event(&notified.username, &notified.notification).following(notified.after)
    });
    std::iter::once(message_event(&posted.message).following(posted.after))
        .chain(notifications)
        .collect()
}

/// A new message as its room's topic carries it: `message`, with the message, its id the
/// cursor.
fn message_event(message: &Message) -> LiveEvent {
    event(
        room_topic(&message.room),
        "message",
        Some(message.id),
        message,
    )
}

/// An edit as the room's topic carries it: `edited`, with the message as it now reads.
pub(super) fn edited_event(edited: &Change) -> LiveEvent {
    let message = &edited.message;
    event(
        room_topic(&message.room),
        "edited",
        Some(edited.seq),
        message,
    )
}

/// A deletion as the room's topic carries it: `deleted`, with only the message's id.
pub(super) fn deleted_event(deleted: &Change) -> LiveEvent {
    let message = &deleted.message;
    let payload = json!({ "id": message.id });
    event(
        room_topic(&message.room),
        "deleted",
        Some(deleted.seq),
        &payload,
    )
}

/// Clears what `cache` keeps that another instance's `event` changed (with `None`,
/// anything may have): a room's changes its messages and the directory; a revocation or
/// a private room's summary (a new room, a member added) who may see what.
pub(super) fn forget_changed(cache: &ReadCache, event: Option<&LiveEvent>) {
    let Some(event) = event else {
        return cache.clear_all();
    };
    match (room_of_topic(&event.topic), &*event.name) {
        (Some(slug), "message" | "edited" | "deleted") => cache.clear(Some(slug)),
        (Some(_), "revoked") => cache.clear_access(),
        // A public room's summary (a post, a new room) changes no one's access; a private
        // room's may be a new room or a member added.
        (None, _) if &*event.topic == DIRECTORY_TOPIC && event.audience.is_none() => {
            cache.clear(None);
        }
        (None, _) if &*event.topic == DIRECTORY_TOPIC => cache.clear_access(),
        (None, _) if &*event.topic == THREADS_TOPIC => cache.clear(None),
        _ => {}
    }
}

/// A room's summary as the directory's topic carries it (to everyone, unless narrowed).
pub(super) fn directory_event(room: &RoomSummary) -> LiveEvent {
    event(DIRECTORY_TOPIC.into(), "room", None, room)
}

pub(super) fn event(
    topic: String,
    name: &'static str,
    id: Option<i64>,
    payload: &impl Serialize,
) -> LiveEvent {
    let data = serde_json::to_string(payload).expect("chat payloads serialize");
    LiveEvent::new(&topic, name, id, &data)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::timeline::RoomChange;
    use crate::js::native::parse;
    use crate::time::Timestamp;

    fn message() -> Message {
        Message {
            id: 7,
            room: "lobby".into(),
            author: "ada".into(),
            body: "<b>hi</b> \"there\"\nü".into(),
            created_at: Timestamp(1_795_000_000_123),
            edited_at: None,
            deleted_at: None,
        }
    }

    #[test]
    fn a_new_message_reads_back_in_the_browser_as_it_was_written() {
        let read = parse(&message_event(&message()).live_data());
        assert_eq!(read, Some(RoomChange::New(message())));
    }

    #[test]
    fn an_edit_reads_back_in_the_browser_as_the_message_now_reads() {
        let edited = Message {
            edited_at: Some(Timestamp(1_795_000_060_000)),
            ..message()
        };
        let change = Change {
            seq: 9,
            message: edited.clone(),
        };
        let read = parse(&edited_event(&change).live_data());
        assert_eq!(read, Some(RoomChange::Edited(edited)));
    }

    #[test]
    fn a_deletion_reads_back_in_the_browser_as_the_messages_id() {
        let deleted = Message {
            body: String::new(),
            deleted_at: Some(Timestamp(1_795_000_060_000)),
            ..message()
        };
        let change = Change {
            seq: 9,
            message: deleted,
        };
        let read = parse(&deleted_event(&change).live_data());
        assert_eq!(read, Some(RoomChange::Deleted(7)));
    }

    #[test]
    fn a_rooms_summary_reads_back_in_the_browser_as_it_was_written() {
        let room = |creator: Option<&str>, unread| RoomSummary {
            slug: "lobby".into(),
            title: "The <lobby>".into(),
            private: creator.is_some(),
            message_count: 12,
            last_activity: Timestamp(1_795_000_000_000),
            creator: creator.map(str::to_owned),
            unread,
            here: 3,
            thread: None,
        };
        for room in [
            room(None, None),
            room(Some("ada"), Some(0)),
            room(Some("ada"), Some(100)),
        ] {
            assert_eq!(parse(&directory_event(&room).live_data()), Some(room));
        }
    }
}
