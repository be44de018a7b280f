//! Comment threads: rooms that each belong to one page (`thread_url`, unique). Opening a
//! page's thread twice, even from two instances at once, finds the one room.

use sqlx::FromRow;

use super::room_columns;
use crate::accounts::domain::Account;
use crate::chat::domain::{RoomSlug, RoomSummary, RoomTitle};
use crate::chat::store::rows::RoomRow;
use crate::chat::store::{StoreError, ThreadRoom};
use crate::sql::{Sql, query};
use crate::time::Timestamp;

/// See [`ChatStore::open_thread`](crate::chat::store::ChatStore::open_thread).
pub(super) async fn open(
    sql: &Sql,
    url: &str,
    title: &RoomTitle,
    slug: &RoomSlug,
    creator: &Account,
) -> Result<(RoomSummary, bool), StoreError> {
    let now = Timestamp::now().millis();
    let created = query(
        "INSERT INTO rooms (slug, title, private, creator_id, created_at, last_activity, thread_url)
         VALUES ($1, $2, FALSE, $3, $4, $4, $5)
         ON CONFLICT (thread_url) DO NOTHING",
    )
    .bind(slug.as_str())
    .bind(title.as_str())
    .bind(creator.id)
    .bind(now)
    .bind(url)
    .execute(sql)
    .await?;
    let thread = find(sql, url).await?;
    let thread = thread.ok_or_else(|| StoreError::RoomNotFound(slug.as_str().to_owned()))?;
    Ok((thread.room, created > 0))
}

/// See [`ChatStore::thread`](crate::chat::store::ChatStore::thread).
pub(super) async fn find(sql: &Sql, url: &str) -> Result<Option<ThreadRoom>, StoreError> {
    let row: Option<ThreadRow> = query(concat!(
        "SELECT ",
        room_columns!(),
        ", (SELECT COUNT(*) FROM messages m WHERE m.room_id = rooms.id AND m.deleted_at IS NULL)
           AS count
         FROM rooms WHERE thread_url = $1"
    ))
    .bind(url)
    .optional(sql)
    .await?;
    Ok(row.map(|row| ThreadRoom {
        room: row.room.into(),
        count: row.count,
    }))
}

/// A thread's room and its standing comments, as [`find`] reads them.
#[derive(FromRow)]
struct ThreadRow {
    #[sqlx(flatten)]
    room: RoomRow,
    count: i64,
}
