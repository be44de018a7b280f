//! The SQLite store: rooms, members and messages in the app's database (opened and migrated
//! at start), writes in `BEGIN IMMEDIATE` transactions so concurrent writers queue on the
//! busy timeout instead of failing.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use sqlx::{FromRow, SqlitePool};

use super::{ChatStore, Membership, StoreError};
use crate::accounts::domain::Account;
use crate::chat::domain::{Message, MessageBody, Page, RoomSlug, RoomSummary, RoomTitle};
use crate::time::Timestamp;

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
    private: bool,
    message_count: i64,
    last_activity: i64,
}

impl From<RoomRow> for RoomSummary {
    fn from(row: RoomRow) -> Self {
        Self {
            slug: row.slug,
            title: row.title,
            private: row.private,
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
    /// A store on `pool`, counting each statement it sends in `queries`.
    pub fn new(pool: SqlitePool, queries: Arc<AtomicU64>) -> Self {
        Self { pool, queries }
    }

    /// The pool, counting the statement about to be sent on it.
    fn query(&self) -> &SqlitePool {
        self.count();
        &self.pool
    }

    fn count(&self) {
        self.queries.fetch_add(1, Ordering::Relaxed);
    }

    async fn room_id(&self, slug: &RoomSlug) -> Result<Option<i64>, StoreError> {
        Ok(sqlx::query_scalar("SELECT id FROM rooms WHERE slug = ?1")
            .bind(slug.as_str())
            .fetch_optional(self.query())
            .await?)
    }
}

#[async_trait]
impl ChatStore for SqliteStore {
    async fn create_room(
        &self,
        slug: &RoomSlug,
        title: &RoomTitle,
        private: bool,
        creator: &Account,
    ) -> Result<RoomSummary, StoreError> {
        let now = Timestamp::now().millis();
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        self.count();
        let row: RoomRow = sqlx::query_as(
            "INSERT INTO rooms (slug, title, private, creator_id, created_at, last_activity)
             VALUES (?1, ?2, ?3, ?4, ?5, ?5)
             RETURNING slug, title, private, message_count, last_activity",
        )
        .bind(slug.as_str())
        .bind(title.as_str())
        .bind(private)
        .bind(creator.id)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(|error| match &error {
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                StoreError::SlugTaken(slug.as_str().to_owned())
            }
            _ => StoreError::Database(error),
        })?;
        if private {
            self.count();
            sqlx::query(
                "INSERT INTO room_members (room_id, user_id, added_at)
                 SELECT id, ?2, ?3 FROM rooms WHERE slug = ?1",
            )
            .bind(slug.as_str())
            .bind(creator.id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(row.into())
    }

    async fn rooms(&self) -> Result<Vec<RoomSummary>, StoreError> {
        let rows: Vec<RoomRow> = sqlx::query_as(
            "SELECT slug, title, private, message_count, last_activity FROM rooms
             ORDER BY last_activity DESC, id DESC",
        )
        .fetch_all(self.query())
        .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn memberships(&self) -> Result<Vec<Membership>, StoreError> {
        let rows: Vec<(String, String, bool)> = sqlx::query_as(
            "SELECT r.slug, u.username, r.creator_id IS m.user_id
             FROM room_members m JOIN rooms r ON r.id = m.room_id JOIN users u ON u.id = m.user_id
             ORDER BY r.id, m.added_at, u.username",
        )
        .fetch_all(self.query())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(room, username, creator)| Membership {
                room,
                username,
                creator,
            })
            .collect())
    }

    async fn add_member(&self, slug: &RoomSlug, account: &Account) -> Result<(), StoreError> {
        let added = sqlx::query(
            "INSERT INTO room_members (room_id, user_id, added_at)
             SELECT id, ?2, ?3 FROM rooms WHERE slug = ?1
             ON CONFLICT DO NOTHING",
        )
        .bind(slug.as_str())
        .bind(account.id)
        .bind(Timestamp::now().millis())
        .execute(self.query())
        .await?;
        if added.rows_affected() == 0 && self.room_id(slug).await?.is_none() {
            return Err(StoreError::RoomNotFound(slug.as_str().to_owned()));
        }
        Ok(())
    }

    async fn remove_member(&self, slug: &RoomSlug, account: &Account) -> Result<bool, StoreError> {
        let removed = sqlx::query(
            "DELETE FROM room_members
             WHERE room_id = (SELECT id FROM rooms WHERE slug = ?1) AND user_id = ?2",
        )
        .bind(slug.as_str())
        .bind(account.id)
        .execute(self.query())
        .await?;
        Ok(removed.rows_affected() > 0)
    }

    async fn insert_message(
        &self,
        slug: &RoomSlug,
        author: &Account,
        body: &MessageBody,
    ) -> Result<(Message, RoomSummary), StoreError> {
        let now = Timestamp::now().millis();
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        self.count();
        let room: Option<RoomRow> = sqlx::query_as(
            "UPDATE rooms SET message_count = message_count + 1, last_activity = ?2
             WHERE slug = ?1 RETURNING slug, title, private, message_count, last_activity",
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
            "INSERT INTO messages (room_id, author, author_id, body, created_at)
             VALUES ((SELECT id FROM rooms WHERE slug = ?1), ?2, ?3, ?4, ?5)
             RETURNING id, ?1 AS room, author, body, created_at",
        )
        .bind(slug.as_str())
        .bind(&author.username)
        .bind(author.id)
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
