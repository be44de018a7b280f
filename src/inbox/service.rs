//! The inbox service: a person's notifications, marking them read, and the history of
//! their topic for the live module. Every change is told to the person's topic after it
//! commits, so their other tabs follow.

use std::sync::Arc;

use async_trait::async_trait;
use live_loader::{Bus, History, LiveEvent};
use serde::Serialize;
use serde_json::json;

use super::store::InboxStore;
use super::{Notification, user_of_topic, user_topic};
use crate::accounts::domain::Account;
use crate::error::AppError;

/// How many notifications the list shows: the newest.
pub const LIST_LIMIT: u32 = 50;

/// Notifications and people's topics, backed by a store and a bus; cheap to clone.
#[derive(Clone)]
pub struct InboxService {
    store: Arc<dyn InboxStore>,
    bus: Arc<dyn Bus>,
}

impl InboxService {
    pub fn new(store: Arc<dyn InboxStore>, bus: Arc<dyn Bus>) -> Self {
        Self { store, bus }
    }

    /// `reader`'s newest notifications, newest first.
    ///
    /// # Errors
    /// `Internal` if the store fails.
    pub async fn notifications(&self, reader: &Account) -> Result<Vec<Notification>, AppError> {
        let listed = self.store.notifications(&reader.username, LIST_LIMIT).await;
        listed.map_err(failed)
    }

    /// The newest cursor of `reader`'s topic: a page rendered now shows everything up to it.
    ///
    /// # Errors
    /// `Internal` if the store fails.
    pub async fn cursor(&self, reader: &Account) -> Result<i64, AppError> {
        self.store.latest(&reader.username).await.map_err(failed)
    }

    /// Marks `reader`'s notifications up to id `up_to` read, and tells their tabs.
    ///
    /// # Errors
    /// `Internal` if the store fails.
    pub async fn mark_read(&self, reader: &Account, up_to: i64) -> Result<(), AppError> {
        let marked = self.store.mark_read(&reader.username, up_to).await;
        if marked.map_err(failed)? > 0 {
            self.tell(&reader.username, "read", &json!({ "up_to": up_to }));
        }
        Ok(())
    }

    /// Marks `reader`'s notifications from room `slug` read (they opened it), and tells
    /// their tabs.
    ///
    /// # Errors
    /// `Internal` if the store fails.
    pub async fn mark_room_read(&self, reader: &Account, slug: &str) -> Result<(), AppError> {
        let marked = self.store.mark_room_read(&reader.username, slug).await;
        if marked.map_err(failed)? > 0 {
            self.tell(&reader.username, "read", &json!({ "room": slug }));
        }
        Ok(())
    }

    /// Whether `who` may subscribe to `topic` (the live gate asks): a person's topic is
    /// theirs alone.
    ///
    /// # Errors
    /// `Forbidden` for someone else's topic; `TopicNotFound` for a topic that is not the
    /// inbox's.
    pub fn admit(&self, who: Option<&str>, topic: &str) -> Result<(), AppError> {
        match user_of_topic(topic) {
            Some(name) if who == Some(name) => Ok(()),
            Some(_) => Err(AppError::Forbidden("that topic is someone else's".into())),
            None => Err(AppError::TopicNotFound(topic.to_owned())),
        }
    }

    /// Tells `username`'s tabs something that is not kept (no cursor): it changes what
    /// they show, and a tab that misses it re-reads everything after reconnecting anyway.
    fn tell(&self, username: &str, name: &'static str, payload: &impl Serialize) {
        self.bus
            .publish(personal_event(username, name, None, payload));
    }
}

/// An event on `username`'s own topic, for them alone: `name` with `payload`, and `id` its
/// cursor if it is kept (`None`: it is not, and is never replayed).
pub fn personal_event(
    username: &str,
    name: &'static str,
    id: Option<i64>,
    payload: &impl Serialize,
) -> LiveEvent {
    let data = serde_json::to_string(payload).expect("personal payloads serialize");
    LiveEvent::new(&user_topic(username), name, id, &data).only_for(vec![username.to_owned()])
}

/// A new notification as its reader's topic carries it: `notification`, its id the cursor.
pub fn notification_event(username: &str, notification: &Notification) -> LiveEvent {
    personal_event(
        username,
        "notification",
        Some(notification.id),
        notification,
    )
}

/// A notification taken back (its message was deleted), as its reader's topic carries it:
/// `withdrawn`, with the message's id, and no cursor (nothing is kept of it).
pub fn withdrawn_event(username: &str, message_id: i64) -> LiveEvent {
    personal_event(
        username,
        "withdrawn",
        None,
        &json!({ "message_id": message_id }),
    )
}

#[async_trait]
impl History for InboxService {
    /// People's topics: their kept events after `cursor`, each only for them.
    async fn after(&self, topic: &str, cursor: i64, limit: u32) -> Option<Vec<LiveEvent>> {
        let username = user_of_topic(topic)?;
        let events = self
            .store
            .events_after(username, cursor, limit)
            .await
            .map_err(failed)
            .ok()??;
        Some(
            events
                .into_iter()
                .map(|event| {
                    LiveEvent::new(topic, &event.name, Some(event.id), &event.payload)
                        .only_for(vec![username.to_owned()])
                })
                .collect(),
        )
    }

    /// People's topics: the cursor of their newest kept event.
    async fn latest(&self, topic: &str) -> Option<i64> {
        let username = user_of_topic(topic)?;
        self.store.latest(username).await.map_err(failed).ok()
    }
}

/// What the caller may see of a store failure: it is logged, not shown.
fn failed(error: sqlx::Error) -> AppError {
    tracing::error!(%error, "inbox store failed");
    AppError::Internal
}

/// The inbox service, inside a server function or during a server render.
///
/// # Panics
/// Outside a request handled by the app, which provides it.
pub fn inbox() -> InboxService {
    leptos::prelude::expect_context()
}
