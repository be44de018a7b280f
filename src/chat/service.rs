//! The chat service: parses input into domain types, writes through the store, and after
//! the commit publishes on the live bus. Server functions and the JSON API both call it,
//! so they validate and broadcast alike. It is also the live module's [`History`] of room
//! topics, so streams can resume from a message id.

use std::sync::Arc;

use async_trait::async_trait;
use serde::Serialize;
use tokio::sync::Mutex;

use super::cache::ReadCache;
use super::domain::{DisplayName, Message, MessageBody, Page, RoomSlug, RoomSummary, RoomTitle};
use super::store::{ChatStore, StoreError};
use super::{DIRECTORY_TOPIC, room_topic};
use crate::error::AppError;
use crate::live::bus::{Bus, LiveEvent};
use crate::live::replay::History;

/// Chat's operations, backed by a store and a bus.
#[derive(Clone)]
pub struct ChatService {
    store: Arc<dyn ChatStore>,
    bus: Arc<dyn Bus>,
    /// Held from before a message's commit until after its publish, so this process
    /// publishes messages in commit order (the store serializes writes anyway).
    in_order: Arc<Mutex<()>>,
    /// What page loads read; each write clears what it changed.
    cache: Arc<ReadCache>,
}

impl ChatService {
    pub fn new(store: Arc<dyn ChatStore>, bus: Arc<dyn Bus>) -> Self {
        Self {
            store,
            bus,
            in_order: Arc::default(),
            cache: Arc::default(),
        }
    }

    /// # Errors
    /// `Invalid` for a malformed slug or title, `SlugTaken` if the slug is in use.
    pub async fn create_room(&self, slug: &str, title: &str) -> Result<RoomSummary, AppError> {
        let slug = RoomSlug::parse(slug)?;
        let title = RoomTitle::parse(title)?;
        let room = self.store.create_room(&slug, &title).await?;
        self.cache.clear(None);
        self.bus
            .publish(event(DIRECTORY_TOPIC.into(), "room", None, &room));
        Ok(room)
    }

    /// Every room, most recently active first.
    ///
    /// # Errors
    /// `Internal` if the store fails.
    pub async fn rooms(&self) -> Result<Vec<RoomSummary>, AppError> {
        Ok(self.kept_rooms().await?.to_vec())
    }

    /// Every room, from the read cache or the store.
    async fn kept_rooms(&self) -> Result<Arc<Vec<RoomSummary>>, StoreError> {
        self.cache.rooms(self.store.rooms()).await
    }

    /// # Errors
    /// `Invalid` for a malformed slug, `RoomNotFound` if no room has it.
    pub async fn room(&self, slug: &str) -> Result<RoomSummary, AppError> {
        self.existing_room(&RoomSlug::parse(slug)?).await
    }

    /// A page of a room's messages, oldest first.
    ///
    /// # Errors
    /// `Invalid` for a malformed slug or limit, `RoomNotFound` if no room has the slug.
    pub async fn messages(&self, slug: &str, page: Page) -> Result<Vec<Message>, AppError> {
        let limit = page.limit()?;
        let slug = RoomSlug::parse(slug)?;
        self.existing_room(&slug).await?;
        let load = self.store.messages(&slug, page, limit);
        if page.before.is_none() && page.after.is_none() && limit == Page::DEFAULT_LIMIT {
            return Ok(self.cache.newest(slug.as_str(), load).await?.to_vec());
        }
        Ok(load.await?)
    }

    async fn existing_room(&self, slug: &RoomSlug) -> Result<RoomSummary, AppError> {
        self.kept_rooms()
            .await?
            .iter()
            .find(|room| room.slug == slug.as_str())
            .cloned()
            .ok_or_else(|| AppError::RoomNotFound(slug.as_str().to_owned()))
    }

    /// Stores a message, then tells the room's and the directory's subscribers.
    ///
    /// # Errors
    /// `Invalid` for a malformed slug, name or body; `RoomNotFound` if no room has the slug.
    pub async fn post_message(
        &self,
        slug: &str,
        author: &str,
        body: &str,
    ) -> Result<Message, AppError> {
        let slug = RoomSlug::parse(slug)?;
        let author = DisplayName::parse(author)?;
        let body = MessageBody::parse(body)?;
        // Detached, so the write and its publish complete together even if the caller goes
        // away (a client disconnecting mid-post): never committed but unannounced.
        let (store, bus, in_order) = (self.store.clone(), self.bus.clone(), self.in_order.clone());
        let cache = Arc::clone(&self.cache);
        let stored = tokio::spawn(async move {
            let in_order = in_order.lock().await;
            let (message, room) = store.insert_message(&slug, &author, &body).await?;
            cache.clear(Some(slug.as_str()));
            bus.publish(message_event(&message));
            drop(in_order);
            bus.publish(event(DIRECTORY_TOPIC.into(), "room", None, &room));
            Ok::<_, StoreError>(message)
        });
        Ok(stored.await.map_err(|_| AppError::Internal)??)
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
fn message_event(message: &Message) -> LiveEvent {
    event(
        room_topic(&message.room),
        "message",
        Some(message.id),
        message,
    )
}

fn event(
    topic: String,
    name: &'static str,
    id: Option<i64>,
    payload: &impl Serialize,
) -> LiveEvent {
    let data = serde_json::to_string(payload).expect("chat payloads serialize");
    LiveEvent::new(&topic, name, id, &data)
}

/// What the caller may see of a store failure; database errors are logged, not shown.
impl From<StoreError> for AppError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::SlugTaken(slug) => AppError::SlugTaken(slug),
            StoreError::RoomNotFound(slug) => AppError::RoomNotFound(slug),
            StoreError::Database(error) => {
                tracing::error!(%error, "chat store failed");
                AppError::Internal
            }
        }
    }
}
