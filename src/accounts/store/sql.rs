//! Accounts and sessions in the app's database, SQLite or PostgreSQL (migrated by the app
//! at start).

use async_trait::async_trait;

use super::rows::AccountRow;
use super::{AccountStore, AccountStoreError};
use crate::accounts::domain::{Account, Username};
use crate::accounts::token::TokenHash;
use crate::sql::{Sql, query};

/// Accounts and sessions in the app's database.
#[derive(Clone, Debug)]
pub struct SqlAccountStore {
    sql: Sql,
}

impl SqlAccountStore {
    /// A store on `sql`.
    pub fn new(sql: Sql) -> Self {
        Self { sql }
    }
}

#[async_trait]
impl AccountStore for SqlAccountStore {
    async fn create_account(
        &self,
        username: &Username,
        password_hash: &str,
        now: i64,
    ) -> Result<Account, AccountStoreError> {
        let row: AccountRow = query(
            "INSERT INTO users (username, password_hash, created_at) VALUES ($1, $2, $3)
             RETURNING id, username",
        )
        .bind(username.as_str())
        .bind(password_hash)
        .bind(now)
        .one(&self.sql)
        .await
        .map_err(|error| match &error {
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                AccountStoreError::UsernameTaken(username.as_str().to_owned())
            }
            _ => AccountStoreError::Database(error),
        })?;
        Ok(row.into())
    }

    async fn credentials(
        &self,
        username: &Username,
    ) -> Result<Option<(Account, String)>, AccountStoreError> {
        let row: Option<(i64, String, String)> =
            query("SELECT id, username, password_hash FROM users WHERE username = $1")
                .bind(username.as_str())
                .optional(&self.sql)
                .await?;
        Ok(row.map(|(id, username, hash)| (Account { id, username }, hash)))
    }

    async fn account(&self, username: &Username) -> Result<Option<Account>, AccountStoreError> {
        let row: Option<AccountRow> = query("SELECT id, username FROM users WHERE username = $1")
            .bind(username.as_str())
            .optional(&self.sql)
            .await?;
        Ok(row.map(Into::into))
    }

    async fn create_session(
        &self,
        account: &Account,
        token: &TokenHash,
        now: i64,
        expires_at: i64,
    ) -> Result<(), AccountStoreError> {
        query(
            "INSERT INTO sessions (token_hash, user_id, created_at, expires_at)
             VALUES ($1, $2, $3, $4)",
        )
        .bind(&token[..])
        .bind(account.id)
        .bind(now)
        .bind(expires_at)
        .execute(&self.sql)
        .await?;
        Ok(())
    }

    async fn session(
        &self,
        token: &TokenHash,
        now: i64,
    ) -> Result<Option<(Account, i64)>, AccountStoreError> {
        let row: Option<(i64, String, i64)> = query(
            "SELECT u.id, u.username, s.expires_at FROM sessions s JOIN users u ON u.id = s.user_id
             WHERE s.token_hash = $1 AND s.expires_at > $2",
        )
        .bind(&token[..])
        .bind(now)
        .optional(&self.sql)
        .await?;
        Ok(row.map(|(id, username, expires_at)| (Account { id, username }, expires_at)))
    }

    async fn extend_session(
        &self,
        token: &TokenHash,
        expires_at: i64,
    ) -> Result<bool, AccountStoreError> {
        let updated = query("UPDATE sessions SET expires_at = $2 WHERE token_hash = $1")
            .bind(&token[..])
            .bind(expires_at)
            .execute(&self.sql)
            .await?;
        Ok(updated > 0)
    }

    async fn key(&self, name: &str, fresh: &[u8]) -> Result<Vec<u8>, AccountStoreError> {
        query(
            "INSERT INTO server_keys (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(fresh)
        .execute(&self.sql)
        .await?;
        let (value,): (Vec<u8>,) = query("SELECT value FROM server_keys WHERE name = $1")
            .bind(name)
            .one(&self.sql)
            .await?;
        Ok(value)
    }

    async fn delete_session(&self, token: &TokenHash) -> Result<bool, AccountStoreError> {
        let deleted = query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(&token[..])
            .execute(&self.sql)
            .await?;
        Ok(deleted > 0)
    }
}
