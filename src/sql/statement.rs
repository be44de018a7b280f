//! A statement — its text and its arguments — and how it runs on either database.

use std::sync::atomic::Ordering;

use sqlx::error::BoxDynError;
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::sqlite::{SqliteArguments, SqliteRow};
use sqlx::{Arguments, FromRow};

use super::{Conn, Dialect, On};

type SqliteQuery = sqlx::query::Query<'static, sqlx::Sqlite, SqliteArguments>;
type SqliteQueryAs<R> = sqlx::query::QueryAs<'static, sqlx::Sqlite, R, SqliteArguments>;
type PgQuery = sqlx::query::Query<'static, sqlx::Postgres, PgArguments>;
type PgQueryAs<R> = sqlx::query::QueryAs<'static, sqlx::Postgres, R, PgArguments>;

/// A statement's SQL: one text for both databases, or one each where they differ.
#[derive(Clone, Copy, Debug)]
pub enum Text {
    Both(&'static str),
    Each {
        sqlite: &'static str,
        postgres: &'static str,
    },
}

impl Text {
    fn of(self, dialect: Dialect) -> &'static str {
        match (self, dialect) {
            (Self::Both(text), _) => text,
            (Self::Each { sqlite, .. }, Dialect::Sqlite) => sqlite,
            (Self::Each { postgres, .. }, Dialect::Postgres) => postgres,
        }
    }
}

impl From<&'static str> for Text {
    fn from(text: &'static str) -> Self {
        Self::Both(text)
    }
}

/// A value bound to a placeholder.
#[derive(Clone, Copy, Debug)]
pub enum Arg<'a> {
    Int(Option<i64>),
    Text(Option<&'a str>),
    Bool(bool),
    Bytes(&'a [u8]),
    /// A list: a PostgreSQL `bigint[]`, or a JSON array for SQLite's `json_each`.
    Ints(&'a [i64]),
    /// A list: a PostgreSQL `text[]`, or a JSON array for SQLite's `json_each`.
    Texts(&'a [String]),
}

impl From<i64> for Arg<'_> {
    fn from(value: i64) -> Self {
        Self::Int(Some(value))
    }
}

impl From<u32> for Arg<'_> {
    fn from(value: u32) -> Self {
        Self::Int(Some(i64::from(value)))
    }
}

impl From<Option<i64>> for Arg<'_> {
    fn from(value: Option<i64>) -> Self {
        Self::Int(value)
    }
}

impl<'a> From<&'a str> for Arg<'a> {
    fn from(value: &'a str) -> Self {
        Self::Text(Some(value))
    }
}

impl<'a> From<&'a String> for Arg<'a> {
    fn from(value: &'a String) -> Self {
        Self::Text(Some(value))
    }
}

impl<'a> From<Option<&'a str>> for Arg<'a> {
    fn from(value: Option<&'a str>) -> Self {
        Self::Text(value)
    }
}

impl From<bool> for Arg<'_> {
    fn from(value: bool) -> Self {
        Self::Bool(value)
    }
}

impl<'a> From<&'a [u8]> for Arg<'a> {
    fn from(value: &'a [u8]) -> Self {
        Self::Bytes(value)
    }
}

impl<'a> From<&'a [i64]> for Arg<'a> {
    fn from(value: &'a [i64]) -> Self {
        Self::Ints(value)
    }
}

impl<'a> From<&'a [String]> for Arg<'a> {
    fn from(value: &'a [String]) -> Self {
        Self::Texts(value)
    }
}

/// What a row can be read as on either database: a `FromRow` struct or a tuple.
pub trait Record:
    for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{
}

impl<T> Record for T where
    T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{
}

/// A statement to send: its text and its arguments, bound in order to `$1`, `$2`, ….
#[derive(Debug)]
pub struct Statement<'a> {
    text: Text,
    args: Vec<Arg<'a>>,
}

/// The statement `text`, with nothing bound yet.
pub fn query<'a>(text: impl Into<Text>) -> Statement<'a> {
    Statement {
        text: text.into(),
        args: Vec::new(),
    }
}

impl<'a> Statement<'a> {
    /// Binds `value` to the next placeholder.
    #[must_use]
    pub fn bind(mut self, value: impl Into<Arg<'a>>) -> Self {
        self.args.push(value.into());
        self
    }

