//! The SQLite inbox store, and the statements that make and withdraw notifications inside
//! the transaction of the message they belong to.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use sqlx::{SqliteConnection, SqlitePool};

use super::rows::{EventRow, NotificationRow, user_event};
use super::{InboxStore, Mention, NOTIFIED_AT_MOST, Notified, UserEvent, event_before};
use crate::inbox::{Notification, excerpt};

/// Notifications and people's topics in a SQLite database.
#[derive(Clone, Debug)]
pub struct SqliteInboxStore {
    pool: SqlitePool,
    /// SQL statements sent, for `/metrics`.
    queries: Arc<AtomicU64>,
}

/// What a query reads of a notification, as [`NotificationRow`]; `n` is the notification.
macro_rules! notification_columns {
    () => {
        "n.id, r.slug AS room, n.message_id, m.author AS \"from\", n.excerpt, n.read, n.created_at"
    };
}

/// Joins a notification `n` to its message `m` and room `r`, where its reader `?1` (a
/// username) may still see the room.
macro_rules! readable {
    () => {
        " JOIN messages m ON m.id = n.message_id JOIN rooms r ON r.id = m.room_id
          WHERE n.user_id = (SELECT id FROM users WHERE username = ?1)
            AND (r.private = 0 OR EXISTS (SELECT 1 FROM room_members
                 WHERE room_id = r.id AND user_id = n.user_id))"
    };
}

impl SqliteInboxStore {
    /// A store on `pool`, counting each statement it sends in `queries`.
    pub fn new(pool: SqlitePool, queries: Arc<AtomicU64>) -> Self {
        Self { pool, queries }
    }

    /// The pool, counting the statement about to be sent on it.
    fn query(&self) -> &SqlitePool {
        self.queries.fetch_add(1, Ordering::Relaxed);
        &self.pool
    }
}

/// Notifies the first [`NOTIFIED_AT_MOST`] of `usernames` that name an account of
/// `mention`, inside the caller's transaction: each gets an event on their topic and a
/// notification with its id — in two statements however many are named. Answers whom, with
/// what; `queries` counts the statements sent.
///
/// # Errors
/// If the database fails.
pub async fn notify(
    tx: &mut SqliteConnection,
    mention: &Mention<'_>,
    usernames: &[String],
    queries: &AtomicU64,
) -> Result<Vec<Notified>, sqlx::Error> {
    let excerpt = excerpt(mention.body);
    let named = serde_json::to_string(usernames).expect("names serialize");
    queries.fetch_add(1, Ordering::Relaxed);
    let events: Vec<(i64, String, i64)> = sqlx::query_as(concat!(
        "INSERT INTO user_events (user_id, name, created_at)
         SELECT u.id, 'notification', ?2
         FROM json_each(?1) AS named JOIN users u ON u.username = named.value
         ORDER BY named.key LIMIT ?3
         RETURNING id, (SELECT username FROM users WHERE users.id = user_events.user_id), ",
        event_before!()
    ))
    .bind(&named)
    .bind(mention.at.millis())
    .bind(NOTIFIED_AT_MOST)
    .fetch_all(&mut *tx)
    .await?;
    if events.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = events.iter().map(|(id, _, _)| *id).collect();
    queries.fetch_add(1, Ordering::Relaxed);
    sqlx::query(
        "INSERT INTO notifications (id, user_id, message_id, excerpt, created_at)
         SELECT id, user_id, ?2, ?3, ?4 FROM user_events
         WHERE id IN (SELECT value FROM json_each(?1))",
    )
    .bind(serde_json::to_string(&ids).expect("ids serialize"))
    .bind(mention.message_id)
    .bind(&excerpt)
    .bind(mention.at.millis())
    .execute(&mut *tx)
    .await?;
    Ok(events
        .into_iter()
        .map(|(id, username, after)| Notified {
            username,
            notification: mention.notification(id, &excerpt),
            after,
        })
        .collect())
}

/// Keeps the excerpts of message `message_id`'s notifications in step with its new `body`,
/// inside the caller's transaction.
///
/// # Errors
/// If the database fails.
pub async fn reword(
    tx: &mut SqliteConnection,
    message_id: i64,
    body: &str,
    queries: &AtomicU64,
) -> Result<(), sqlx::Error> {
    queries.fetch_add(1, Ordering::Relaxed);
    sqlx::query("UPDATE notifications SET excerpt = ?2 WHERE message_id = ?1")
        .bind(message_id)
        .bind(excerpt(body))
        .execute(tx)
        .await?;
    Ok(())
}

