//! Rooms, members and messages in the app's database, SQLite or PostgreSQL (opened and
//! migrated at start). Every change to a room is numbered in the order changes commit: the
//! writer first holds the room's write lock — on SQLite the database's, taken by the
//! transaction (`BEGIN IMMEDIATE`); on PostgreSQL the room's row, by the `UPDATE rooms` a
//! new message makes anyway or by `FOR NO KEY UPDATE` for an edit or a deletion — and only
//! then takes the next number of the sequence (see `changes.rs`). (`NO KEY`: the lock keeps
//! other changes to the room waiting, but not the foreign-key checks of rows that refer to
//! it.) Readers' places are in `reads.rs`.
//!
//! A deletion overwrites the message's text with `''`. SQLite zeroes the old text in its
//! file (`secure_delete`) and in its log (see [`Sql::erase_old_pages`]); on PostgreSQL the
//! row version that held it lingers in the table file (and the write-ahead log) until
//! VACUUM reclaims it and later writes reuse the space.

mod changes;
mod reads;
mod threads;

use async_trait::async_trait;

use super::rows::{LATEST_CHANGE, MessageRow, RoomRow};
use super::{Change, Changed, ChatStore, DeleteAs, Membership, Posted, StoreError, ThreadRoom};
use crate::accounts::domain::Account;
use crate::chat::domain::{Message, MessageBody, Page, RoomSlug, RoomSummary, RoomTitle};
use crate::sql::{Sql, query};
use crate::time::Timestamp;

/// Rooms and messages in the app's database.
#[derive(Clone, Debug)]
pub struct SqlChatStore {
    sql: Sql,
}

/// What a query or `RETURNING` reads of a room, as [`RoomRow`].
macro_rules! room_columns {
    () => {
        "slug, title, private, message_count, last_activity,
         (SELECT username FROM users WHERE id = creator_id) AS creator, thread_url"
    };
}
use room_columns;

/// What a query or `RETURNING` reads of a message, as [`MessageRow`]; `$1` is the slug.
macro_rules! message_columns {
    () => {
        "id, $1 AS room, author, body, created_at, edited_at, deleted_at, seq"
    };
}
use message_columns;

/// A room's messages between two cursors, in the order `$order` (of ids).
macro_rules! messages_between {
    ($order:literal) => {
        concat!(
            "SELECT ",
            message_columns!(),
            " FROM messages WHERE room_id = (SELECT id FROM rooms WHERE slug = $1)
               AND id < $2 AND id > $3
             ORDER BY id ",
            $order,
            " LIMIT $4"
        )
    };
}

/// A room's messages changed after a cursor, in the order of their latest changes.
const CHANGED_AFTER: &str = concat!(
    "SELECT ",
    message_columns!(),
    " FROM messages WHERE room_id = (SELECT id FROM rooms WHERE slug = $1) AND seq > $2
     ORDER BY seq LIMIT $3"
);

impl SqlChatStore {
    /// A store on `sql`.
    pub fn new(sql: Sql) -> Self {
        Self { sql }
    }

    async fn room_id(&self, slug: &RoomSlug) -> Result<Option<i64>, StoreError> {
        let id: Option<(i64,)> = query("SELECT id FROM rooms WHERE slug = $1")
            .bind(slug.as_str())
            .optional(&self.sql)
            .await?;
        Ok(id.map(|(id,)| id))
    }
}

