//! How far each person has read each room (`room_reads`), and what that leaves unread.

use sqlx::PgPool;

use crate::chat::domain::{RoomSlug, UNREAD_CAP};

/// Per room, the newest [`UNREAD_CAP`] messages by others after the reader's place that
/// still stand, of which those count that came after their place — or, in a room they
/// never opened, after they signed up. (Reading at most the cap from the newest end keeps
/// a room with a long history cheap.)
const UNREAD: &str = "
    SELECT slug, unread FROM (
      SELECT r.slug, (
        SELECT COUNT(*) FROM (
          SELECT m.created_at FROM messages m
          WHERE m.room_id = r.id AND m.id > COALESCE(rr.last_read, 0)
            AND m.deleted_at IS NULL AND m.author_id IS DISTINCT FROM u.id
          ORDER BY m.id DESC LIMIT $2
        ) AS newest WHERE rr.last_read IS NOT NULL OR newest.created_at > u.created_at
      ) AS unread
      FROM rooms r JOIN users u ON u.username = $1
      LEFT JOIN room_reads rr ON rr.room_id = r.id AND rr.user_id = u.id
    ) AS counted WHERE unread > 0";

/// See [`ChatStore::unread`](super::super::ChatStore::unread).
pub async fn unread(pool: &PgPool, username: &str) -> Result<Vec<(String, i64)>, sqlx::Error> {
    sqlx::query_as(UNREAD)
        .bind(username)
        .bind(UNREAD_CAP)
        .fetch_all(pool)
        .await
}

/// See [`ChatStore::last_read`](super::super::ChatStore::last_read).
pub async fn last_read(pool: &PgPool, slug: &RoomSlug, username: &str) -> Result<i64, sqlx::Error> {
    let place: Option<i64> = sqlx::query_scalar(
        "SELECT COALESCE(
           (SELECT last_read FROM room_reads WHERE room_id = r.id AND user_id = u.id),
           (SELECT MAX(id) FROM messages WHERE room_id = r.id AND created_at <= u.created_at),
           0)
         FROM rooms r JOIN users u ON u.username = $2 WHERE r.slug = $1",
    )
    .bind(slug.as_str())
    .bind(username)
    .fetch_optional(pool)
    .await?;
    Ok(place.unwrap_or(0))
}

/// See [`ChatStore::mark_read`](super::super::ChatStore::mark_read).
pub async fn mark_read(
    pool: &PgPool,
    slug: &RoomSlug,
    username: &str,
    up_to: i64,
) -> Result<bool, sqlx::Error> {
    let moved = sqlx::query(
        "INSERT INTO room_reads (user_id, room_id, last_read)
         SELECT u.id, r.id,
                LEAST($3, (SELECT COALESCE(MAX(id), 0) FROM messages WHERE room_id = r.id))
         FROM rooms r JOIN users u ON u.username = $2 WHERE r.slug = $1
         ON CONFLICT (user_id, room_id) DO UPDATE SET last_read = excluded.last_read
         WHERE excluded.last_read > room_reads.last_read",
    )
    .bind(slug.as_str())
    .bind(username)
    .bind(up_to)
    .execute(pool)
    .await?;
    Ok(moved.rows_affected() > 0)
}