/// Takes back the notifications of deleted message `message_id` (their excerpts and their
/// events go with them), inside the caller's transaction, in two statements; answers who
/// had them.
///
/// # Errors
/// If the database fails.
pub async fn withdraw(
    tx: &mut SqliteConnection,
    message_id: i64,
    queries: &AtomicU64,
) -> Result<Vec<String>, sqlx::Error> {
    queries.fetch_add(1, Ordering::Relaxed);
    let gone: Vec<(i64, String)> = sqlx::query_as(
        "DELETE FROM notifications WHERE message_id = ?1
         RETURNING id, (SELECT username FROM users WHERE id = user_id)",
    )
    .bind(message_id)
    .fetch_all(&mut *tx)
    .await?;
    if gone.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = gone.iter().map(|(id, _)| *id).collect();
    queries.fetch_add(1, Ordering::Relaxed);
    sqlx::query("DELETE FROM user_events WHERE id IN (SELECT value FROM json_each(?1))")
        .bind(serde_json::to_string(&ids).expect("ids serialize"))
        .execute(&mut *tx)
        .await?;
    Ok(gone.into_iter().map(|(_, username)| username).collect())
}

#[async_trait]
impl InboxStore for SqliteInboxStore {
    async fn notifications(
        &self,
        username: &str,
        limit: u32,
    ) -> Result<Vec<Notification>, sqlx::Error> {
        let rows: Vec<NotificationRow> = sqlx::query_as(concat!(
            "SELECT ",
            notification_columns!(),
            " FROM notifications n",
            readable!(),
            " ORDER BY n.id DESC LIMIT ?2"
        ))
        .bind(username)
        .bind(limit)
        .fetch_all(self.query())
        .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn mark_read(&self, username: &str, up_to: i64) -> Result<u64, sqlx::Error> {
        let marked = sqlx::query(
            "UPDATE notifications SET read = 1
             WHERE user_id = (SELECT id FROM users WHERE username = ?1) AND id <= ?2 AND read = 0",
        )
        .bind(username)
        .bind(up_to)
        .execute(self.query())
        .await?;
        Ok(marked.rows_affected())
    }

    async fn mark_room_read(&self, username: &str, slug: &str) -> Result<u64, sqlx::Error> {
        let marked = sqlx::query(
            "UPDATE notifications SET read = 1
             WHERE user_id = (SELECT id FROM users WHERE username = ?1) AND read = 0
               AND (SELECT room_id FROM messages WHERE id = message_id)
                 = (SELECT id FROM rooms WHERE slug = ?2)",
        )
        .bind(username)
        .bind(slug)
        .execute(self.query())
        .await?;
        Ok(marked.rows_affected())
    }

    async fn latest(&self, username: &str) -> Result<i64, sqlx::Error> {
        sqlx::query_scalar(
            "SELECT COALESCE(MAX(id), 0) FROM user_events
             WHERE user_id = (SELECT id FROM users WHERE username = ?1)",
        )
        .bind(username)
        .fetch_one(self.query())
        .await
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
        let rows: Vec<EventRow> = sqlx::query_as(concat!(
            "SELECT e.id AS event_id, e.name, e.payload, ",
            notification_columns!(),
            " FROM user_events e LEFT JOIN notifications n ON n.id = e.id
              LEFT JOIN messages m ON m.id = n.message_id LEFT JOIN rooms r ON r.id = m.room_id
              WHERE e.user_id = (SELECT id FROM users WHERE username = ?1) AND e.id > ?2
                AND (n.id IS NULL OR r.private = 0 OR EXISTS (SELECT 1 FROM room_members
                     WHERE room_id = r.id AND user_id = e.user_id))
              ORDER BY e.id LIMIT ?3"
        ))
        .bind(username)
        .bind(cursor)
        .bind(limit)
        .fetch_all(self.query())
        .await?;
        Ok(Some(rows.into_iter().filter_map(user_event).collect()))
    }
}
