//! The Postgres export store. An event told to a requester is numbered on their topic after
//! their `users` row is locked, as the inbox's are (see `inbox::store::postgres`), so the
//! topic stays in commit order.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use sqlx::{Connection, PgConnection, PgPool};

use super::rows::JobRow;
use super::{Claim, ExportStore, Held, Job};
use crate::chat::domain::RoomSlug;
use crate::exports::format::Format;
use crate::inbox::store::event_before;
use crate::time::Timestamp;

/// The first half of the advisory lock keys of export jobs (the second is the job's id),
/// so that they meet no other user of advisory locks.
const EXPORT_LOCKS: i32 = 0x4d75_4578;

/// A job's advisory lock, and the connection that holds it.
struct Locked {
    own: PgConnection,
    id: i64,
}

#[async_trait]
impl Held for Locked {
    async fn release(mut self: Box<Self>) {
        let unlocked = sqlx::query("SELECT pg_advisory_unlock($1, $2)")
            .bind(EXPORT_LOCKS)
            .bind(self.id as i32)
            .execute(&mut self.own)
            .await;
        if let Err(error) = unlocked {
            tracing::warn!(%error, "an export's claim is let go when its connection closes");
        }
        let _ = self.own.close().await;
    }
}

/// Export jobs in a PostgreSQL database.
#[derive(Clone, Debug)]
pub struct PostgresExportStore {
    pool: PgPool,
    /// SQL statements sent, for `/metrics`.
    queries: Arc<AtomicU64>,
}

impl PostgresExportStore {
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

/// Reads the jobs `e` that `$filter` picks as [`JobRow`]s.
macro_rules! jobs {
    ($filter:literal) => {
        concat!(
            "SELECT e.id, u.username AS requester, r.slug AS room, e.format, e.state,
                    e.percent, e.created_at
             FROM exports e JOIN users u ON u.id = e.user_id JOIN rooms r ON r.id = e.room_id ",
            $filter
        )
    };
}

#[async_trait]
impl ExportStore for PostgresExportStore {
    async fn create(
        &self,
        requester: &str,
        room: &RoomSlug,
        format: Format,
        at: Timestamp,
    ) -> Result<Job, sqlx::Error> {
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO exports (user_id, room_id, format, created_at)
             SELECT (SELECT id FROM users WHERE username = $1), id, $3, $4
             FROM rooms WHERE slug = $2
             RETURNING id",
        )
        .bind(requester)
        .bind(room.as_str())
        .bind(format.name())
        .bind(at.millis())
        .fetch_one(self.query())
        .await?;
        Ok(Job {
            id,
            requester: requester.to_owned(),
            room: room.as_str().to_owned(),
            format,
            state: "running".into(),
            percent: 0,
            created_at: at,
        })
    }

    async fn job(&self, id: i64, since: Timestamp) -> Result<Option<Job>, sqlx::Error> {
        let row: Option<JobRow> = sqlx::query_as(jobs!("WHERE e.id = $1 AND e.created_at >= $2"))
            .bind(id)
            .bind(since.millis())
            .fetch_optional(self.query())
            .await?;
        Ok(row.map(Job::from))
    }

    async fn jobs_of(&self, requester: &str, since: Timestamp) -> Result<Vec<Job>, sqlx::Error> {
        let rows: Vec<JobRow> = sqlx::query_as(jobs!(
            "WHERE u.username = $1 AND e.created_at >= $2 ORDER BY e.id DESC"
        ))
        .bind(requester)
        .bind(since.millis())
        .fetch_all(self.query())
        .await?;
        Ok(rows.into_iter().map(Job::from).collect())
    }

    async fn running(&self) -> Result<Vec<Job>, sqlx::Error> {
        let rows: Vec<JobRow> = sqlx::query_as(jobs!("WHERE e.state = 'running' ORDER BY e.id"))
            .fetch_all(self.query())
            .await?;
        Ok(rows.into_iter().map(Job::from).collect())
    }

    async fn extent(&self, room: &str) -> Result<(i64, i64), sqlx::Error> {
        sqlx::query_as(
            "SELECT COUNT(*), COALESCE(MAX(m.id), 0)
             FROM messages m JOIN rooms r ON r.id = m.room_id WHERE r.slug = $1",
        )
        .bind(room)
        .fetch_one(self.query())
        .await
    }

    async fn advance(
        &self,
        job: &Job,
        percent: i64,
        state: Option<&str>,
        (name, payload): (&str, &str),
    ) -> Result<(i64, i64), sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        self.queries.fetch_add(3, Ordering::Relaxed);
        let (user_id,): (i64,) = sqlx::query_as(
            "UPDATE exports SET percent = $2, state = COALESCE($3, state) WHERE id = $1
             RETURNING user_id",
        )
        .bind(job.id)
        .bind(percent)
        .bind(state)
        .fetch_one(&mut *tx)
        .await?;
        // The requester's topic takes its next number only once theirs is the one writer.
        sqlx::query("SELECT 1 FROM users WHERE id = $1 FOR NO KEY UPDATE")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        let (cursor, after): (i64, i64) = sqlx::query_as(concat!(
            "INSERT INTO user_events (user_id, name, payload, created_at)
             VALUES ($1, $2, $3, $4) RETURNING id, ",
            event_before!()
        ))
        .bind(user_id)
        .bind(name)
        .bind(payload)
        .bind(Timestamp::now().millis())
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok((cursor, after))
    }

    async fn begin(&self, id: i64, at: Timestamp) -> Result<(), sqlx::Error> {
        sqlx::query(
            "UPDATE exports SET state = 'running', percent = 0, made_from = $2 WHERE id = $1",
        )
        .bind(id)
        .bind(at.millis())
        .execute(self.query())
        .await?;
        Ok(())
    }

    async fn stale(&self, id: i64) -> Result<bool, sqlx::Error> {
        sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM exports e JOIN messages m ON m.room_id = e.room_id
                            WHERE e.id = $1 AND m.deleted_at >= e.made_from)",
        )
        .bind(id)
        .fetch_one(self.query())
        .await
    }

    async fn expire(&self, before: Timestamp) -> Result<Vec<i64>, sqlx::Error> {
        let gone: Vec<(i64,)> = sqlx::query_as(
            "DELETE FROM exports WHERE created_at < $1 AND state != 'running' RETURNING id",
        )
        .bind(before.millis())
        .fetch_all(self.query())
        .await?;
        Ok(gone.into_iter().map(|(id,)| id).collect())
    }

    /// A session-level advisory lock on a connection of its own, held by the claim: a
    /// runner whose instance dies loses its connection, and with it the lock.
    async fn claim(&self, id: i64) -> Result<Option<Claim>, sqlx::Error> {
        self.queries.fetch_add(1, Ordering::Relaxed);
        let mut own = PgConnection::connect_with(&self.pool.connect_options()).await?;
        let taken: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1, $2)")
            .bind(EXPORT_LOCKS)
            // Ids past 2^31 wrap: two jobs two billion apart share a lock, and wait in turn.
            .bind(id as i32)
            .fetch_one(&mut own)
            .await?;
        Ok(taken.then(|| Claim(Box::new(Locked { own, id }))))
    }
}
