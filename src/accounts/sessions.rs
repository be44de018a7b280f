//! Live sessions kept in memory, so an authenticated request costs no query once its
//! session is known. A sign-out in this process forgets its session at once; a load that
//! began before a sign-out is never kept (a generation counter, as in chat's read cache).
//! An entry is trusted for [`KEEP_FOR`] at most, then read again from the store.
//!
//! Several instances sharing one database forget a session when another instance ends it
//! too (told on the bus), and all of them when the bus may have missed something.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::domain::Account;
use super::token::TokenHash;

/// How long a kept session is believed without asking the store again.
pub const KEEP_FOR: Duration = Duration::from_secs(60);
/// Sessions kept; past this, they are all dropped and refilled.
const MAX_KEPT: usize = 10_000;

/// The sessions kept, by token hash.
#[derive(Default)]
pub struct KeptSessions {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    generation: u64,
    kept: HashMap<TokenHash, Kept>,
}

/// A live session: its account, when it expires (ms since the epoch), and when it was read.
#[derive(Clone)]
pub struct Kept {
    pub account: Account,
    pub expires_at: i64,
    read_at: Instant,
}

impl KeptSessions {
    /// The session, if kept, read from the store less than [`KEEP_FOR`] ago, and not expired
    /// at `now`.
    pub fn get(&self, token: &TokenHash, now: i64) -> Option<Kept> {
        let inner = self.lock();
        let kept = inner.kept.get(token)?;
        (kept.read_at.elapsed() < KEEP_FOR && kept.expires_at > now).then(|| kept.clone())
    }

    /// The generation to hand back to [`Self::keep`] with what a store read finds.
    pub fn generation(&self) -> u64 {
        self.lock().generation
    }

    /// Keeps a session the store answered, unless a sign-out came since `generation`.
    pub fn keep(&self, generation: u64, token: TokenHash, account: Account, expires_at: i64) {
        let mut inner = self.lock();
        if inner.generation != generation {
            return;
        }
        if inner.kept.len() >= MAX_KEPT {
            inner.kept.clear();
        }
        let read_at = Instant::now();
        let kept = Kept {
            account,
            expires_at,
            read_at,
        };
        inner.kept.insert(token, kept);
    }

    /// Forgets a session: call once it has ended in the store.
    pub fn forget(&self, token: &TokenHash) {
        let mut inner = self.lock();
        inner.generation += 1;
        inner.kept.remove(token);
    }

    /// Forgets every session: call when a sign-out elsewhere may have been missed.
    pub fn forget_all(&self) {
        let mut inner = self.lock();
        inner.generation += 1;
        inner.kept.clear();
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().expect("sessions lock poisoned")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ada() -> Account {
        Account {
            id: 1,
            username: "ada".into(),
        }
    }

    #[test]
    fn a_kept_session_is_served_until_it_expires_or_is_forgotten() {
        let sessions = KeptSessions::default();
        sessions.keep(sessions.generation(), [1; 32], ada(), 100);
        assert_eq!(
            sessions.get(&[1; 32], 50).map(|kept| kept.account),
            Some(ada())
        );
        assert!(sessions.get(&[1; 32], 100).is_none(), "expired");
        assert!(sessions.get(&[2; 32], 50).is_none(), "another token");
        sessions.forget(&[1; 32]);
        assert!(sessions.get(&[1; 32], 50).is_none(), "signed out");
    }

    #[test]
    fn a_read_that_began_before_a_sign_out_is_not_kept() {
        let sessions = KeptSessions::default();
        let generation = sessions.generation();
        sessions.forget(&[1; 32]); // a sign-out ends it while the store is being read
        sessions.keep(generation, [1; 32], ada(), 100);
        assert!(sessions.get(&[1; 32], 50).is_none());
    }
}
