//! Rate limits: a token bucket per key (an account, an address, a username). A key may
//! spend a burst at once, then as many as its bucket refills.
//!
//! One instance keeps its buckets in memory. Several instances share theirs in the database
//! ([`SharedBuckets`], `rate/postgres.rs`) rather than each keeping its own: a limit must
//! hold however a client's requests are spread over the instances — N instances each
//! allowing the whole rate would let a password guesser try N times as often.

mod postgres;

use std::fmt::Display;
use std::hash::Hash;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
pub use live_loader::Rate;
use live_loader::TokenBuckets;

pub use postgres::PostgresBuckets;

use crate::error::AppError;

/// Every limit the app applies; `None` turns one off. Configured by `MURMUR_LIMIT_*`.
#[derive(Clone, Debug, PartialEq)]
pub struct RateLimits {
    /// Messages posted, per account.
    pub posts: Option<Rate>,
    /// Rooms created, per account.
    pub rooms: Option<Rate>,
    /// Members added to private rooms, per account (those refused count too): slows
    /// trying names to learn who has an account.
    pub members: Option<Rate>,
    /// Sign-in attempts, per client address.
    pub sign_ins_per_address: Option<Rate>,
    /// Sign-in attempts, per username tried: slows guessing one account's password from
    /// many addresses.
    pub sign_ins_per_username: Option<Rate>,
    /// Accounts created, per client address.
    pub sign_ups_per_address: Option<Rate>,
    /// Room exports asked for, per account.
    pub exports: Option<Rate>,
    /// Where the buckets are kept: in this process (`None`), or where every instance
    /// shares them.
    pub shared: Option<Shared>,
}

/// Token buckets kept where every instance sees the same ones.
#[async_trait]
pub trait SharedBuckets: Send + Sync + 'static {
    /// Spends a token of `key`'s bucket of the limit called `limit`, which holds `rate`:
    /// `None` when spent, or how long until the bucket has one again.
    async fn spend(
        &self,
        limit: &str,
        key: &str,
        rate: Rate,
    ) -> Result<Option<Duration>, sqlx::Error>;

    /// Gives back a token [`Self::spend`] took from `key`'s bucket (the bucket stays at
    /// most full).
    async fn refund(&self, limit: &str, key: &str, rate: Rate) -> Result<(), sqlx::Error>;
}

/// Shared buckets, as the configuration carries them.
#[derive(Clone)]
pub struct Shared(pub Arc<dyn SharedBuckets>);

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Shared")
    }
}

impl PartialEq for Shared {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Default for RateLimits {
    fn default() -> Self {
        let rate = |burst, per_minute| Some(Rate { burst, per_minute });
        Self {
            posts: rate(10, 180),
            rooms: rate(5, 2),
            members: rate(20, 10),
            sign_ins_per_address: rate(20, 10),
            sign_ins_per_username: rate(5, 5),
            sign_ups_per_address: rate(5, 2),
            exports: rate(3, 1),
            shared: None,
        }
    }
}

impl RateLimits {
    /// No limits at all (tests and benchmarks that post flat out).
    pub fn off() -> Self {
        Self {
            posts: None,
            rooms: None,
            members: None,
            sign_ins_per_address: None,
            sign_ins_per_username: None,
            sign_ups_per_address: None,
            exports: None,
            shared: None,
        }
    }

    /// The limit called `name` (unique in the app), of `rate` per key, its buckets kept
    /// where these limits keep theirs.
    pub fn limit<K>(&self, name: &'static str, rate: Option<Rate>) -> RateLimit<K> {
        RateLimit {
            shared: self.shared.clone(),
            name,
            ..RateLimit::new(rate)
        }
    }

    /// The defaults, each replaced by its variable where `var` has one:
    /// `MURMUR_LIMIT_POSTS`, `_ROOMS`, `_MEMBERS`, `_SIGN_INS_PER_ADDRESS`,
    /// `_SIGN_INS_PER_USERNAME`, `_SIGN_UPS_PER_ADDRESS`, `_EXPORTS`.
    ///
    /// # Errors
    /// Names the variable that is not a rate.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let mut limits = Self::default();
        for (name, limit) in [
            ("MURMUR_LIMIT_POSTS", &mut limits.posts),
            ("MURMUR_LIMIT_ROOMS", &mut limits.rooms),
            ("MURMUR_LIMIT_MEMBERS", &mut limits.members),
            (
                "MURMUR_LIMIT_SIGN_INS_PER_ADDRESS",
                &mut limits.sign_ins_per_address,
            ),
            (
                "MURMUR_LIMIT_SIGN_INS_PER_USERNAME",
                &mut limits.sign_ins_per_username,
            ),
            (
                "MURMUR_LIMIT_SIGN_UPS_PER_ADDRESS",
                &mut limits.sign_ups_per_address,
            ),
            ("MURMUR_LIMIT_EXPORTS", &mut limits.exports),
        ] {
            if let Some(text) = var(name) {
                *limit = Rate::parse(&text).map_err(|e| format!("{name}: {e}"))?;
            }
        }
        Ok(limits)
    }
}

/// One limit, applied per key.
pub struct RateLimit<K> {
    /// This process's buckets, unless they are `shared`.
    here: TokenBuckets<K>,
    shared: Option<Shared>,
    /// The limit's name where its buckets are shared.
    name: &'static str,
}

impl<K> RateLimit<K> {
    /// A limit of `rate` per key, kept in this process; `None` never refuses.
    pub fn new(rate: Option<Rate>) -> Self {
        Self {
            here: TokenBuckets::new(rate),
            shared: None,
            name: "",
        }
    }
}

impl<K: Hash + Eq + Display> RateLimit<K> {
    /// Spends one of `key`'s tokens.
    ///
    /// # Errors
    /// `RateLimited` when it has none, with the seconds until it has one again; `Internal`
    /// if shared buckets can't be reached.
    pub async fn check(&self, key: K) -> Result<(), AppError> {
        let (Some(shared), Some(rate)) = (&self.shared, self.here.rate()) else {
            return self.here.spend(key).map_err(AppError::RateLimited);
        };
        match shared.0.spend(self.name, &key.to_string(), rate).await {
            Ok(None) => Ok(()),
            Ok(Some(wait)) => Err(AppError::RateLimited(seconds(wait))),
            Err(error) => {
                tracing::error!(%error, "rate limit buckets failed");
                Err(AppError::Internal)
            }
        }
    }

    /// Gives back the token a [`Self::check`] of `key` took: for limits that count only
    /// what fails, spent first so that tries at once can't all pass, refunded on success.
    /// Shared buckets that can't be reached keep the token (logged): the key's budget is a
    /// token short, no more.
    pub async fn refund(&self, key: K) {
        let Some(rate) = self.here.rate() else {
            return;
        };
        match &self.shared {
            Some(shared) => {
                if let Err(error) = shared.0.refund(self.name, &key.to_string(), rate).await {
                    tracing::error!(%error, "rate limit buckets failed");
                }
            }
            None => self.here.refund(&key),
        }
    }
}

/// A wait in the whole seconds a client is told to wait: rounded up, at least one.
fn seconds(wait: Duration) -> u64 {
    wait.as_secs_f64().ceil().max(1.0) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_come_from_their_variables() {
        let limits =
            RateLimits::from_vars(|name| (name == "MURMUR_LIMIT_POSTS").then(|| "off".to_owned()))
                .unwrap();
        assert_eq!(limits.posts, None);
        assert_eq!(limits.rooms, RateLimits::default().rooms);
        assert!(RateLimits::from_vars(|_| Some("nope".into())).is_err());
    }
}
