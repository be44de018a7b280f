//! The chat service: parses input into domain types, writes through the store, and after
//! the commit publishes on the live bus. Server functions and the JSON API both call it,
//! so they validate and broadcast alike.

use std::sync::Arc;

use serde::Serialize;

use super::domain::{DisplayName, Message, MessageBody, Page, RoomSlug, RoomSummary, RoomTitle};
use super::store::{ChatStore, StoreError};
use super::{DIRECTORY_TOPIC, room_topic};
use crate::error::AppError;
use crate::live::bus::{Bus, LiveEvent};

/// Chat's operations, backed by a store and a bus.
#[derive(Clone)]
pub struct ChatService {
    store: Arc<dyn ChatStore>,
    bus: Arc<dyn Bus>,
}

impl ChatService {
    pub fn new(store: Arc<dyn ChatStore>, bus: Arc<dyn Bus>) -> Self {
        Self { store, bus }
    }

    /// # Errors
    /// `Invalid` for a malformed slug or title, `SlugTaken` if the slug is in use.
    pub async fn create_room(&self, slug: &str, title: &str) -> Result<RoomSummary, AppError> {
        let slug = RoomSlug::parse(slug)?;
        let title = RoomTitle::parse(title)?;
        let room = self.store.create_room(&slug, &title).await?;
        self.publish(DIRECTORY_TOPIC.into(), "room", None, &room);
        Ok(room)
    }

    /// Every room, most recently active first.
    ///
    /// # Errors
    /// `Internal` if the store fails.
    pub async fn rooms(&self) -> Result<Vec<RoomSummary>, AppError> {
        Ok(self.store.rooms().await?)
    }

    /// # Errors
    /// `Invalid` for a malformed slug, `RoomNotFound` if no room has it.
    pub async fn room(&self, slug: &str) -> Result<RoomSummary, AppError> {
        let slug = RoomSlug::parse(slug)?;
        self.store
            .room(&slug)
            .await?
            .ok_or_else(|| AppError::RoomNotFound(slug.as_str().to_owned()))
    }

    /// A page of a room's messages, oldest first.
    ///
    /// # Errors
    /// `Invalid` for a malformed slug or limit, `RoomNotFound` if no room has the slug.
    pub async fn messages(&self, slug: &str, page: Page) -> Result<Vec<Message>, AppError> {
        let limit = page.limit()?;
        let room = self.room(slug).await?;
        let slug = RoomSlug::parse(&room.slug)?;
        Ok(self.store.messages(&slug, page, limit).await?)
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
        let (message, room) = self.store.insert_message(&slug, &author, &body).await?;
        self.publish(
            room_topic(slug.as_str()),
            "message",
            Some(message.id),
            &message,
        );
        self.publish(DIRECTORY_TOPIC.into(), "room", None, &room);
        Ok(message)
    }

    fn publish(
        &self,
        topic: String,
        name: &'static str,
        id: Option<i64>,
        payload: &impl Serialize,
    ) {
        let data = serde_json::to_string(payload).expect("chat payloads serialize");
        self.bus.publish(LiveEvent {
            topic: topic.into(),
            name,
            id,
            data: data.into(),
        });
    }
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
