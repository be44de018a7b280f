//! What people do, counted where it happens, for the operations dashboard (`src/admin/`):
//! posts and the rooms they went to, sign-ins and sign-ups, rate-limit refusals, and the
//! exports this instance is running. Each count is one atomic add; nothing here is read
//! back but by the dashboard's sampler.

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use serde::{Deserialize, Serialize};

/// This instance's counters; cheap to clone, all clones count together.
#[derive(Clone, Debug, Default)]
pub struct Activity(Arc<Counters>);

#[derive(Debug, Default)]
struct Counters {
    posts: AtomicU64,
    sign_ins: AtomicU64,
    sign_ups: AtomicU64,
    refusals: AtomicU64,
    /// Rooms posted in since the sampler last took them.
    rooms: Mutex<HashSet<String>>,
    /// The exports this instance runs, by id.
    exports: Mutex<BTreeMap<i64, ExportRun>>,
}

/// An export being made, and how far it has got.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportRun {
    pub id: i64,
    pub room: String,
    pub percent: i64,
}

/// The counters' totals since the instance started.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    pub posts: u64,
    pub sign_ins: u64,
    pub sign_ups: u64,
    pub refusals: u64,
}

impl Activity {
    /// A message was posted in `room`.
    pub fn posted(&self, room: &str) {
        self.0.posts.fetch_add(1, Ordering::Relaxed);
        let mut rooms = lock(&self.0.rooms);
        if !rooms.contains(room) {
            rooms.insert(room.to_owned());
        }
    }

    /// Someone signed in.
    pub fn signed_in(&self) {
        self.0.sign_ins.fetch_add(1, Ordering::Relaxed);
    }

    /// Someone made an account.
    pub fn signed_up(&self) {
        self.0.sign_ups.fetch_add(1, Ordering::Relaxed);
    }

    /// A request was refused for coming too often (a `429`).
    pub fn refused(&self) {
        self.0.refusals.fetch_add(1, Ordering::Relaxed);
    }

    /// Export `id` of `room` is `percent` done; at 100 (or ended otherwise: `None`) it is
    /// no longer running.
    pub fn exporting(&self, id: i64, room: &str, percent: Option<i64>) {
        let mut exports = lock(&self.0.exports);
        match percent.filter(|percent| *percent < 100) {
            Some(percent) => {
                let room = room.to_owned();
                exports.insert(id, ExportRun { id, room, percent });
            }
            None => {
                exports.remove(&id);
            }
        }
    }

    /// The totals so far.
    pub fn totals(&self) -> Totals {
        let read = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        Totals {
            posts: read(&self.0.posts),
            sign_ins: read(&self.0.sign_ins),
            sign_ups: read(&self.0.sign_ups),
            refusals: read(&self.0.refusals),
        }
    }

    /// The rooms posted in since the last call.
    pub fn take_rooms(&self) -> HashSet<String> {
        std::mem::take(&mut *lock(&self.0.rooms))
    }

    /// The exports running here, oldest first.
    pub fn exports(&self) -> Vec<ExportRun> {
        lock(&self.0.exports).values().cloned().collect()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().expect("activity lock poisoned")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_add_up_rooms_are_taken_once_and_finished_exports_leave() {
        let activity = Activity::default();
        let clone = activity.clone();
        activity.posted("lobby");
        clone.posted("lobby");
        clone.posted("dev");
        activity.signed_in();
        activity.refused();
        assert_eq!(
            activity.totals(),
            Totals {
                posts: 3,
                sign_ins: 1,
                sign_ups: 0,
                refusals: 1
            }
        );
        assert_eq!(activity.take_rooms().len(), 2);
        assert!(activity.take_rooms().is_empty());
        activity.exporting(1, "lobby", Some(40));
        activity.exporting(2, "dev", Some(10));
        activity.exporting(1, "lobby", Some(100));
        activity.exporting(2, "dev", Some(20));
        let running = [ExportRun {
            id: 2,
            room: "dev".into(),
            percent: 20,
        }];
        assert_eq!(activity.exports(), running);
        activity.exporting(2, "dev", None);
        assert!(activity.exports().is_empty());
    }
}
