//! Chat on the live bus: how rooms' changes are carried as events, which chat replays from
//! the store (its [`History`]), and who chat admits to its topics (its [`Gate`]).

use async_trait::async_trait;
use serde::Serialize;

use super::domain::{Message, Page, RoomSlug, RoomSummary};
use super::service::ChatService;
use super::{DIRECTORY_TOPIC, room_topic};
use crate::error::AppError;
use crate::live::{Gate, History, LiveEvent};

#[async_trait]
impl Gate for ChatService {
    /// Room topics are for those who may see the room (`404` otherwise, as if it didn't
    /// exist); the directory is everyone's (each gets the rooms they may see).
    async fn admit(&self, who: Option<&str>, topic: &str) -> Result<(), AppError> {
        let Some(slug) = topic.strip_prefix("room:") else {
            return Ok(());
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
    /// Room topics only: the messages after `cursor`, which must be 0 or one of the room's.
    async fn after(&self, topic: &str, cursor: i64, limit: u32) -> Option<Vec<LiveEvent>> {
        let slug = RoomSlug::parse(topic.strip_prefix("room:")?).ok()?;
        if cursor != 0 && !self.store.has_message(&slug, cursor).await.ok()? {
            return None;
        }
        let page = Page {
            after: Some(cursor),
            ..Page::default()
        };
        let messages = self.store.messages(&slug, page, limit).await.ok()?;
        Some(messages.iter().map(message_event).collect())
    }
}

/// A stored message as its room's topic carries it, live or replayed.
pub(super) fn message_event(message: &Message) -> LiveEvent {
    event(
        room_topic(&message.room),
        "message",
        Some(message.id),
        message,
    )
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
