//! Where accounts and sessions are kept: one trait, and its implementation in SQL that
//! SQLite and PostgreSQL share.

mod rows;
mod sql;

use async_trait::async_trait;

pub use sql::SqlAccountStore;

use super::domain::{Account, Username};
use super::token::TokenHash;

/// Why an account store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum AccountStoreError {
    /// Signing up with a username another account has (ignoring case).
    #[error("the username {0:?} is taken")]
    UsernameTaken(String),
    /// The database failed; not the caller's fault.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

/// Accounts and their sessions, durable. Times are milliseconds since the Unix epoch.
#[async_trait]
pub trait AccountStore: Send + Sync + 'static {
    /// Creates an account.
    ///
    /// # Errors
    /// [`AccountStoreError::UsernameTaken`] if the name is in use.
    async fn create_account(
        &self,
        username: &Username,
        password_hash: &str,
        now: i64,
    ) -> Result<Account, AccountStoreError>;

    /// The account called `username` and its password hash, if there is one.
    async fn credentials(
        &self,
        username: &Username,
    ) -> Result<Option<(Account, String)>, AccountStoreError>;

    /// The account called `username`, if there is one.
    async fn account(&self, username: &Username) -> Result<Option<Account>, AccountStoreError>;

    /// Starts a session for `account` that lasts until `expires_at`.
    async fn create_session(
        &self,
        account: &Account,
        token: &TokenHash,
        now: i64,
        expires_at: i64,
    ) -> Result<(), AccountStoreError>;

    /// The session's account and expiry, if the session exists and expires after `now`.
    async fn session(
        &self,
        token: &TokenHash,
        now: i64,
    ) -> Result<Option<(Account, i64)>, AccountStoreError>;

    /// Moves the session's expiry to `expires_at`, if it still exists: whether it does (a
    /// renewal never brings back a session that ended meanwhile).
    async fn extend_session(
        &self,
        token: &TokenHash,
        expires_at: i64,
    ) -> Result<bool, AccountStoreError>;

    /// The secret called `name`, made from `fresh` if the database has none yet: every
    /// instance on the database gets the same one.
    async fn key(&self, name: &str, fresh: &[u8]) -> Result<Vec<u8>, AccountStoreError>;

    /// Ends the session; it never works again. Ending an unknown session does nothing.
    /// Whether there was one to end.
    async fn delete_session(&self, token: &TokenHash) -> Result<bool, AccountStoreError>;
}
