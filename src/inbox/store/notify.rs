//! The statements that make, reword and withdraw notifications inside the transaction of
//! the message they belong to. A person's events are numbered after their write lock is
//! taken — on SQLite the database's, which the transaction holds; on PostgreSQL their
//! `users` row's, locked in ascending id order so that two writes that notify several
//! people never deadlock — so each person's topic is numbered in the order its events
//! commit.

use super::{Mention, NOTIFIED_AT_MOST, Notified, event_before};
use crate::inbox::excerpt;
use crate::sql::{Dialect, Text, Tx, query};

/// Notifies the first [`NOTIFIED_AT_MOST`] of `usernames` that name an account of
/// `mention`, inside the caller's transaction: each gets an event on their topic and a
/// notification with its id — in two statements however many are named. Answers whom, with
/// what.
///
/// # Errors
/// If the database fails.
pub async fn notify(
    tx: &mut Tx,
    mention: &Mention<'_>,
    usernames: &[String],
) -> Result<Vec<Notified>, sqlx::Error> {
    let excerpt = excerpt(mention.body);
    let made = match tx.dialect() {
        Dialect::Sqlite => notify_in_sqlite(tx, mention, usernames, &excerpt).await?,
        Dialect::Postgres => notify_in_postgres(tx, mention, usernames, &excerpt).await?,
    };
    Ok(made
        .into_iter()
        .map(|(id, username, after)| Notified {
            username,
            notification: mention.notification(id, &excerpt),
            after,
        })
        .collect())
}

/// Each notification made: its id, its reader, and the cursor of the reader's event before.
type Made = Vec<(i64, String, i64)>;

/// The events first, in the order the names came, then their notifications.
async fn notify_in_sqlite(
    tx: &mut Tx,
    mention: &Mention<'_>,
    usernames: &[String],
    excerpt: &str,
) -> Result<Made, sqlx::Error> {
    let events: Made = query(concat!(
        "INSERT INTO user_events (user_id, name, created_at)
         SELECT u.id, 'notification', $2
         FROM json_each($1) AS named JOIN users u ON u.username = named.value
         ORDER BY named.key LIMIT $3
         RETURNING id, (SELECT username FROM users WHERE users.id = user_events.user_id), ",
        event_before!()
    ))
    .bind(usernames)
    .bind(mention.at.millis())
    .bind(NOTIFIED_AT_MOST)
    .all(&mut *tx)
    .await?;
    if events.is_empty() {
        return Ok(events);
    }
    let ids: Vec<i64> = events.iter().map(|(id, _, _)| *id).collect();
    query(
        "INSERT INTO notifications (id, user_id, message_id, excerpt, created_at)
         SELECT id, user_id, $2, $3, $4 FROM user_events
         WHERE id IN (SELECT value FROM json_each($1))",
    )
    .bind(&ids[..])
    .bind(mention.message_id)
    .bind(excerpt)
    .bind(mention.at.millis())
    .execute(&mut *tx)
    .await?;
    Ok(events)
}

/// The people's rows locked first, then their events and notifications in one statement.
async fn notify_in_postgres(
    tx: &mut Tx,
    mention: &Mention<'_>,
    usernames: &[String],
    excerpt: &str,
) -> Result<Made, sqlx::Error> {
    let people: Vec<(i64, String)> = query(
        "SELECT id, username FROM users WHERE id IN (
             SELECT u.id FROM unnest($1::text[]) WITH ORDINALITY AS named (username, at)
             JOIN users u ON u.username = named.username ORDER BY named.at LIMIT $2)
         ORDER BY id FOR NO KEY UPDATE",
    )
    .bind(usernames)
    .bind(NOTIFIED_AT_MOST)
    .all(&mut *tx)
    .await?;
    if people.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = people.iter().map(|(id, _)| *id).collect();
    let made: Vec<(i64, i64, i64)> = query(concat!(
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
    .bind(&ids[..])
    .bind(mention.at.millis())
    .bind(mention.message_id)
    .bind(excerpt)
    .all(&mut *tx)
    .await?;
    Ok(made
        .into_iter()
        .filter_map(|(id, user_id, after)| {
            let (_, username) = people.iter().find(|(person, _)| *person == user_id)?;
            Some((id, username.clone(), after))
        })
        .collect())
}

/// Keeps the excerpts of message `message_id`'s notifications in step with its new `body`,
/// inside the caller's transaction.
///
/// # Errors
/// If the database fails.
pub async fn reword(tx: &mut Tx, message_id: i64, body: &str) -> Result<(), sqlx::Error> {
    query("UPDATE notifications SET excerpt = $2 WHERE message_id = $1")
        .bind(message_id)
        .bind(&excerpt(body))
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
pub async fn withdraw(tx: &mut Tx, message_id: i64) -> Result<Vec<String>, sqlx::Error> {
    let gone: Vec<(i64, String)> = query(
        "DELETE FROM notifications WHERE message_id = $1
         RETURNING id, (SELECT username FROM users WHERE id = user_id)",
    )
    .bind(message_id)
    .all(&mut *tx)
    .await?;
    if gone.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = gone.iter().map(|(id, _)| *id).collect();
    query(Text::Each {
        sqlite: "DELETE FROM user_events WHERE id IN (SELECT value FROM json_each($1))",
        postgres: "DELETE FROM user_events WHERE id = ANY($1)",
    })
    .bind(&ids[..])
    .execute(&mut *tx)
    .await?;
    Ok(gone.into_iter().map(|(_, username)| username).collect())
}
