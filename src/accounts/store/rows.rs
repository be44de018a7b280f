//! Accounts as every backend reads them.

use sqlx::FromRow;

use crate::accounts::domain::Account;

/// An account as a query or `RETURNING` reads it.
#[derive(FromRow)]
pub(super) struct AccountRow {
    id: i64,
    username: String,
}

impl From<AccountRow> for Account {
    fn from(row: AccountRow) -> Self {
        Self {
            id: row.id,
            username: row.username,
        }
    }
}
