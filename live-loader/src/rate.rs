//! Token buckets: a key may spend a burst at once, then as many as its bucket refills. The
//! stream caps limit how often an address opens streams with them; an app may limit
//! anything else the same way.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How much a key may do: `burst` at once, then `per_minute`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rate {
    /// What a key may spend at once.
    pub burst: u32,
    /// What its bucket refills each minute.
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

/// Buckets kept before full ones are forgotten.
const PRUNE_AT: usize = 10_000;

/// One [`Rate`] per key, kept in this process; `None` never refuses.
pub struct TokenBuckets<K> {
    rate: Option<Rate>,
    buckets: Mutex<HashMap<K, Bucket>>,
}

struct Bucket {
    tokens: f64,
    updated: Instant,
}

impl<K> TokenBuckets<K> {
    /// Buckets of `rate` each; `None` never refuses.
    pub fn new(rate: Option<Rate>) -> Self {
        Self {
            rate,
            buckets: Mutex::default(),
        }
    }

    /// The rate each key has.
    pub fn rate(&self) -> Option<Rate> {
        self.rate
    }
}

impl<K: Hash + Eq> TokenBuckets<K> {
    /// Spends one of `key`'s tokens.
    ///
    /// # Errors
    /// The whole seconds (at least one) until `key` has a token again, when it has none.
    pub fn spend(&self, key: K) -> Result<(), u64> {
        self.spend_at(key, Instant::now()).map_err(seconds)
    }

    /// Gives back a token [`Self::spend`] took from `key` (the bucket stays at most full).
    pub fn refund(&self, key: &K) {
        let Some(rate) = self.rate else {
            return;
        };
        let mut buckets = self.buckets.lock().expect("token buckets lock poisoned");
        if let Some(bucket) = buckets.get_mut(key) {
            bucket.tokens = (bucket.tokens + 1.0).min(f64::from(rate.burst));
        }
    }

    fn spend_at(&self, key: K, now: Instant) -> Result<(), Duration> {
        let Some(rate) = self.rate else {
            return Ok(());
        };
        let (burst, per_second) = (f64::from(rate.burst), f64::from(rate.per_minute) / 60.0);
        let refilled = |bucket: &Bucket| {
            let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
            (bucket.tokens + elapsed * per_second).min(burst)
        };
        let mut buckets = self.buckets.lock().expect("token buckets lock poisoned");
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
        let buckets = TokenBuckets::new(Rate::parse("3:60").unwrap());
        let start = Instant::now();
        for _ in 0..3 {
            assert_eq!(buckets.spend_at("ada", start), Ok(()));
        }
        let wait = buckets.spend_at("ada", start).unwrap_err();
        assert_eq!(wait.as_secs_f64().round(), 1.0, "one a second");
        assert_eq!(
            buckets.spend_at("grace", start),
            Ok(()),
            "another key has its own"
        );
        assert_eq!(
            buckets.spend_at("ada", start + Duration::from_secs(1)),
            Ok(())
        );
    }

    #[test]
    fn a_refunded_token_can_be_spent_again_but_never_past_the_burst() {
        let buckets = TokenBuckets::new(Rate::parse("2:1").unwrap());
        let start = Instant::now();
        assert_eq!(buckets.spend_at("ada", start), Ok(()));
        assert_eq!(buckets.spend_at("ada", start), Ok(()));
        assert!(buckets.spend_at("ada", start).is_err());
        buckets.refund(&"ada");
        assert_eq!(buckets.spend_at("ada", start), Ok(()));
        for _ in 0..5 {
            buckets.refund(&"ada");
        }
        assert_eq!(buckets.spend_at("ada", start), Ok(()));
        assert_eq!(buckets.spend_at("ada", start), Ok(()));
        assert!(buckets.spend_at("ada", start).is_err(), "two at most");
    }

    #[test]
    fn off_never_refuses_and_a_malformed_rate_is_refused() {
        let buckets = TokenBuckets::new(Rate::parse("off").unwrap());
        assert!((0..1_000).all(|_| buckets.spend_at(1, Instant::now()).is_ok()));
        for bad in ["10", "a:b", "0:5", "5:0", ""] {
            assert!(Rate::parse(bad).is_err(), "{bad:?}");
        }
    }
}
