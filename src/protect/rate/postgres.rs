//! Rate limits' buckets in PostgreSQL, shared by every instance on the database: each
//! spend is one statement, atomic under the bucket's row lock.

use std::time::Duration;

use async_trait::async_trait;
use sqlx::PgPool;

use super::{Rate, SharedBuckets};
use crate::time::Timestamp;

/// Buckets idle this long are full again for any rate worth setting, and are forgotten.
const IDLE: Duration = Duration::from_secs(24 * 60 * 60);
/// How often forgotten buckets are deleted.
const SWEEP_EVERY: Duration = Duration::from_secs(10 * 60);

/// The buckets in the `rate_buckets` table.
pub struct PostgresBuckets {
    pool: PgPool,
}

impl PostgresBuckets {
    /// Buckets in `pool`'s database; buckets idle for a day are deleted in the background.
    pub fn new(pool: PgPool) -> Self {
        let sweeper = pool.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(SWEEP_EVERY);
            loop {
                every.tick().await;
                let before = Timestamp::now().millis() - IDLE.as_millis() as i64;
                let swept = sqlx::query("DELETE FROM rate_buckets WHERE updated_at < $1")
                    .bind(before)
                    .execute(&sweeper)
                    .await;
                if let Err(error) = swept {
                    tracing::warn!(%error, "sweeping idle rate limit buckets failed");
                }
            }
        });
        Self { pool }
    }
}

/// The bucket refilled up to now (`$5`), at `$3` tokens at most and `$4` a minute.
macro_rules! refilled {
    () => {
        "LEAST($3, b.tokens + ($5 - b.updated_at) * $4 / 60000.0)"
    };
}

#[async_trait]
impl SharedBuckets for PostgresBuckets {
    async fn spend(
        &self,
        limit: &str,
        key: &str,
        rate: Rate,
    ) -> Result<Option<Duration>, sqlx::Error> {
        let (tokens, spent): (f64, bool) = sqlx::query_as(concat!(
            "INSERT INTO rate_buckets AS b (limit_name, key, tokens, updated_at, spent)
             VALUES ($1, $2, $3 - 1, $5, TRUE)
             ON CONFLICT (limit_name, key) DO UPDATE SET
               tokens = ",
            refilled!(),
            " - CASE WHEN ",
            refilled!(),
            " >= 1 THEN 1 ELSE 0 END,
               spent = ",
            refilled!(),
            " >= 1,
               updated_at = $5
             RETURNING tokens, spent"
        ))
        .bind(limit)
        .bind(key)
        .bind(f64::from(rate.burst))
        .bind(f64::from(rate.per_minute))
        .bind(Timestamp::now().millis())
        .fetch_one(&self.pool)
        .await?;
        Ok((!spent).then(|| {
            let per_second = f64::from(rate.per_minute) / 60.0;
            Duration::from_secs_f64((1.0 - tokens).max(0.0) / per_second)
        }))
    }

    async fn refund(&self, limit: &str, key: &str, rate: Rate) -> Result<(), sqlx::Error> {
        sqlx::query(
            "UPDATE rate_buckets SET tokens = LEAST($3, tokens + 1)
             WHERE limit_name = $1 AND key = $2",
        )
        .bind(limit)
        .bind(key)
        .bind(f64::from(rate.burst))
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
