//! The four stores, on whichever database startup opened.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use super::database::Database;
use crate::accounts::store::{AccountStore, SqlAccountStore};
use crate::chat::store::{ChatStore, SqlChatStore};
use crate::exports::store::{ExportStore, SqlExportStore};
use crate::inbox::store::{InboxStore, SqlInboxStore};
use crate::sql::Sql;

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
    /// The stores on `database`, each counting the statements it sends in `queries`.
    pub fn on(database: Database, queries: &Arc<AtomicU64>) -> Self {
        let queries = Arc::clone(queries);
        let sql = match database {
            Database::Sqlite(pool) => Sql::sqlite(pool, queries),
            Database::Postgres(pool) => Sql::postgres(pool, queries),
        };
        Self {
            chat: Arc::new(SqlChatStore::new(sql.clone())),
            inbox: Arc::new(SqlInboxStore::new(sql.clone())),
            exports: Arc::new(SqlExportStore::new(sql.clone())),
            accounts: Arc::new(SqlAccountStore::new(sql)),
        }
    }
}
