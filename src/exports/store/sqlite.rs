//! The SQLite export store.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use sqlx::SqlitePool;

use super::rows::JobRow;
use super::{Claim, ExportStore, Held, Job};
use crate::chat::domain::RoomSlug;
use crate::exports::format::Format;
use crate::inbox::store::event_before;
use crate::time::Timestamp;

/// Export jobs in a SQLite database.
#[derive(Clone, Debug)]
pub struct SqliteExportStore {
    pool: SqlitePool,
    /// SQL statements sent, for `/metrics`.
    queries: Arc<AtomicU64>,
    /// The jobs claimed: one process is the only runner of its SQLite file.
    claimed: Arc<Mutex<HashSet<i64>>>,
}

/// A job's claim in [`SqliteExportStore::claimed`], let go when dropped.
struct Claimed(Arc<Mutex<HashSet<i64>>>, i64);

impl Drop for Claimed {
    fn drop(&mut self) {
        self.0.lock().expect("claims lock poisoned").remove(&self.1);
    }
}

#[async_trait]
impl Held for Claimed {
    async fn release(self: Box<Self>) {}
}

impl SqliteExportStore {
    /// A store on `pool`, counting each statement it sends in `queries`.
    pub fn new(pool: SqlitePool, queries: Arc<AtomicU64>) -> Self {
        Self {
            pool,
            queries,
            claimed: Arc::default(),
        }
    }

    /// The pool, counting the statement about to be sent on it.
    fn query(&self) -> &SqlitePool {
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
impl ExportStore for SqliteExportStore {
    async fn create(
        &self,
        requester: &str,
        room: &RoomSlug,
        format: Format,
        at: Timestamp,
    ) -> Result<Job, sqlx::Error> {
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO exports (user_id, room_id, format, created_at)
             SELECT (SELECT id FROM users WHERE username = ?1), id, ?3, ?4
             FROM rooms WHERE slug = ?2
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
        let row: Option<JobRow> = sqlx::query_as(jobs!("WHERE e.id = ?1 AND e.created_at >= ?2"))
            .bind(id)
            .bind(since.millis())
            .fetch_optional(self.query())
            .await?;
        Ok(row.map(Job::from))
    }

    async fn jobs_of(&self, requester: &str, since: Timestamp) -> Result<Vec<Job>, sqlx::Error> {
        let rows: Vec<JobRow> = sqlx::query_as(jobs!(
            "WHERE u.username = ?1 AND e.created_at >= ?2 ORDER BY e.id DESC"
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
             FROM messages m JOIN rooms r ON r.id = m.room_id WHERE r.slug = ?1",
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
        self.queries.fetch_add(2, Ordering::Relaxed);
        let (user_id,): (i64,) = sqlx::query_as(
            "UPDATE exports SET percent = ?2, state = COALESCE(?3, state) WHERE id = ?1
             RETURNING user_id",
        )
        .bind(job.id)
        .bind(percent)
        .bind(state)
        .fetch_one(&mut *tx)
        .await?;
        let (cursor, after): (i64, i64) = sqlx::query_as(concat!(
            "INSERT INTO user_events (user_id, name, payload, created_at)
             VALUES (?1, ?2, ?3, ?4) RETURNING id, ",
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
            "UPDATE exports SET state = 'running', percent = 0, made_from = ?2 WHERE id = ?1",
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
                            WHERE e.id = ?1 AND m.deleted_at >= e.made_from)",
        )
        .bind(id)
        .fetch_one(self.query())
        .await
    }

    async fn expire(&self, before: Timestamp) -> Result<Vec<i64>, sqlx::Error> {
        let gone: Vec<(i64,)> = sqlx::query_as(
            "DELETE FROM exports WHERE created_at < ?1 AND state != 'running' RETURNING id",
        )
        .bind(before.millis())
        .fetch_all(self.query())
        .await?;
        Ok(gone.into_iter().map(|(id,)| id).collect())
    }

    async fn claim(&self, id: i64) -> Result<Option<Claim>, sqlx::Error> {
        let taken = self
            .claimed
            .lock()
            .expect("claims lock poisoned")
            .insert(id);
        Ok(taken.then(|| Claim(Box::new(Claimed(Arc::clone(&self.claimed), id)))))
    }
}
