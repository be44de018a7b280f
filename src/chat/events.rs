//! Chat on the live bus: how rooms' changes are carried as events (`message`, `edited`,
//! `deleted`, each with the number of its change as its cursor; `room` in the directory),
//! which chat replays from the store (its [`History`]), and who chat admits to its topics
//! (its [`Gate`]).

use async_trait::async_trait;
use serde::Serialize;
use serde_json::json;

use super::cache::ReadCache;
use super::domain::{Message, RoomSlug, RoomSummary};
use super::service::ChatService;
use super::store::{Change, Posted};
use super::{DIRECTORY_TOPIC, room_topic};
use crate::error::AppError;
use crate::inbox::service::notification_event;
use crate::live::{Gate, History, LiveEvent};

#[async_trait]
impl Gate for ChatService {
    /// Room topics are for those who may see the room (`404` otherwise, as if it didn't
    /// exist); the directory is everyone's (each gets the rooms they may see). Any other
    /// topic is not chat's: `404`.
    async fn admit(&self, who: Option<&str>, topic: &str) -> Result<(), AppError> {
        let Some(slug) = topic.strip_prefix("room:") else {
            return match topic {
                DIRECTORY_TOPIC => Ok(()),
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
        let slug = RoomSlug::parse(topic.strip_prefix("room:")?).ok()?;
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
        let slug = RoomSlug::parse(topic.strip_prefix("room:")?).ok()?;
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
    match (event.topic.strip_prefix("room:"), &*event.name) {
        (Some(slug), "message" | "edited" | "deleted") => cache.clear(Some(slug)),
        (Some(_), "revoked") => cache.clear_access(),
        // A public room's summary (a post, a new room) changes no one's access; a private
        // room's may be a new room or a member added.
        (None, _) if &*event.topic == DIRECTORY_TOPIC && event.audience.is_none() => {
            cache.clear(None);
        }
        (None, _) if &*event.topic == DIRECTORY_TOPIC => cache.clear_access(),
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
