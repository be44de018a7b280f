//! Which runner holds which export job: one at a time, among every instance's runners. On
//! SQLite one process is the only runner of its file, so a set in memory is enough; on
//! PostgreSQL a claim is a session-level advisory lock on a connection of its own, so a
//! runner whose instance dies loses its connection, and with it the lock.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use sqlx::{Connection, PgConnection, PgPool};

use super::{Claim, Held};
use crate::sql::Sql;

/// The first half of the advisory lock keys of export jobs (the second is the job's id),
/// so that they meet no other user of advisory locks.
const EXPORT_LOCKS: i32 = 0x4d75_4578;

/// The claims of one database's jobs.
#[derive(Clone, Debug)]
pub(super) enum Claims {
    /// The jobs claimed in this process.
    InProcess(Arc<Mutex<HashSet<i64>>>),
    /// Advisory locks on the database's server.
    Advisory(PgPool),
}

impl Claims {
    /// The claims that suit `sql`'s database.
    pub(super) fn on(sql: &Sql) -> Self {
        match sql.postgres_pool() {
            Some(pool) => Self::Advisory(pool.clone()),
            None => Self::InProcess(Arc::default()),
        }
    }

    /// Takes job `id`, unless another runner holds it; `sql` counts the statement.
    pub(super) async fn claim(&self, id: i64, sql: &Sql) -> Result<Option<Claim>, sqlx::Error> {
        match self {
            Self::InProcess(claimed) => {
                let taken = claimed.lock().expect("claims lock poisoned").insert(id);
                Ok(taken.then(|| Claim(Box::new(Claimed(Arc::clone(claimed), id)))))
            }
            Self::Advisory(pool) => {
                sql.count(1);
                let mut own = PgConnection::connect_with(&pool.connect_options()).await?;
                let taken: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1, $2)")
                    .bind(EXPORT_LOCKS)
                    // Ids past 2^31 wrap: two jobs two billion apart share a lock, and wait
                    // in turn.
                    .bind(id as i32)
                    .fetch_one(&mut own)
                    .await?;
                Ok(taken.then(|| Claim(Box::new(Locked { own, id }))))
            }
        }
    }
}

/// A job's claim in [`Claims::InProcess`], let go when dropped.
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
