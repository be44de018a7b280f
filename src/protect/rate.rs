//! Rate limits: a token bucket per key (an account, an address, a username). A key may
//! spend a burst at once, then as many as its bucket refills.
//!
//! One instance keeps its buckets in memory. Several instances share theirs in the database
//! ([`SharedBuckets`], `rate/postgres.rs`) rather than each keeping its own: a limit must
//! hold however a client's requests are spread over the instances — N instances each
//! allowing the whole rate would let a password guesser try N times as often.

mod postgres;

use std::collections::HashMap;
use std::fmt::Display;
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;

pub use postgres::PostgresBuckets;

use crate::error::AppError;

/// How much a key may do: `burst` at once, then `per_minute`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rate {
    pub burst: u32,
    pub per_minute: u32,
}

impl Rate {
    /// Reads `burst:per_minute` (e.g. `10:180`), or `off` for no limit.
    ///
    /// # Errors
    /// Says what the form is.
    pub fn parse(text: &str) -> Result<Option<Self>, String> {
        if text.trim() == "off" {
            return Ok(None);
        }
        let read = |part: &str| part.trim().parse::<u32>().ok().filter(|n| *n > 0);
        match text
            .split_once(':')
            .map(|(burst, rate)| (read(burst), read(rate)))
        {
            Some((Some(burst), Some(per_minute))) => Ok(Some(Self { burst, per_minute })),
            _ => Err(format!(
                "{text:?} is not a rate: write burst:per_minute, e.g. 10:180, or off"
            )),
        }
    }
}

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

/// Buckets kept before full ones are forgotten.
const PRUNE_AT: usize = 10_000;

/// One limit, applied per key.
pub struct RateLimit<K> {
    rate: Option<Rate>,
    /// This process's buckets, unless they are `shared`.
    buckets: Mutex<HashMap<K, Bucket>>,
    shared: Option<Shared>,
    /// The limit's name where its buckets are shared.
    name: &'static str,
}

struct Bucket {
    tokens: f64,
    updated: Instant,
}

impl<K> RateLimit<K> {
    /// A limit of `rate` per key, kept in this process; `None` never refuses.
    pub fn new(rate: Option<Rate>) -> Self {
        Self {
            rate,
            buckets: Mutex::default(),
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
        let (Some(shared), Some(rate)) = (&self.shared, self.rate) else {
            return self.check_here(key).map_err(AppError::RateLimited);
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

    /// Spends one of `key`'s tokens from this process's buckets: for a limit made with
    /// [`RateLimit::new`], which no other instance shares.
    ///
    /// # Errors
    /// The seconds until `key` has a token again, when it has none.
    pub fn check_here(&self, key: K) -> Result<(), u64> {
        self.check_at(key, Instant::now()).map_err(seconds)
    }

    /// Gives back the token a [`Self::check`] of `key` took: for limits that count only
    /// what fails, spent first so that tries at once can't all pass, refunded on success.
    /// Shared buckets that can't be reached keep the token (logged): the key's budget is a
    /// token short, no more.
    pub async fn refund(&self, key: K) {
        let Some(rate) = self.rate else {
            return;
        };
        if let Some(shared) = &self.shared {
            if let Err(error) = shared.0.refund(self.name, &key.to_string(), rate).await {
                tracing::error!(%error, "rate limit buckets failed");
            }
            return;
        }
        let mut buckets = self.buckets.lock().expect("rate limit lock poisoned");
        if let Some(bucket) = buckets.get_mut(&key) {
            bucket.tokens = (bucket.tokens + 1.0).min(f64::from(rate.burst));
        }
    }

    fn check_at(&self, key: K, now: Instant) -> Result<(), Duration> {
        let Some(rate) = self.rate else {
            return Ok(());
        };
        let (burst, per_second) = (f64::from(rate.burst), f64::from(rate.per_minute) / 60.0);
        let refilled = |bucket: &Bucket| {
            let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
            (bucket.tokens + elapsed * per_second).min(burst)
        };
        let mut buckets = self.buckets.lock().expect("rate limit lock poisoned");
        if buckets.len() >= PRUNE_AT {
            buckets.retain(|_, bucket| refilled(bucket) < burst);
        }
        let bucket = buckets.entry(key).or_insert(Bucket {
            tokens: burst,
            updated: now,
        });
        bucket.tokens = refilled(bucket);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            return Ok(());
        }
        Err(Duration::from_secs_f64((1.0 - bucket.tokens) / per_second))
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
    fn a_burst_passes_then_the_next_waits_for_its_token() {
        let limit = RateLimit::new(Rate::parse("3:60").unwrap());
        let start = Instant::now();
        for _ in 0..3 {
            assert_eq!(limit.check_at("ada", start), Ok(()));
        }
        let wait = limit.check_at("ada", start).unwrap_err();
        assert_eq!(wait.as_secs_f64().round(), 1.0, "one a second");
        assert_eq!(
            limit.check_at("grace", start),
            Ok(()),
            "another key has its own"
        );
        assert_eq!(
            limit.check_at("ada", start + Duration::from_secs(1)),
            Ok(())
        );
    }

    #[tokio::test]
    async fn a_refunded_token_can_be_spent_again_but_never_past_the_burst() {
        let limit = RateLimit::new(Rate::parse("2:1").unwrap());
        let start = Instant::now();
        assert_eq!(limit.check_at("ada", start), Ok(()));
        assert_eq!(limit.check_at("ada", start), Ok(()));
        assert!(limit.check_at("ada", start).is_err());
        limit.refund("ada").await;
        assert_eq!(limit.check_at("ada", start), Ok(()));
        for _ in 0..5 {
            limit.refund("ada").await;
        }
        assert_eq!(limit.check_at("ada", start), Ok(()));
        assert_eq!(limit.check_at("ada", start), Ok(()));
        assert!(limit.check_at("ada", start).is_err(), "two at most");
    }

    #[test]
    fn off_never_refuses_and_a_malformed_rate_is_refused() {
        let limit = RateLimit::new(Rate::parse("off").unwrap());
        assert!((0..1_000).all(|_| limit.check_at(1, Instant::now()).is_ok()));
        for bad in ["10", "a:b", "0:5", "5:0", ""] {
            assert!(Rate::parse(bad).is_err(), "{bad:?}");
        }
    }

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
