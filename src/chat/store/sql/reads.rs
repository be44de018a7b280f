//! How far each person has read each room (`room_reads`), and what that leaves unread.

use crate::chat::domain::{RoomSlug, UNREAD_CAP};
use crate::sql::{Sql, Text, query};

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

/// Moves a reader's place forward to `$3`, or to the room's newest message if that is
/// older; `$least` is the smaller of two values, which the two databases spell apart.
macro_rules! mark_read {
    ($least:literal) => {
        concat!(
            "INSERT INTO room_reads (user_id, room_id, last_read)
             SELECT u.id, r.id,
                    ",
            $least,
            "($3, (SELECT COALESCE(MAX(id), 0) FROM messages WHERE room_id = r.id))
             FROM rooms r JOIN users u ON u.username = $2 WHERE r.slug = $1
             ON CONFLICT (user_id, room_id) DO UPDATE SET last_read = excluded.last_read
             WHERE excluded.last_read > room_reads.last_read"
        )
    };
}

const MARK_READ: Text = Text::Each {
    sqlite: mark_read!("MIN"),
    postgres: mark_read!("LEAST"),
};

/// See [`ChatStore::unread`](crate::chat::store::ChatStore::unread).
pub async fn unread(sql: &Sql, username: &str) -> Result<Vec<(String, i64)>, sqlx::Error> {
    query(UNREAD).bind(username).bind(UNREAD_CAP).all(sql).await
}

/// See [`ChatStore::last_read`](crate::chat::store::ChatStore::last_read).
pub async fn last_read(sql: &Sql, slug: &RoomSlug, username: &str) -> Result<i64, sqlx::Error> {
    let place: Option<(i64,)> = query(
        "SELECT COALESCE(
           (SELECT last_read FROM room_reads WHERE room_id = r.id AND user_id = u.id),
           (SELECT MAX(id) FROM messages WHERE room_id = r.id AND created_at <= u.created_at),
           0)
         FROM rooms r JOIN users u ON u.username = $2 WHERE r.slug = $1",
    )
    .bind(slug.as_str())
    .bind(username)
    .optional(sql)
    .await?;
    Ok(place.map_or(0, |(place,)| place))
}

/// See [`ChatStore::mark_read`](crate::chat::store::ChatStore::mark_read).
pub async fn mark_read(
    sql: &Sql,
    slug: &RoomSlug,
    username: &str,
    up_to: i64,
) -> Result<bool, sqlx::Error> {
    let moved = query(MARK_READ)
        .bind(slug.as_str())
        .bind(username)
        .bind(up_to)
        .execute(sql)
        .await?;
    Ok(moved > 0)
}
