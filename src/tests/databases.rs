//! The databases tests run on: a SQLite file in a temporary directory, or a fresh database
//! on the PostgreSQL server at 127.0.0.1:5432 (trust auth, user `postgres`), made for one
//! test and dropped after it, whether it passed or not. App tests take PostgreSQL when
//! `MURMUR_TEST_DATABASE=postgres`; the contract tests take both.

use sqlx::{Connection, PgConnection, SqliteConnection};

/// The PostgreSQL server, without a database.
const SERVER: &str = "postgres://postgres@127.0.0.1:5432";

/// Whether app tests run on PostgreSQL (`MURMUR_TEST_DATABASE=postgres`) rather than SQLite.
pub fn postgres_wanted() -> bool {
    std::env::var("MURMUR_TEST_DATABASE").is_ok_and(|backend| backend == "postgres")
}

/// A database of its own on the PostgreSQL server, dropped when this is, with any
/// connection still open to it.
pub struct PostgresDatabase {
    name: String,
}

impl PostgresDatabase {
    /// Creates `murmur_test_<random hex>`.
    pub async fn create() -> Self {
        let name = format!("murmur_test_{:016x}", getrandom::u64().expect("randomness"));
        let mut server = connect_to_server().await;
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut server)
            .await
            .expect("create a test database");
        let _ = server.close().await;
        Self { name }
    }

    /// Its URL, as `DATABASE_URL` would name it.
    pub fn url(&self) -> String {
        format!("{SERVER}/{}", self.name)
    }
}

impl Drop for PostgresDatabase {
    fn drop(&mut self) {
        let drop_it = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        // Drop can't wait for a future, and the test's runtime may be the one running this:
        // a thread with a runtime of its own does it.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime");
            runtime.block_on(async {
                let mut server = connect_to_server().await;
                sqlx::query(sqlx::AssertSqlSafe(drop_it))
                    .execute(&mut server)
                    .await
                    .map(drop)
            })
        })
        .join();
        let failed = !matches!(dropped, Ok(Ok(())));
        if failed && !std::thread::panicking() {
            panic!("test database {} left behind: {dropped:?}", self.name);
        }
    }
}

/// A connection to the server's `postgres` database, to create and drop others from.
async fn connect_to_server() -> PgConnection {
    let url = format!("{SERVER}/postgres");
    PgConnection::connect(&url)
        .await
        .expect("PostgreSQL at 127.0.0.1:5432, user postgres with trust auth")
}

/// Runs `statement` on the database at `url`, SQLite or PostgreSQL, with `args` as `$1`,
/// `$2`, …: the first column of the first row it answers, if any.
pub async fn run_sql(url: &str, statement: &'static str, args: &[i64]) -> Option<i64> {
    let answer = if url.starts_with("sqlite:") {
        let mut database = SqliteConnection::connect(url).await.expect("connect");
        let mut query = sqlx::query_scalar(statement);
        for arg in args {
            query = query.bind(*arg);
        }
        query.fetch_optional(&mut database).await
    } else {
        let mut database = PgConnection::connect(url).await.expect("connect");
        let mut query = sqlx::query_scalar(statement);
        for arg in args {
            query = query.bind(*arg);
        }
        query.fetch_optional(&mut database).await
    };
    answer.unwrap_or_else(|error| panic!("{statement}: {error}"))
}
