//! Opening the app's database, chosen once from the URL's scheme: a SQLite file (the
//! default) in WAL mode that zeroes what is deleted from it, or a PostgreSQL database.
//! Each backend is migrated at start from its own folder under `migrations/`.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};

/// Connections the server keeps to PostgreSQL at most. Writers to one room queue on its
/// row lock, not on the pool, so a few more than the cores serve any mix of rooms.
const POSTGRES_CONNECTIONS: u32 = 16;

/// Postgres' code for "the database named does not exist".
const INVALID_CATALOG_NAME: &str = "3D000";

/// Whom to connect as when neither the URL nor `PGUSER` says: the server's own superuser.
/// (libpq would take the OS user's name, which sqlx can't find out.)
const DEFAULT_POSTGRES_USER: &str = "postgres";

/// The app's database, opened and migrated: whichever backend `DATABASE_URL` names.
#[derive(Clone, Debug)]
pub enum Database {
    /// `sqlite:…`: one file beside the server.
    Sqlite(SqlitePool),
    /// `postgres://…` or `postgresql://…`: a database on a PostgreSQL server.
    Postgres(PgPool),
}

/// Why the database could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The URL names no backend Murmur has.
    #[error(
        "DATABASE_URL must start with sqlite:, postgres:// or postgresql:// (its scheme is {0:?})"
    )]
    UnknownScheme(String),
    /// The PostgreSQL server has no database by the URL's name: Murmur makes its tables,
    /// not the database.
    #[error("the PostgreSQL database {0:?} does not exist: create it first (createdb {0})")]
    NoSuchDatabase(String),
    /// No PostgreSQL server answered at the URL's host and port.
    #[error("no PostgreSQL server answered at {0}")]
    Unreachable(String),
    /// The database could not be reached or read.
    #[error("cannot open the database: {0}")]
    Database(#[from] sqlx::Error),
    /// A migration failed.
    #[error("cannot migrate the database: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl Database {
    /// Opens the database at `url` — `sqlite:…` (created if missing), `postgres://…` or
    /// `postgresql://…` (which must exist) — and applies its backend's pending migrations.
    ///
    /// # Errors
    /// [`OpenError::UnknownScheme`] for any other URL, [`OpenError::NoSuchDatabase`] if the
    /// PostgreSQL server has no such database, and otherwise if the database can't be
    /// opened or a migration fails.
    pub async fn open(url: &str) -> Result<Self, OpenError> {
        if url.starts_with("sqlite:") {
            Ok(Self::Sqlite(open_sqlite(url).await?))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres(open_postgres(url).await?))
        } else {
            // Only the scheme: the rest may hold a password.
            let scheme = url.split_once(':').map_or("", |(scheme, _)| scheme);
            Err(OpenError::UnknownScheme(scheme.to_owned()))
        }
    }
}

/// Opens (creating if needed) the SQLite database at `url` and applies pending migrations
/// from `migrations/sqlite/`.
///
/// # Errors
/// If the URL is malformed, the file can't be opened, or a migration fails.
pub async fn open_sqlite(url: &str) -> Result<SqlitePool, sqlx::Error> {
    let options = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(10))
        .foreign_keys(true)
        // A deleted message's text is overwritten in the file, not just unlinked.
        .pragma("secure_delete", "ON");
    let pool = SqlitePoolOptions::new()
        .max_connections(8)
        .connect_with(options)
        .await?;
    sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
    Ok(pool)
}

/// Connects to the existing PostgreSQL database at `url` and applies pending migrations
/// from `migrations/postgres/`. (Postgres has no `secure_delete`: see the chat store's
/// Postgres backend for what a deletion leaves behind.)
async fn open_postgres(url: &str) -> Result<PgPool, OpenError> {
    let mut options = PgConnectOptions::from_str(url)?;
    if !names_user(url) && std::env::var_os("PGUSER").is_none() {
        options = options.username(DEFAULT_POSTGRES_USER);
    }
    // Without a name in the URL, Postgres picks the database named after the user.
    let name = options
        .get_database()
        .unwrap_or(options.get_username())
        .to_owned();
    let server = format!("{}:{}", options.get_host(), options.get_port());
    let pool = PgPoolOptions::new()
        .max_connections(POSTGRES_CONNECTIONS)
        .connect_with(options)
        .await
        .map_err(|error| match &error {
            sqlx::Error::Database(db) if db.code().as_deref() == Some(INVALID_CATALOG_NAME) => {
                OpenError::NoSuchDatabase(name)
            }
            sqlx::Error::PoolTimedOut => OpenError::Unreachable(server),
            _ => OpenError::Database(error),
        })?;
    sqlx::migrate!("./migrations/postgres").run(&pool).await?;
    Ok(pool)
}

/// Whether a `postgres://` URL names whom to connect as (`postgres://user@host/…`).
fn names_user(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    authority.contains('@')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_postgres_url_names_a_user_only_before_an_at_sign_in_its_authority() {
        assert!(names_user("postgres://ada@127.0.0.1/murmur"));
        assert!(names_user("postgresql://ada:secret@db:5432"));
        assert!(!names_user("postgres://127.0.0.1/murmur"));
        assert!(!names_user("postgres://127.0.0.1/murmur?options=a@b"));
    }
}
