//! Where a person's events and notifications are kept: one trait, and its implementation
//! in SQL that SQLite and PostgreSQL share. Notifications are made by whoever writes the
//! message that mentions someone, in that write's own transaction (see [`notify()`]), so a
//! stored mention always has its notification.

mod notify;
mod rows;
mod sql;

use async_trait::async_trait;

pub use notify::{notify, reword, withdraw};
pub use sql::SqlInboxStore;

use super::Notification;
use crate::time::Timestamp;

/// One event of a person's topic, as kept: its cursor, its name and its JSON payload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserEvent {
    pub id: i64,
    pub name: String,
    pub payload: String,
}

/// Someone a message notified: their username, the notification, and the cursor of their
/// topic's event before it (see `LiveEvent::following`).
#[derive(Clone, Debug)]
pub struct Notified {
    pub username: String,
    pub notification: Notification,
    pub after: i64,
}

/// The cursor of a person's event before the one a `user_events` `INSERT … RETURNING` made
/// (the caller holds the person's write lock).
macro_rules! event_before {
    () => {
        "(SELECT COALESCE(MAX(e.id), 0) FROM user_events e
          WHERE e.user_id = user_events.user_id AND e.id < user_events.id)"
    };
}
pub(crate) use event_before;

/// How many accounts one message notifies at most: the first this many it names (who may
/// read its room), so one message can't notify a crowd.
pub const NOTIFIED_AT_MOST: i64 = 50;

/// A message that mentions people, as a backend's `notify` records it.
pub struct Mention<'a> {
    /// The slug of the message's room.
    pub room: &'a str,
    pub message_id: i64,
    /// Who wrote it.
    pub from: &'a str,
    /// Its text, of which the notification keeps an excerpt.
    pub body: &'a str,
    /// When it was posted.
    pub at: Timestamp,
}

impl Mention<'_> {
    /// Its notification `id`, new, with `excerpt` of its text.
    pub fn notification(&self, id: i64, excerpt: &str) -> Notification {
        Notification {
            id,
            room: self.room.to_owned(),
            message_id: self.message_id,
            from: self.from.to_owned(),
            excerpt: excerpt.to_owned(),
            read: false,
            created_at: self.at,
        }
    }
}

/// People's notifications and the history of their topics, durable.
#[async_trait]
pub trait InboxStore: Send + Sync + 'static {
    /// `username`'s newest `limit` notifications, newest first — leaving out those from
    /// private rooms they are no longer a member of.
    async fn notifications(
        &self,
        username: &str,
        limit: u32,
    ) -> Result<Vec<Notification>, sqlx::Error>;

    /// Marks `username`'s notifications up to id `up_to` read; how many were unread.
    async fn mark_read(&self, username: &str, up_to: i64) -> Result<u64, sqlx::Error>;

    /// Marks `username`'s notifications of messages in room `slug` read; how many were
    /// unread.
    async fn mark_room_read(&self, username: &str, slug: &str) -> Result<u64, sqlx::Error>;

    /// The newest cursor of `username`'s topic (0 before their first event).
    async fn latest(&self, username: &str) -> Result<i64, sqlx::Error>;

    /// Up to `limit` of `username`'s events after `cursor`, oldest first; `None` if `cursor`
    /// is not a position of their topic (below 0, or past its newest event).
    async fn events_after(
        &self,
        username: &str,
        cursor: i64,
        limit: u32,
    ) -> Result<Option<Vec<UserEvent>>, sqlx::Error>;
}