    /// Every row it answers.
    ///
    /// # Errors
    /// If the database fails or a row can't be read as `R`.
    pub async fn all<'c, R: Record>(self, on: impl Into<On<'c>>) -> Result<Vec<R>, sqlx::Error> {
        let on = on.into();
        on.queries.fetch_add(1, Ordering::Relaxed);
        match on.conn {
            Conn::SqlitePool(pool) => self.sqlite_as()?.fetch_all(pool).await,
            Conn::Sqlite(conn) => self.sqlite_as()?.fetch_all(conn).await,
            Conn::PostgresPool(pool) => self.postgres_as()?.fetch_all(pool).await,
            Conn::Postgres(conn) => self.postgres_as()?.fetch_all(conn).await,
        }
    }

    /// Its first row, if it answers any.
    ///
    /// # Errors
    /// If the database fails or the row can't be read as `R`.
    pub async fn optional<'c, R: Record>(
        self,
        on: impl Into<On<'c>>,
    ) -> Result<Option<R>, sqlx::Error> {
        Ok(self.all(on).await?.into_iter().next())
    }

    /// Its first row.
    ///
    /// # Errors
    /// `RowNotFound` if it answers none; if the database fails or the row can't be read.
    pub async fn one<'c, R: Record>(self, on: impl Into<On<'c>>) -> Result<R, sqlx::Error> {
        self.optional(on).await?.ok_or(sqlx::Error::RowNotFound)
    }

    /// Runs it; answers how many rows it changed.
    ///
    /// # Errors
    /// If the database fails.
    pub async fn execute<'c>(self, on: impl Into<On<'c>>) -> Result<u64, sqlx::Error> {
        let on = on.into();
        on.queries.fetch_add(1, Ordering::Relaxed);
        Ok(match on.conn {
            Conn::SqlitePool(pool) => self.sqlite()?.execute(pool).await?.rows_affected(),
            Conn::Sqlite(conn) => self.sqlite()?.execute(conn).await?.rows_affected(),
            Conn::PostgresPool(pool) => self.postgres()?.execute(pool).await?.rows_affected(),
            Conn::Postgres(conn) => self.postgres()?.execute(conn).await?.rows_affected(),
        })
    }

    fn sqlite(self) -> Result<SqliteQuery, sqlx::Error> {
        let arguments = self.sqlite_arguments().map_err(sqlx::Error::Encode)?;
        Ok(sqlx::query_with(self.text.of(Dialect::Sqlite), arguments))
    }

    fn sqlite_as<R: Record>(self) -> Result<SqliteQueryAs<R>, sqlx::Error> {
        let arguments = self.sqlite_arguments().map_err(sqlx::Error::Encode)?;
        Ok(sqlx::query_as_with(
            self.text.of(Dialect::Sqlite),
            arguments,
        ))
    }

    fn postgres(self) -> Result<PgQuery, sqlx::Error> {
        let arguments = self.postgres_arguments().map_err(sqlx::Error::Encode)?;
        Ok(sqlx::query_with(self.text.of(Dialect::Postgres), arguments))
    }

    fn postgres_as<R: Record>(self) -> Result<PgQueryAs<R>, sqlx::Error> {
        let arguments = self.postgres_arguments().map_err(sqlx::Error::Encode)?;
        Ok(sqlx::query_as_with(
            self.text.of(Dialect::Postgres),
            arguments,
        ))
    }

    fn sqlite_arguments(&self) -> Result<SqliteArguments, BoxDynError> {
        let mut bound = SqliteArguments::default();
        for arg in &self.args {
            match *arg {
                Arg::Int(value) => bound.add(value)?,
                Arg::Text(value) => bound.add(value)?,
                Arg::Bool(value) => bound.add(value)?,
                Arg::Bytes(value) => bound.add(value)?,
                Arg::Ints(list) => bound.add(serde_json::to_string(list)?)?,
                Arg::Texts(list) => bound.add(serde_json::to_string(list)?)?,
            }
        }
        Ok(bound)
    }

    fn postgres_arguments(&self) -> Result<PgArguments, BoxDynError> {
        let mut bound = PgArguments::default();
        for arg in &self.args {
            match *arg {
                Arg::Int(value) => bound.add(value)?,
                Arg::Text(value) => bound.add(value)?,
                Arg::Bool(value) => bound.add(value)?,
                Arg::Bytes(value) => bound.add(value)?,
                Arg::Ints(list) => bound.add(list)?,
                Arg::Texts(list) => bound.add(list)?,
            }
        }
        Ok(bound)
    }
}
