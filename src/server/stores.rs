//! The four stores, on whichever database startup opened: the one place that picks a
//! backend's implementations.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use super::database::Database;
use crate::accounts::store::{AccountStore, PostgresAccountStore, SqliteAccountStore};
use crate::chat::store::{ChatStore, PostgresStore, SqliteStore};
use crate::exports::store::{ExportStore, PostgresExportStore, SqliteExportStore};
use crate::inbox::store::{InboxStore, PostgresInboxStore, SqliteInboxStore};

/// Every feature's store, on one database.
pub struct Stores {
    /// Rooms, members and messages.
    pub chat: Arc<dyn ChatStore>,
    /// Notifications and people's topics.
    pub inbox: Arc<dyn InboxStore>,
    /// Export jobs.
    pub exports: Arc<dyn ExportStore>,
    /// Accounts and sessions.
    pub accounts: Arc<dyn AccountStore>,
}

impl Stores {
    /// The stores of `database`'s backend, each counting the statements it sends in
    /// `queries`.
    pub fn on(database: Database, queries: &Arc<AtomicU64>) -> Self {
        let queries = || Arc::clone(queries);
        match database {
            Database::Sqlite(pool) => Self {
                chat: Arc::new(SqliteStore::new(pool.clone(), queries())),
                inbox: Arc::new(SqliteInboxStore::new(pool.clone(), queries())),
                exports: Arc::new(SqliteExportStore::new(pool.clone(), queries())),
                accounts: Arc::new(SqliteAccountStore::new(pool, queries())),
            },
            Database::Postgres(pool) => Self {
                chat: Arc::new(PostgresStore::new(pool.clone(), queries())),
                inbox: Arc::new(PostgresInboxStore::new(pool.clone(), queries())),
                exports: Arc::new(PostgresExportStore::new(pool.clone(), queries())),
                accounts: Arc::new(PostgresAccountStore::new(pool, queries())),
            },
        }
    }
}
