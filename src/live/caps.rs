//! Caps on open streams, per client address and in total, so one client (or a crowd) can't
//! take every socket. A stream holds a [`Permit`] for as long as it is open.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::error::AppError;

/// How many streams may be open at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StreamLimits {
    /// From one client address (`MURMUR_STREAMS_PER_ADDRESS`).
    pub per_address: u64,
    /// In all (`MURMUR_STREAMS_TOTAL`).
    pub total: u64,
}

impl Default for StreamLimits {
    fn default() -> Self {
        Self {
            per_address: 256,
            total: 19_000,
        }
    }
}

/// The open streams, counted against [`StreamLimits`].
pub struct StreamCaps {
    limits: StreamLimits,
    /// Open streams in all; also the `/metrics` gauge.
    open: Arc<AtomicU64>,
    by_address: Mutex<HashMap<IpAddr, u64>>,
}

/// One open stream's place under the caps, given back when dropped.
pub struct Permit {
    caps: Arc<StreamCaps>,
    addr: IpAddr,
}

impl StreamCaps {
    /// Caps counting open streams in `open`.
    pub fn new(limits: StreamLimits, open: Arc<AtomicU64>) -> Arc<Self> {
        Arc::new(Self {
            limits,
            open,
            by_address: Mutex::default(),
        })
    }

    /// A place for one more stream from `addr`.
    ///
    /// # Errors
    /// `TooManyStreams` (429) when `addr` has its share open, `Full` (503) when the server has.
    pub fn acquire(caps: &Arc<Self>, addr: IpAddr) -> Result<Permit, AppError> {
        let mut by_address = caps.by_address.lock().expect("stream caps lock poisoned");
        let from_addr = by_address.entry(addr).or_insert(0);
        if *from_addr >= caps.limits.per_address {
            return Err(AppError::TooManyStreams);
        }
        if caps.open.load(Ordering::Relaxed) >= caps.limits.total {
            return Err(AppError::Full);
        }
        *from_addr += 1;
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

    #[test]
    fn streams_are_capped_per_address_and_in_total_and_freed_when_dropped() {
        let caps = StreamCaps::new(
            StreamLimits {
                per_address: 2,
                total: 3,
            },
            Arc::default(),
        );
        let (a, b): (IpAddr, IpAddr) = ("127.0.0.1".parse().unwrap(), "127.0.0.2".parse().unwrap());
        let first = StreamCaps::acquire(&caps, a).unwrap();
        let _second = StreamCaps::acquire(&caps, a).unwrap();
        assert!(matches!(
            StreamCaps::acquire(&caps, a),
            Err(AppError::TooManyStreams)
        ));
        let _third = StreamCaps::acquire(&caps, b).unwrap();
        assert!(matches!(StreamCaps::acquire(&caps, b), Err(AppError::Full)));
        drop(first);
        let _again = StreamCaps::acquire(&caps, a).expect("a closed stream frees its place");
        assert_eq!(caps.open.load(Ordering::Relaxed), 3);
    }
}
