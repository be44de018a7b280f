//! Notifications and people's topics in the app's database, SQLite or PostgreSQL.

use async_trait::async_trait;

use super::rows::{EventRow, NotificationRow, user_event};
use super::{InboxStore, UserEvent};
use crate::inbox::Notification;
use crate::sql::{Sql, query};

/// Notifications and people's topics in the app's database.
#[derive(Clone, Debug)]
pub struct SqlInboxStore {
    sql: Sql,
}

impl SqlInboxStore {
    /// A store on `sql`.
    pub fn new(sql: Sql) -> Self {
        Self { sql }
    }
}

/// What a query reads of a notification, as [`NotificationRow`]; `n` is the notification.
macro_rules! notification_columns {
    () => {
        "n.id, r.slug AS room, n.message_id, m.author AS \"from\", n.excerpt, n.read, n.created_at"
    };
}

/// Joins a notification `n` to its message `m` and room `r`, where its reader `$1` (a
/// username) may still see the room.
macro_rules! readable {
    () => {
        " JOIN messages m ON m.id = n.message_id JOIN rooms r ON r.id = m.room_id
          WHERE n.user_id = (SELECT id FROM users WHERE username = $1)
            AND (NOT r.private OR EXISTS (SELECT 1 FROM room_members
                 WHERE room_id = r.id AND user_id = n.user_id))"
    };
}

#[async_trait]
impl InboxStore for SqlInboxStore {
    async fn notifications(
        &self,
        username: &str,
        limit: u32,
    ) -> Result<Vec<Notification>, sqlx::Error> {
        let rows: Vec<NotificationRow> = query(concat!(
            "SELECT ",
            notification_columns!(),
            " FROM notifications n",
            readable!(),
            " ORDER BY n.id DESC LIMIT $2"
        ))
        .bind(username)
        .bind(limit)
        .all(&self.sql)
        .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn mark_read(&self, username: &str, up_to: i64) -> Result<u64, sqlx::Error> {
        query(
            "UPDATE notifications SET read = TRUE
             WHERE user_id = (SELECT id FROM users WHERE username = $1) AND id <= $2 AND NOT read",
        )
        .bind(username)
        .bind(up_to)
        .execute(&self.sql)
        .await
    }

    async fn mark_room_read(&self, username: &str, slug: &str) -> Result<u64, sqlx::Error> {
        query(
            "UPDATE notifications SET read = TRUE
             WHERE user_id = (SELECT id FROM users WHERE username = $1) AND NOT read
               AND (SELECT room_id FROM messages WHERE id = message_id)
                 = (SELECT id FROM rooms WHERE slug = $2)",
        )
        .bind(username)
        .bind(slug)
        .execute(&self.sql)
        .await
    }

    async fn latest(&self, username: &str) -> Result<i64, sqlx::Error> {
        let (latest,): (i64,) = query(
            "SELECT COALESCE(MAX(id), 0) FROM user_events
             WHERE user_id = (SELECT id FROM users WHERE username = $1)",
        )
        .bind(username)
        .one(&self.sql)
        .await?;
        Ok(latest)
    }

    async fn events_after(
        &self,
        username: &str,
        cursor: i64,
        limit: u32,
    ) -> Result<Option<Vec<UserEvent>>, sqlx::Error> {
        if cursor < 0 || cursor > self.latest(username).await? {
            return Ok(None);
        }
        // A notification's payload is its row as it reads now; one from a room the person
        // may no longer see is left out (its event stays, unsent, to keep the cursor's place).
        let rows: Vec<EventRow> = query(concat!(
            "SELECT e.id AS event_id, e.name, e.payload, ",
            notification_columns!(),
            " FROM user_events e LEFT JOIN notifications n ON n.id = e.id
              LEFT JOIN messages m ON m.id = n.message_id LEFT JOIN rooms r ON r.id = m.room_id
              WHERE e.user_id = (SELECT id FROM users WHERE username = $1) AND e.id > $2
                AND (n.id IS NULL OR NOT r.private OR EXISTS (SELECT 1 FROM room_members
                     WHERE room_id = r.id AND user_id = e.user_id))
              ORDER BY e.id LIMIT $3"
        ))
        .bind(username)
        .bind(cursor)
        .bind(limit)
        .all(&self.sql)
        .await?;
        Ok(Some(rows.into_iter().filter_map(user_event).collect()))
    }
}
