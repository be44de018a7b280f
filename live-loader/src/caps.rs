//! Caps on open streams, per client address and in total, so one client (or a crowd) can't
//! take every socket, and on how often an address opens them. A stream holds a [`Permit`]
//! for as long as it is open. Addresses are counted as the app gives them (see
//! [`super::Subscriber::addr`]).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use super::Refusal;
use crate::rate::{Rate, TokenBuckets};

/// How many streams may be open at once, and how often they may be opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StreamLimits {
    /// From one client address.
    pub per_address: u64,
    /// In all.
    pub total: u64,
    /// Streams opened per client address: a browser opens one per page it shows and per
    /// reconnect; `None` for no limit. Kept in each instance, as the caps are.
    pub opens: Option<Rate>,
}

impl Default for StreamLimits {
    fn default() -> Self {
        Self {
            per_address: 256,
            total: 19_000,
            opens: Some(Rate {
                burst: 100,
                per_minute: 300,
            }),
        }
    }
}

/// The open streams, counted against [`StreamLimits`].
pub struct StreamCaps {
    limits: StreamLimits,
    /// Open streams in all.
    open: AtomicU64,
    by_address: Mutex<HashMap<IpAddr, u64>>,
    /// Streams opened, per client address.
    opens: TokenBuckets<IpAddr>,
}

/// One open stream's place under the caps, given back when dropped.
pub struct Permit {
    caps: Arc<StreamCaps>,
    addr: IpAddr,
}

impl StreamCaps {
    /// Caps of `limits`, with no stream open.
    pub fn new(limits: StreamLimits) -> Arc<Self> {
        Arc::new(Self {
            limits,
            open: AtomicU64::default(),
            by_address: Mutex::default(),
            opens: TokenBuckets::new(limits.opens),
        })
    }

    /// How many streams are open.
    pub fn open(&self) -> u64 {
        self.open.load(Ordering::Relaxed)
    }

    /// A place for one more stream from `addr`.
    ///
    /// # Errors
    /// [`Refusal::TooOften`] when `addr` opens streams too often, [`Refusal::TooMany`] when
    /// it has its share open, [`Refusal::Full`] when the server has.
    pub fn acquire(caps: &Arc<Self>, addr: IpAddr) -> Result<Permit, Refusal> {
        caps.opens.spend(addr).map_err(Refusal::TooOften)?;
        let mut by_address = caps.by_address.lock().expect("stream caps lock poisoned");
        let from_addr = by_address.get(&addr).copied().unwrap_or(0);
        if from_addr >= caps.limits.per_address {
            return Err(Refusal::TooMany);
        }
        if caps.open.load(Ordering::Relaxed) >= caps.limits.total {
            // Refused without an entry: an address that holds nothing keeps nothing here.
            return Err(Refusal::Full);
        }
        by_address.insert(addr, from_addr + 1);
        caps.open.fetch_add(1, Ordering::Relaxed);
        Ok(Permit {
            caps: Arc::clone(caps),
            addr,
        })
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut by_address = self
            .caps
            .by_address
            .lock()
            .expect("stream caps lock poisoned");
        if let Some(open) = by_address.get_mut(&self.addr) {
            *open -= 1;
            if *open == 0 {
                by_address.remove(&self.addr);
            }
        }
        self.caps.open.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn caps(per_address: u64, total: u64, opens: Option<Rate>) -> Arc<StreamCaps> {
        let limits = StreamLimits {
            per_address,
            total,
            opens,
        };
        StreamCaps::new(limits)
    }

    #[test]
    fn streams_are_capped_per_address_and_in_total_and_freed_when_dropped() {
        let caps = caps(2, 3, None);
        let (a, b) = (ip("127.0.0.1"), ip("127.0.0.2"));
        let first = StreamCaps::acquire(&caps, a).unwrap();
        let _second = StreamCaps::acquire(&caps, a).unwrap();
        assert!(matches!(
            StreamCaps::acquire(&caps, a),
            Err(Refusal::TooMany)
        ));
        let _third = StreamCaps::acquire(&caps, b).unwrap();
        assert!(matches!(
            StreamCaps::acquire(&caps, ip("127.0.0.3")),
            Err(Refusal::Full)
        ));
        assert_eq!(
            caps.by_address.lock().unwrap().len(),
            2,
            "nothing kept of a refusal"
        );
        drop(first);
        let again = StreamCaps::acquire(&caps, a);
        assert!(again.is_ok(), "a closed stream frees its place");
        assert_eq!(caps.open.load(Ordering::Relaxed), 3);
    }

    #[test]
    fn opening_streams_is_rate_limited_per_address_even_when_each_is_closed() {
        let opens = Rate {
            burst: 3,
            per_minute: 1,
        };
        let caps = caps(100, 100, Some(opens));
        for _ in 0..3 {
            drop(StreamCaps::acquire(&caps, ip("192.0.2.1")).unwrap());
        }
        assert!(matches!(
            StreamCaps::acquire(&caps, ip("192.0.2.1")),
            Err(Refusal::TooOften(_))
        ));
        assert!(StreamCaps::acquire(&caps, ip("192.0.2.2")).is_ok());
    }
}
