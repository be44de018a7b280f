//! The SQLite store: rooms, members and messages in the app's database (opened and migrated
//! at start), writes in `BEGIN IMMEDIATE` transactions so concurrent writers queue on the
//! busy timeout instead of failing. The sequence that numbers every change to a room is the
//! messages table's AUTOINCREMENT counter, in `sqlite_sequence`. (Readers' places are in
//! `reads.rs`.)

mod reads;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use sqlx::SqlitePool;

use super::rows::{LATEST_CHANGE, MessageRow, PostedRow, RoomRow};
use super::{Change, Changed, ChatStore, Membership, Posted, StoreError};
use crate::accounts::domain::Account;
use crate::chat::domain::{Message, MessageBody, Page, RoomSlug, RoomSummary, RoomTitle};
use crate::inbox::store::Mention;
use crate::inbox::store::sqlite::{notify, reword, withdraw};
use crate::time::Timestamp;

/// Rooms and messages in a SQLite database.
#[derive(Clone, Debug)]
pub struct SqliteStore {
    pool: SqlitePool,
    /// SQL statements sent, for `/metrics`.
    queries: Arc<AtomicU64>,
}

/// What a query or `RETURNING` reads of a room, as [`RoomRow`].
macro_rules! room_columns {
    () => {
        "slug, title, private, message_count, last_activity,
         (SELECT username FROM users WHERE id = creator_id) AS creator"
    };
}

/// What a query or `RETURNING` reads of a message, as [`MessageRow`]; `?1` is the slug.
macro_rules! message_columns {
    () => {
        "id, ?1 AS room, author, body, created_at, edited_at, deleted_at, seq"
    };
}

/// The newest messages of a room before a cursor, newest first.
const NEWEST_BEFORE: &str = concat!(
    "SELECT ",
    message_columns!(),
    " FROM messages WHERE room_id = (SELECT id FROM rooms WHERE slug = ?1)
       AND id < ?2 AND id > ?3
     ORDER BY id DESC LIMIT ?4"
);

/// The oldest messages of a room after a cursor, oldest first.
const OLDEST_AFTER: &str = concat!(
    "SELECT ",
    message_columns!(),
    " FROM messages WHERE room_id = (SELECT id FROM rooms WHERE slug = ?1)
       AND id < ?2 AND id > ?3
     ORDER BY id ASC LIMIT ?4"
);

/// A room's messages changed after a cursor, in the order of their latest changes.
const CHANGED_AFTER: &str = concat!(
    "SELECT ",
    message_columns!(),
    " FROM messages WHERE room_id = (SELECT id FROM rooms WHERE slug = ?1) AND seq > ?2
     ORDER BY seq LIMIT ?3"
);

/// Replaces a standing message's text, if `?4` wrote it; `?5` is the change's number.
const EDIT: &str = concat!(
    "UPDATE messages SET body = ?2, edited_at = ?3, seq = ?5
     WHERE id = ?6 AND deleted_at IS NULL AND author_id = ?4
       AND room_id = (SELECT id FROM rooms WHERE slug = ?1)
     RETURNING ",
    message_columns!()
);

