//! Export jobs in the app's database, SQLite or PostgreSQL. An event told to a requester is
//! numbered on their topic after their `users` row is locked, as the inbox's are (see
//! `inbox::store::notify`), so the topic stays in commit order.

use async_trait::async_trait;

use super::claims::Claims;
use super::rows::JobRow;
use super::{Claim, ExportStore, Job};
use crate::chat::domain::RoomSlug;
use crate::exports::format::Format;
use crate::inbox::store::event_before;
use crate::sql::{Sql, query};
use crate::time::Timestamp;

/// Export jobs in the app's database.
#[derive(Clone, Debug)]
pub struct SqlExportStore {
    sql: Sql,
    claims: Claims,
}

impl SqlExportStore {
    /// A store on `sql`.
    pub fn new(sql: Sql) -> Self {
        let claims = Claims::on(&sql);
        Self { sql, claims }
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
impl ExportStore for SqlExportStore {
    async fn create(
        &self,
        requester: &str,
        room: &RoomSlug,
        format: Format,
        at: Timestamp,
    ) -> Result<Job, sqlx::Error> {
        let (id,): (i64,) = query(
            "INSERT INTO exports (user_id, room_id, format, created_at)
             SELECT (SELECT id FROM users WHERE username = $1), id, $3, $4
             FROM rooms WHERE slug = $2
             RETURNING id",
        )
        .bind(requester)
        .bind(room.as_str())
        .bind(format.name())
        .bind(at.millis())
        .one(&self.sql)
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
        let row: Option<JobRow> = query(jobs!("WHERE e.id = $1 AND e.created_at >= $2"))
            .bind(id)
            .bind(since.millis())
            .optional(&self.sql)
            .await?;
        Ok(row.map(Job::from))
    }

    async fn jobs_of(&self, requester: &str, since: Timestamp) -> Result<Vec<Job>, sqlx::Error> {
        let rows: Vec<JobRow> = query(jobs!(
            "WHERE u.username = $1 AND e.created_at >= $2 ORDER BY e.id DESC"
        ))
        .bind(requester)
        .bind(since.millis())
        .all(&self.sql)
        .await?;
        Ok(rows.into_iter().map(Job::from).collect())
    }

    async fn running(&self) -> Result<Vec<Job>, sqlx::Error> {
        let rows: Vec<JobRow> = query(jobs!("WHERE e.state = 'running' ORDER BY e.id"))
            .all(&self.sql)
            .await?;
        Ok(rows.into_iter().map(Job::from).collect())
    }

    async fn extent(&self, room: &str) -> Result<(i64, i64), sqlx::Error> {
        query(
            "SELECT COUNT(*), COALESCE(MAX(m.id), 0)
             FROM messages m JOIN rooms r ON r.id = m.room_id WHERE r.slug = $1",
        )
        .bind(room)
        .one(&self.sql)
        .await
    }

    async fn advance(
        &self,
        job: &Job,
        percent: i64,
        state: Option<&str>,
        (name, payload): (&str, &str),
    ) -> Result<(i64, i64), sqlx::Error> {
        let mut tx = self.sql.begin().await?;
        let (user_id,): (i64,) = query(
            "UPDATE exports SET percent = $2, state = COALESCE($3, state) WHERE id = $1
             RETURNING user_id",
        )
        .bind(job.id)
        .bind(percent)
        .bind(state)
        .one(&mut tx)
        .await?;
        // The requester's topic takes its next number only once theirs is the one writer.
        tx.lock(query("SELECT 1 FROM users WHERE id = $1 FOR NO KEY UPDATE").bind(user_id))
            .await?;
        let made = query(concat!(
            "INSERT INTO user_events (user_id, name, payload, created_at)
             VALUES ($1, $2, $3, $4) RETURNING id, ",
            event_before!()
        ))
        .bind(user_id)
        .bind(name)
        .bind(payload)
        .bind(Timestamp::now().millis())
        .one(&mut tx)
        .await?;
        tx.commit().await?;
        Ok(made)
    }

    async fn begin(&self, id: i64, at: Timestamp) -> Result<(), sqlx::Error> {
        query("UPDATE exports SET state = 'running', percent = 0, made_from = $2 WHERE id = $1")
            .bind(id)
            .bind(at.millis())
            .execute(&self.sql)
            .await?;
        Ok(())
    }

    async fn stale(&self, id: i64) -> Result<bool, sqlx::Error> {
        let (stale,): (bool,) = query(
            "SELECT EXISTS (SELECT 1 FROM exports e JOIN messages m ON m.room_id = e.room_id
                            WHERE e.id = $1 AND m.deleted_at >= e.made_from)",
        )
        .bind(id)
        .one(&self.sql)
        .await?;
        Ok(stale)
    }

    async fn expire(&self, before: Timestamp) -> Result<Vec<i64>, sqlx::Error> {
        let gone: Vec<(i64,)> =
            query("DELETE FROM exports WHERE created_at < $1 AND state != 'running' RETURNING id")
                .bind(before.millis())
                .all(&self.sql)
                .await?;
        Ok(gone.into_iter().map(|(id,)| id).collect())
    }

    async fn claim(&self, id: i64) -> Result<Option<Claim>, sqlx::Error> {
        self.claims.claim(id, &self.sql).await
    }
}
