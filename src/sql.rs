//! One SQL text for both databases. The stores write each statement once — `$1`-style
//! placeholders (SQLite's driver reads them too) and SQL that SQLite and PostgreSQL both
//! speak — and send it through [`Sql`], the pool of whichever database startup opened, which
//! counts every statement it sends (for `/metrics`).
//!
//! What truly differs is named here, so a store says what it needs and not how:
//! - [`Sql::begin`]: a write transaction — on SQLite `BEGIN IMMEDIATE`, so that concurrent
//!   writers queue on the busy timeout instead of failing; on PostgreSQL a plain `BEGIN`.
//! - [`Tx::lock`]: a row lock that orders concurrent writers, which PostgreSQL needs and
//!   SQLite (one writer at a time) does not: it is sent to PostgreSQL only.
//! - [`Text::Each`]: a statement written once per database, for the few that must be
//!   (a sequence's next number, a list bound as an array or as JSON), and [`Sql::dialect`]
//!   for code that is not SQL at all.
//! - [`Arg::Ints`] and [`Arg::Texts`]: a list, bound as a PostgreSQL array or as a JSON
//!   array for SQLite's `json_each`.
//!
//! Rows are read by any type that both drivers can read ([`Record`]): the `FromRow` row
//! structs each store shares between the two.

mod statement;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use sqlx::{PgConnection, PgPool, Postgres, Sqlite, SqliteConnection, SqlitePool, Transaction};

pub use statement::{Arg, Record, Statement, Text, query};

/// The two databases Murmur runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// The app's database, for the stores: a pool and the count of statements sent on it.
#[derive(Clone, Debug)]
pub struct Sql {
    pool: Pool,
    queries: Arc<AtomicU64>,
}

#[derive(Clone, Debug)]
enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// A write transaction (see [`Sql::begin`]); rolled back if dropped before
/// [`Tx::commit`].
pub struct Tx {
    inner: Inner,
    queries: Arc<AtomicU64>,
}

enum Inner {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

/// Where a statement runs: the pool or a transaction, and the count it adds to.
pub struct On<'c> {
    conn: Conn<'c>,
    queries: &'c AtomicU64,
}

enum Conn<'c> {
    SqlitePool(&'c SqlitePool),
    PostgresPool(&'c PgPool),
    Sqlite(&'c mut SqliteConnection),
    Postgres(&'c mut PgConnection),
}

impl Sql {
    /// The stores' handle on a SQLite database, counting statements in `queries`.
    pub fn sqlite(pool: SqlitePool, queries: Arc<AtomicU64>) -> Self {
        let pool = Pool::Sqlite(pool);
        Self { pool, queries }
    }

    /// The stores' handle on a PostgreSQL database, counting statements in `queries`.
    pub fn postgres(pool: PgPool, queries: Arc<AtomicU64>) -> Self {
        let pool = Pool::Postgres(pool);
        Self { pool, queries }
    }

    /// Which database this is.
    pub fn dialect(&self) -> Dialect {
        match self.pool {
            Pool::Sqlite(_) => Dialect::Sqlite,
            Pool::Postgres(_) => Dialect::Postgres,
        }
    }

    /// The PostgreSQL pool, for what is not a statement (a connection of one's own).
    pub fn postgres_pool(&self) -> Option<&PgPool> {
        match &self.pool {
            Pool::Postgres(pool) => Some(pool),
            Pool::Sqlite(_) => None,
        }
    }

    /// Counts `n` statements sent some other way than through this handle.
    pub fn count(&self, n: u64) {
        self.queries.fetch_add(n, Ordering::Relaxed);
    }

    /// Begins a write transaction: on SQLite it takes the database's write lock at once
    /// (`BEGIN IMMEDIATE`), waiting on the busy timeout while another writer holds it.
    ///
    /// # Errors
    /// If the database fails.
    pub async fn begin(&self) -> Result<Tx, sqlx::Error> {
        let inner = match &self.pool {
            Pool::Sqlite(pool) => Inner::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await?),
            Pool::Postgres(pool) => Inner::Postgres(pool.begin().await?),
        };
        let queries = Arc::clone(&self.queries);
        Ok(Tx { inner, queries })
    }

    /// On SQLite, copies the write-ahead log into the file and empties it, so that text
    /// just erased is gone from the log too (the file itself zeroes what is deleted:
    /// `secure_delete`). Best effort: with readers in the way, the next checkpoint does it.
    /// PostgreSQL has no such thing: VACUUM reclaims old row versions in its own time.
    pub async fn erase_old_pages(&self) {
        if self.dialect() != Dialect::Sqlite {
            return;
        }
        let done: Result<(i64, i64, i64), _> =
            query("PRAGMA wal_checkpoint(TRUNCATE)").one(self).await;
        match done {
            Ok((0, _, _)) => {}
            Ok(_) => tracing::debug!("checkpoint after a deletion left for later: readers"),
            Err(error) => tracing::warn!(%error, "checkpoint after a deletion failed"),
        }
    }
}

impl Tx {
    /// Which database this is.
    pub fn dialect(&self) -> Dialect {
        match self.inner {
            Inner::Sqlite(_) => Dialect::Sqlite,
            Inner::Postgres(_) => Dialect::Postgres,
        }
    }

    /// Runs `locking` (a `SELECT … FOR NO KEY UPDATE`) on PostgreSQL, whose writers run
    /// concurrently, to hold its rows until the transaction ends; nothing on SQLite, whose
    /// write transaction already excludes every other writer.
    ///
    /// # Errors
    /// If the database fails.
    pub async fn lock(&mut self, locking: Statement<'_>) -> Result<(), sqlx::Error> {
        if self.dialect() == Dialect::Postgres {
            locking.execute(self).await?;
        }
        Ok(())
    }

    /// Commits the transaction.
    ///
    /// # Errors
    /// If the database fails.
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        match self.inner {
            Inner::Sqlite(tx) => tx.commit().await,
            Inner::Postgres(tx) => tx.commit().await,
        }
    }
}

impl<'c> From<&'c Sql> for On<'c> {
    fn from(sql: &'c Sql) -> Self {
        let conn = match &sql.pool {
            Pool::Sqlite(pool) => Conn::SqlitePool(pool),
            Pool::Postgres(pool) => Conn::PostgresPool(pool),
        };
        let queries = &sql.queries;
        Self { conn, queries }
    }
}

impl<'c> From<&'c mut Tx> for On<'c> {
    fn from(tx: &'c mut Tx) -> Self {
        let conn = match &mut tx.inner {
            Inner::Sqlite(tx) => Conn::Sqlite(tx),
            Inner::Postgres(tx) => Conn::Postgres(tx),
        };
        let queries = &tx.queries;
        Self { conn, queries }
    }
}
