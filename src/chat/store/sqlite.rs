//! The SQLite store: one file, WAL mode, writes in `BEGIN IMMEDIATE` transactions so
//! concurrent writers queue on the busy timeout instead of failing.

use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{FromRow, SqlitePool};

use super::{ChatStore, StoreError};
use crate::chat::domain::{
    DisplayName, Message, MessageBody, Page, RoomSlug, RoomSummary, RoomTitle,
};
use crate::chat::time::Timestamp;

/// Rooms and messages in a SQLite database.
#[derive(Clone, Debug)]
pub struct SqliteStore {
    pool: SqlitePool,
    /// SQL statements sent, for `/metrics`.
    queries: Arc<AtomicU64>,
}

#[derive(FromRow)]
struct RoomRow {
    slug: String,
    title: String,
    message_count: i64,
    last_activity: i64,
}

impl From<RoomRow> for RoomSummary {
    fn from(row: RoomRow) -> Self {
        Self {
            slug: row.slug,
            title: row.title,
            message_count: row.message_count,
            last_activity: Timestamp(row.last_activity),
        }
    }
}

#[derive(FromRow)]
struct MessageRow {
    id: i64,
    room: String,
    author: String,
    body: String,
    created_at: i64,
}

impl From<MessageRow> for Message {
    fn from(row: MessageRow) -> Self {
        Self {
            id: row.id,
            room: row.room,
            author: row.author,
            body: row.body,
            created_at: Timestamp(row.created_at),
        }
    }
}

/// The newest messages of a room before a cursor, newest first.
const NEWEST_BEFORE: &str = "SELECT m.id, r.slug AS room, m.author, m.body, m.created_at
     FROM messages m JOIN rooms r ON r.id = m.room_id
     WHERE r.slug = ?1 AND m.id < ?2 AND m.id > ?3
     ORDER BY m.id DESC LIMIT ?4";

/// The oldest messages of a room after a cursor, oldest first.
const OLDEST_AFTER: &str = "SELECT m.id, r.slug AS room, m.author, m.body, m.created_at
     FROM messages m JOIN rooms r ON r.id = m.room_id
     WHERE r.slug = ?1 AND m.id < ?2 AND m.id > ?3
     ORDER BY m.id ASC LIMIT ?4";

impl SqliteStore {
    /// Opens (creating if needed) the database at `url` and applies pending migrations.
    /// Counts each statement it sends afterwards in `queries`.
    ///
    /// # Errors
    /// If the URL is malformed, the file can't be opened, or a migration fails.
    pub async fn connect(url: &str, queries: Arc<AtomicU64>) -> Result<Self, sqlx::Error> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        Ok(Self { pool, queries })
    }

    /// The pool, counting the statement about to be sent on it.
    fn query(&self) -> &SqlitePool {
        self.count();
        &self.pool
    }

    fn count(&self) {
        self.queries.fetch_add(1, Ordering::Relaxed);
    }
}

#[async_trait]
impl ChatStore for SqliteStore {
    async fn create_room(
        &self,
        slug: &RoomSlug,
        title: &RoomTitle,
    ) -> Result<RoomSummary, StoreError> {
        let now = Timestamp::now().millis();
        let row: RoomRow = sqlx::query_as(
            "INSERT INTO rooms (slug, title, created_at, last_activity) VALUES (?1, ?2, ?3, ?3)
             RETURNING slug, title, message_count, last_activity",
        )
        .bind(slug.as_str())
        .bind(title.as_str())
        .bind(now)
        .fetch_one(self.query())
        .await
        .map_err(|error| match &error {
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                StoreError::SlugTaken(slug.as_str().to_owned())
            }
            _ => StoreError::Database(error),
        })?;
        Ok(row.into())
    }

    async fn rooms(&self) -> Result<Vec<RoomSummary>, StoreError> {
        let rows: Vec<RoomRow> = sqlx::query_as(
            "SELECT slug, title, message_count, last_activity FROM rooms
             ORDER BY last_activity DESC, id DESC",
        )
        .fetch_all(self.query())
        .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn insert_message(
        &self,
        slug: &RoomSlug,
        author: &DisplayName,
        body: &MessageBody,
    ) -> Result<(Message, RoomSummary), StoreError> {
        let now = Timestamp::now().millis();
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        self.count();
        let room: Option<RoomRow> = sqlx::query_as(
            "UPDATE rooms SET message_count = message_count + 1, last_activity = ?2
             WHERE slug = ?1 RETURNING slug, title, message_count, last_activity",
        )
        .bind(slug.as_str())
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(room) = room else {
            return Err(StoreError::RoomNotFound(slug.as_str().to_owned()));
        };
        self.count();
        let message: MessageRow = sqlx::query_as(
            "INSERT INTO messages (room_id, author, body, created_at)
             VALUES ((SELECT id FROM rooms WHERE slug = ?1), ?2, ?3, ?4)
             RETURNING id, ?1 AS room, author, body, created_at",
        )
        .bind(slug.as_str())
        .bind(author.as_str())
        .bind(body.as_str())
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok((message.into(), room.into()))
    }

    async fn messages(
        &self,
        slug: &RoomSlug,
        page: Page,
        limit: u32,
    ) -> Result<Vec<Message>, StoreError> {
        // Oldest first after a cursor; otherwise the newest before one, reversed below.
        let forward = page.after.is_some();
        let query = if forward { OLDEST_AFTER } else { NEWEST_BEFORE };
        let mut rows: Vec<MessageRow> = sqlx::query_as(query)
            .bind(slug.as_str())
            .bind(page.before.unwrap_or(i64::MAX))
            .bind(page.after.unwrap_or(0))
            .bind(limit)
            .fetch_all(self.query())
            .await?;
        if !forward {
            rows.reverse();
        }
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn has_message(&self, slug: &RoomSlug, id: i64) -> Result<bool, StoreError> {
        let found: Option<i64> = sqlx::query_scalar(
            "SELECT m.id FROM messages m JOIN rooms r ON r.id = m.room_id
             WHERE m.id = ?1 AND r.slug = ?2",
        )
        .bind(id)
        .bind(slug.as_str())
        .fetch_optional(self.query())
        .await?;
        Ok(found.is_some())
    }
}