#[async_trait]
impl ChatStore for SqlChatStore {
    async fn create_room(
        &self,
        slug: &RoomSlug,
        title: &RoomTitle,
        private: bool,
        creator: &Account,
    ) -> Result<RoomSummary, StoreError> {
        let now = Timestamp::now().millis();
        let mut tx = self.sql.begin().await?;
        let row: RoomRow = query(concat!(
            "INSERT INTO rooms (slug, title, private, creator_id, created_at, last_activity)
             VALUES ($1, $2, $3, $4, $5, $5)
             RETURNING ",
            room_columns!()
        ))
        .bind(slug.as_str())
        .bind(title.as_str())
        .bind(private)
        .bind(creator.id)
        .bind(now)
        .one(&mut tx)
        .await
        .map_err(|error| match &error {
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                StoreError::SlugTaken(slug.as_str().to_owned())
            }
            _ => StoreError::Database(error),
        })?;
        if private {
            query(
                "INSERT INTO room_members (room_id, user_id, added_at)
                 SELECT id, $2, $3 FROM rooms WHERE slug = $1",
            )
            .bind(slug.as_str())
            .bind(creator.id)
            .bind(now)
            .execute(&mut tx)
            .await?;
        }
        tx.commit().await?;
        Ok(row.into())
    }

    async fn rooms(&self) -> Result<Vec<RoomSummary>, StoreError> {
        let rows: Vec<RoomRow> = query(concat!(
            "SELECT ",
            room_columns!(),
            " FROM rooms ORDER BY last_activity DESC, id DESC"
        ))
        .all(&self.sql)
        .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn memberships(&self) -> Result<Vec<Membership>, StoreError> {
        let rows: Vec<(String, String, bool)> = query(
            "SELECT r.slug, u.username, r.creator_id IS NOT DISTINCT FROM m.user_id
             FROM room_members m JOIN rooms r ON r.id = m.room_id JOIN users u ON u.id = m.user_id
             ORDER BY r.id, m.added_at, u.username",
        )
        .all(&self.sql)
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
        let added = query(
            "INSERT INTO room_members (room_id, user_id, added_at)
             SELECT id, $2, $3 FROM rooms WHERE slug = $1
             ON CONFLICT DO NOTHING",
        )
        .bind(slug.as_str())
        .bind(account.id)
        .bind(Timestamp::now().millis())
        .execute(&self.sql)
        .await?;
        if added == 0 && self.room_id(slug).await?.is_none() {
            return Err(StoreError::RoomNotFound(slug.as_str().to_owned()));
        }
        Ok(())
    }

    async fn remove_member(&self, slug: &RoomSlug, account: &Account) -> Result<bool, StoreError> {
        let removed = query(
            "DELETE FROM room_members
             WHERE room_id = (SELECT id FROM rooms WHERE slug = $1) AND user_id = $2",
        )
        .bind(slug.as_str())
        .bind(account.id)
        .execute(&self.sql)
        .await?;
        Ok(removed > 0)
    }

    async fn insert_message(
        &self,
        slug: &RoomSlug,
        author: &Account,
        body: &MessageBody,
        mentioned: &[String],
    ) -> Result<Posted, StoreError> {
        self.insert(slug, author, body, mentioned).await
    }

    async fn messages(
        &self,
        slug: &RoomSlug,
        page: Page,
        limit: u32,
    ) -> Result<Vec<Message>, StoreError> {
        // Oldest first after a cursor; otherwise the newest before one, reversed below.
        let forward = page.after.is_some();
        let text = if forward {
            messages_between!("ASC")
        } else {
            messages_between!("DESC")
        };
        let mut rows: Vec<MessageRow> = query(text)
            .bind(slug.as_str())
            .bind(page.before.unwrap_or(i64::MAX))
            .bind(page.after.unwrap_or(0))
            .bind(limit)
            .all(&self.sql)
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
        self.edit(slug, id, editor, body).await
    }

    async fn delete_message(
        &self,
        slug: &RoomSlug,
        id: i64,
        by: &Account,
        on: DeleteAs,
    ) -> Result<Changed<(Change, Vec<String>)>, StoreError> {
        self.delete(slug, id, by, on).await
    }

    async fn open_thread(
        &self,
        url: &str,
        title: &RoomTitle,
        slug: &RoomSlug,
        creator: &Account,
    ) -> Result<(RoomSummary, bool), StoreError> {
        threads::open(&self.sql, url, title, slug, creator).await
    }

    async fn thread(&self, url: &str) -> Result<Option<ThreadRoom>, StoreError> {
        threads::find(&self.sql, url).await
    }

    async fn unread(&self, username: &str) -> Result<Vec<(String, i64)>, StoreError> {
        Ok(reads::unread(&self.sql, username).await?)
    }

    async fn last_read(&self, slug: &RoomSlug, username: &str) -> Result<i64, StoreError> {
        Ok(reads::last_read(&self.sql, slug, username).await?)
    }

    async fn mark_read(
        &self,
        slug: &RoomSlug,
        username: &str,
        up_to: i64,
    ) -> Result<bool, StoreError> {
        Ok(reads::mark_read(&self.sql, slug, username, up_to).await?)
    }

    async fn latest_change(&self, slug: &RoomSlug) -> Result<i64, StoreError> {
        let (latest,): (i64,) = query(LATEST_CHANGE)
            .bind(slug.as_str())
            .one(&self.sql)
            .await?;
        Ok(latest)
    }

    async fn changes_after(
        &self,
        slug: &RoomSlug,
        cursor: i64,
        limit: u32,
    ) -> Result<Option<Vec<Change>>, StoreError> {
        if cursor < 0 || cursor > self.latest_change(slug).await? {
            return Ok(None);
        }
        let rows: Vec<MessageRow> = query(CHANGED_AFTER)
            .bind(slug.as_str())
            .bind(cursor)
            .bind(limit)
            .all(&self.sql)
            .await?;
        Ok(Some(rows.into_iter().map(Into::into).collect()))
    }
}
