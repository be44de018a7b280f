//! The Postgres inbox store, and the statements that make and withdraw notifications inside
//! the transaction of the message they belong to. A person's events are numbered by the
//! `user_events` identity after their `users` row is locked (held until commit), so each
//! person's topic is numbered in the order its events commit; a write that notifies
//! several people locks them in ascending id order, so two such writes never deadlock.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use sqlx::{PgConnection, PgPool};

use super::rows::{EventRow, NotificationRow, user_event};
use super::{InboxStore, Mention, NOTIFIED_AT_MOST, Notified, UserEvent, event_before};
use crate::inbox::{Notification, excerpt};

/// Notifications and people's topics in a PostgreSQL database.
#[derive(Clone, Debug)]
pub struct PostgresInboxStore {
    pool: PgPool,
    /// SQL statements sent, for `/metrics`.
    queries: Arc<AtomicU64>,
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

impl PostgresInboxStore {
    /// A store on `pool`, counting each statement it sends in `queries`.
    pub fn new(pool: PgPool, queries: Arc<AtomicU64>) -> Self {
        Self { pool, queries }
    }

    /// The pool, counting the statement about to be sent on it.
    fn query(&self) -> &PgPool {
        self.queries.fetch_add(1, Ordering::Relaxed);
        &self.pool
    }
}

/// Locks the `users` rows of the first [`NOTIFIED_AT_MOST`] of `usernames` that name an
/// account, in ascending id order, until the caller's transaction ends: before their topics
/// take a number. Answers each one's id and username.
async fn lock_people(
    tx: &mut PgConnection,
    usernames: &[String],
    queries: &AtomicU64,
) -> Result<Vec<(i64, String)>, sqlx::Error> {
    queries.fetch_add(1, Ordering::Relaxed);
    sqlx::query_as(
        "SELECT id, username FROM users WHERE id IN (
             SELECT u.id FROM unnest($1::text[]) WITH ORDINALITY AS named (username, at)
             JOIN users u ON u.username = named.username ORDER BY named.at LIMIT $2)
         ORDER BY id FOR NO KEY UPDATE",
    )
    .bind(usernames)
    .bind(NOTIFIED_AT_MOST)
    .fetch_all(tx)
    .await
}

/// Notifies the first [`NOTIFIED_AT_MOST`] of `usernames` that name an account of
/// `mention`, inside the caller's transaction: each gets an event on their topic and a
/// notification with its id — in two statements however many are named. Answers whom, with
/// what; `queries` counts the statements sent.
///
/// # Errors
/// If the database fails.
pub async fn notify(
    tx: &mut PgConnection,
    mention: &Mention<'_>,
    usernames: &[String],
    queries: &AtomicU64,
) -> Result<Vec<Notified>, sqlx::Error> {
    let excerpt = excerpt(mention.body);
    let people = lock_people(&mut *tx, usernames, queries).await?;
    if people.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = people.iter().map(|(id, _)| *id).collect();
    queries.fetch_add(1, Ordering::Relaxed);
    let made: Vec<(i64, i64, i64)> = sqlx::query_as(concat!(
        "WITH events AS (
             INSERT INTO user_events (user_id, name, created_at)
             SELECT unnest($1::bigint[]), 'notification', $2
             RETURNING id, user_id, ",
        event_before!(),
        " AS after
         ), made AS (
             INSERT INTO notifications (id, user_id, message_id, excerpt, created_at)
             SELECT id, user_id, $3, $4, $2 FROM events
         )
         SELECT id, user_id, after FROM events"
    ))
    .bind(&ids)
    .bind(mention.at.millis())
    .bind(mention.message_id)
    .bind(&excerpt)
    .fetch_all(&mut *tx)
    .await?;
    Ok(made
        .into_iter()
        .filter_map(|(id, user_id, after)| {
            let (_, username) = people.iter().find(|(person, _)| *person == user_id)?;
            Some(Notified {
                username: username.clone(),
                notification: mention.notification(id, &excerpt),
                after,
            })
        })
        .collect())
}

/// Keeps the excerpts of message `message_id`'s notifications in step with its new `body`,
/// inside the caller's transaction.
///
/// # Errors
/// If the database fails.
pub async fn reword(
    tx: &mut PgConnection,
    message_id: i64,
    body: &str,
    queries: &AtomicU64,
) -> Result<(), sqlx::Error> {
    queries.fetch_add(1, Ordering::Relaxed);
    sqlx::query("UPDATE notifications SET excerpt = $2 WHERE message_id = $1")
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
    tx: &mut PgConnection,
    message_id: i64,
    queries: &AtomicU64,
) -> Result<Vec<String>, sqlx::Error> {
    queries.fetch_add(1, Ordering::Relaxed);
    let gone: Vec<(i64, String)> = sqlx::query_as(
        "DELETE FROM notifications WHERE message_id = $1
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
    sqlx::query("DELETE FROM user_events WHERE id = ANY($1)")
        .bind(&ids)
        .execute(&mut *tx)
        .await?;
    Ok(gone.into_iter().map(|(_, username)| username).collect())
}

#[async_trait]
impl InboxStore for PostgresInboxStore {
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
            " ORDER BY n.id DESC LIMIT $2"
        ))
        .bind(username)
        .bind(i64::from(limit))
        .fetch_all(self.query())
        .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn mark_read(&self, username: &str, up_to: i64) -> Result<u64, sqlx::Error> {
        let marked = sqlx::query(
            "UPDATE notifications SET read = TRUE
             WHERE user_id = (SELECT id FROM users WHERE username = $1) AND id <= $2 AND NOT read",
        )
        .bind(username)
        .bind(up_to)
        .execute(self.query())
        .await?;
        Ok(marked.rows_affected())
    }

    async fn mark_room_read(&self, username: &str, slug: &str) -> Result<u64, sqlx::Error> {
        let marked = sqlx::query(
            "UPDATE notifications SET read = TRUE
             WHERE user_id = (SELECT id FROM users WHERE username = $1) AND NOT read
               AND (SELECT room_id FROM messages WHERE id = message_id)
                 = (SELECT id FROM rooms WHERE slug = $2)",
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
             WHERE user_id = (SELECT id FROM users WHERE username = $1)",
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
              WHERE e.user_id = (SELECT id FROM users WHERE username = $1) AND e.id > $2
                AND (n.id IS NULL OR NOT r.private OR EXISTS (SELECT 1 FROM room_members
                     WHERE room_id = r.id AND user_id = e.user_id))
              ORDER BY e.id LIMIT $3"
        ))
        .bind(username)
        .bind(cursor)
        .bind(i64::from(limit))
        .fetch_all(self.query())
        .await?;
        Ok(Some(rows.into_iter().filter_map(user_event).collect()))
    }
}
