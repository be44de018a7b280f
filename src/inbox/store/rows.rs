//! Notifications and a person's events as every backend reads them: the columns its
//! queries name, and what they become.

use sqlx::FromRow;

use super::UserEvent;
use crate::inbox::Notification;
use crate::time::Timestamp;

/// A notification as a query reads it.
#[derive(FromRow)]
pub(super) struct NotificationRow {
    id: i64,
    room: String,
    message_id: i64,
    from: String,
    excerpt: String,
    read: bool,
    created_at: i64,
}

impl From<NotificationRow> for Notification {
    fn from(row: NotificationRow) -> Self {
        Self {
            id: row.id,
            room: row.room,
            message_id: row.message_id,
            from: row.from,
            excerpt: row.excerpt,
            read: row.read,
            created_at: Timestamp(row.created_at),
        }
    }
}

/// An event, and its notification's columns if it announced one (a left join).
#[derive(FromRow)]
pub(super) struct EventRow {
    event_id: i64,
    name: String,
    payload: Option<String>,
    id: Option<i64>,
    room: Option<String>,
    message_id: Option<i64>,
    from: Option<String>,
    excerpt: Option<String>,
    read: Option<bool>,
    created_at: Option<i64>,
}

impl EventRow {
    /// The notification the event announced, if it announced one.
    fn notification(self) -> Option<Notification> {
        Some(Notification {
            id: self.id?,
            room: self.room?,
            message_id: self.message_id?,
            from: self.from?,
            excerpt: self.excerpt?,
            read: self.read?,
            created_at: Timestamp(self.created_at?),
        })
    }
}

/// A kept event with its payload: its own, or its notification's.
pub(super) fn user_event(mut row: EventRow) -> Option<UserEvent> {
    let (id, name) = (row.event_id, std::mem::take(&mut row.name));
    let payload = match row.payload.take() {
        Some(payload) => payload,
        None => serde_json::to_string(&row.notification()?).ok()?,
    };
    Some(UserEvent { id, name, payload })
}
