//! Rooms and messages as every backend reads them: the columns its queries name, and what
//! they become.

use sqlx::FromRow;

use super::Change;
use crate::chat::domain::{Message, RoomSummary};
use crate::time::Timestamp;

/// A room as a query or `RETURNING` reads it.
#[derive(FromRow)]
pub(super) struct RoomRow {
    slug: String,
    title: String,
    private: bool,
    message_count: i64,
    last_activity: i64,
    creator: Option<String>,
    thread_url: Option<String>,
}

impl From<RoomRow> for RoomSummary {
    fn from(row: RoomRow) -> Self {
        Self {
            slug: row.slug,
            title: row.title,
            private: row.private,
            message_count: row.message_count,
            last_activity: Timestamp(row.last_activity),
            creator: row.creator,
            unread: None,
            here: 0,
            thread: row.thread_url,
        }
    }
}

/// A new message as its `INSERT … RETURNING` reads it: the message, and the number of the
/// room's change before it (`(SELECT MAX(m.seq) …  WHERE m.seq < messages.seq)`).
#[derive(FromRow)]
pub(super) struct PostedRow {
    #[sqlx(flatten)]
    pub message: MessageRow,
    pub after: i64,
}

/// The number of a room's latest change: `$1`/`?1` is the slug.
pub(super) const LATEST_CHANGE: &str = "SELECT COALESCE(MAX(seq), 0) FROM messages
     WHERE room_id = (SELECT id FROM rooms WHERE slug = $1)";

/// A message as a query or `RETURNING` reads it, with the number of its latest change.
#[derive(FromRow)]
pub(super) struct MessageRow {
    id: i64,
    room: String,
    author: String,
    body: String,
    created_at: i64,
    edited_at: Option<i64>,
    deleted_at: Option<i64>,
    seq: i64,
}

impl From<MessageRow> for Message {
    fn from(row: MessageRow) -> Self {
        Self {
            id: row.id,
            room: row.room,
            author: row.author,
            body: row.body,
            created_at: Timestamp(row.created_at),
            edited_at: row.edited_at.map(Timestamp),
            deleted_at: row.deleted_at.map(Timestamp),
        }
    }
}

impl From<MessageRow> for Change {
    fn from(row: MessageRow) -> Self {
        Self {
            seq: row.seq,
            message: row.into(),
        }
    }
}