/// Erases a standing message's text, if `?3` wrote it or created its room; `?4` is the
/// change's number.
const DELETE: &str = concat!(
    "UPDATE messages SET body = '', deleted_at = ?2, seq = ?4
     WHERE id = ?5 AND deleted_at IS NULL
       AND room_id = (SELECT id FROM rooms WHERE slug = ?1)
       AND (author_id = ?3 OR (SELECT creator_id FROM rooms WHERE slug = ?1) = ?3)
     RETURNING ",
    message_columns!()
);

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

    /// Takes the next number of the sequence of changes, inside a write transaction.
    async fn next_change(&self, tx: &mut sqlx::SqliteConnection) -> Result<i64, StoreError> {
        self.count();
        Ok(sqlx::query_scalar(
            "UPDATE sqlite_sequence SET seq = seq + 1 WHERE name = 'messages' RETURNING seq",
        )
        .fetch_one(tx)
        .await?)
    }

    /// The number of room `slug`'s latest change, once the caller holds its write lock.
    async fn latest_change_in(
        &self,
        tx: &mut sqlx::SqliteConnection,
        slug: &RoomSlug,
    ) -> Result<i64, StoreError> {
        self.count();
        Ok(sqlx::query_scalar(LATEST_CHANGE)
            .bind(slug.as_str())
            .fetch_one(tx)
            .await?)
    }

    /// Why a change to message `id` matched nothing: it is not there, or it is and the
    /// caller may not change it (`refusal`).
    async fn why_not(&self, slug: &RoomSlug, id: i64, refusal: &'static str) -> StoreError {
        let standing = sqlx::query_scalar::<_, i64>(
            "SELECT id FROM messages WHERE id = ?2 AND deleted_at IS NULL
               AND room_id = (SELECT id FROM rooms WHERE slug = ?1)",
        )
        .bind(slug.as_str())
        .bind(id)
        .fetch_optional(self.query())
        .await;
        match standing {
            Ok(Some(_)) => StoreError::NotAllowed(refusal),
            Ok(None) => StoreError::MessageNotFound(id),
            Err(error) => error.into(),
        }
    }

    /// Copies the write-ahead log into the file and empties it, so that text just erased
    /// is gone from the log too (the file itself zeroes what is deleted: `secure_delete`).
    /// Best effort: with readers in the way, the next checkpoint does it.
    async fn erase_old_pages(&self) {
        let done: Result<(i64, i64, i64), _> = sqlx::query_as("PRAGMA wal_checkpoint(TRUNCATE)")
            .fetch_one(self.query())
            .await;
        match done {
            Ok((0, _, _)) => {}
            Ok(_) => tracing::debug!("checkpoint after a deletion left for later: readers"),
            Err(error) => tracing::warn!(%error, "checkpoint after a deletion failed"),
        }
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
        let row: RoomRow = sqlx::query_as(concat!(
            "INSERT INTO rooms (slug, title, private, creator_id, created_at, last_activity)
             VALUES (?1, ?2, ?3, ?4, ?5, ?5)
             RETURNING ",
            room_columns!()
        ))
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
        let rows: Vec<RoomRow> = sqlx::query_as(concat!(
            "SELECT ",
            room_columns!(),
            " FROM rooms ORDER BY last_activity DESC, id DESC"
        ))
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
        mentioned: &[String],
    ) -> Result<Posted, StoreError> {
        let now = Timestamp::now().millis();
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        self.count();
        let room: Option<RoomRow> = sqlx::query_as(concat!(
            "UPDATE rooms SET message_count = message_count + 1, last_activity = ?2
             WHERE slug = ?1 RETURNING ",
            room_columns!()
        ))
        .bind(slug.as_str())
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(room) = room else {
            return Err(StoreError::RoomNotFound(slug.as_str().to_owned()));
        };
        self.count();
        // The id is the sequence's next number, and so is the message's first change.
        let posted: PostedRow = sqlx::query_as(concat!(
            "INSERT INTO messages (id, seq, room_id, author, author_id, body, created_at)
             SELECT s.seq + 1, s.seq + 1, (SELECT id FROM rooms WHERE slug = ?1), ?2, ?3, ?4, ?5
             FROM sqlite_sequence s WHERE s.name = 'messages'
             RETURNING ",
            message_columns!(),
            ", (SELECT COALESCE(MAX(m.seq), 0) FROM messages m
                WHERE m.room_id = messages.room_id AND m.seq < messages.seq) AS after"
        ))
        .bind(slug.as_str())
        .bind(&author.username)
        .bind(author.id)
        .bind(body.as_str())
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let message = Message::from(posted.message);
        let mention = Mention {
            room: slug.as_str(),
            message_id: message.id,
            from: &author.username,
            body: body.as_str(),
            at: message.created_at,
        };
        let notified = match mentioned {
            [] => Vec::new(),
            names => notify(&mut tx, &mention, names, &self.queries).await?,
        };
        tx.commit().await?;
        Ok(Posted {
            message,
            room: room.into(),
            after: posted.after,
            notified,
        })
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

    async fn edit_message(
        &self,
        slug: &RoomSlug,
        id: i64,
        editor: &Account,
        body: &MessageBody,
    ) -> Result<Changed<Change>, StoreError> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let seq = self.next_change(&mut tx).await?;
        let after = self.latest_change_in(&mut tx, slug).await?;
        self.count();
        let edited: Option<MessageRow> = sqlx::query_as(EDIT)
            .bind(slug.as_str())
            .bind(body.as_str())
            .bind(Timestamp::now().millis())
            .bind(editor.id)
            .bind(seq)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(edited) = edited else {
            drop(tx);
            return Err(self
                .why_not(slug, id, "only its author may edit a message")
                .await);
        };
        reword(&mut tx, id, body.as_str(), &self.queries).await?;
        tx.commit().await?;
        Ok(Changed {
            made: edited.into(),
            after,
        })
    }

    async fn delete_message(
        &self,
        slug: &RoomSlug,
        id: i64,
        by: &Account,
    ) -> Result<Changed<(Change, Vec<String>)>, StoreError> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let seq = self.next_change(&mut tx).await?;
        let after = self.latest_change_in(&mut tx, slug).await?;
        self.count();
        let deleted: Option<MessageRow> = sqlx::query_as(DELETE)
            .bind(slug.as_str())
            .bind(Timestamp::now().millis())
            .bind(by.id)
            .bind(seq)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(deleted) = deleted else {
            drop(tx);
            let refusal = "only its author or the room's creator may delete a message";
            return Err(self.why_not(slug, id, refusal).await);
        };
        let withdrawn = withdraw(&mut tx, id, &self.queries).await?;
        tx.commit().await?;
        self.erase_old_pages().await;
        Ok(Changed {
            made: (deleted.into(), withdrawn),
            after,
        })
    }

    async fn unread(&self, username: &str) -> Result<Vec<(String, i64)>, StoreError> {
        self.count();
        Ok(reads::unread(&self.pool, username).await?)
    }

    async fn last_read(&self, slug: &RoomSlug, username: &str) -> Result<i64, StoreError> {
        self.count();
        Ok(reads::last_read(&self.pool, slug, username).await?)
    }

    async fn mark_read(
        &self,
        slug: &RoomSlug,
        username: &str,
        up_to: i64,
    ) -> Result<bool, StoreError> {
        self.count();
        Ok(reads::mark_read(&self.pool, slug, username, up_to).await?)
    }

    async fn latest_change(&self, slug: &RoomSlug) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(LATEST_CHANGE)
            .bind(slug.as_str())
            .fetch_one(self.query())
            .await?)
    }

    async fn changes_after(
        &self,
        slug: &RoomSlug,
        cursor: i64,
        limit: u32,
    ) -> Result<Option<Vec<Change>>, StoreError> {
        let latest: Option<i64> = sqlx::query_scalar(
            "SELECT MAX(seq) FROM messages WHERE room_id = (SELECT id FROM rooms WHERE slug = ?1)",
        )
        .bind(slug.as_str())
        .fetch_one(self.query())
        .await?;
        if cursor < 0 || cursor > latest.unwrap_or(0) {
            return Ok(None);
        }
        let rows: Vec<MessageRow> = sqlx::query_as(CHANGED_AFTER)
            .bind(slug.as_str())
            .bind(cursor)
            .bind(limit)
            .fetch_all(self.query())
            .await?;
        Ok(Some(rows.into_iter().map(Into::into).collect()))
    }
}
