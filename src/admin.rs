//! The operations dashboard, `/admin`, for the accounts named in `MURMUR_ADMINS` (a 404 to
//! everyone else, on every surface: the page, its charts, `/api/admin/stats` and the
//! `admin` topic).
//!
//! Each instance counts what happens on it (`crate::activity`) and, every couple of
//! seconds, sums the current minute into a [`Sample`] that it keeps and publishes on the
//! `admin` topic; every instance hears the others' (on PostgreSQL's shared bus) and keeps
//! the last hour of each. The page is drawn on the server — an SVG chart per figure, each
//! with a table of its values behind it — and an island re-reads the drawn charts whenever
//! the topic fires: the live-resource pattern, with HTML as the resource.
//!
//! Shared code: the figures' types, the charts and the page. Server only: the sampler
//! (`stats.rs`) and the HTTP routes.

mod charts;
#[cfg(feature = "ssr")]
pub mod http;
mod page;
pub mod server_fns;
#[cfg(feature = "ssr")]
pub mod stats;

use serde::{Deserialize, Serialize};

pub use page::AdminPage;

use crate::activity::ExportRun;

/// The live topic of the dashboard's figures.
pub const ADMIN_TOPIC: &str = "admin";
/// How many minutes the dashboard shows.
pub const MINUTES: usize = 60;

/// What one instance (or all, summed) did in one minute.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sample {
    /// The minute's start, in seconds since the Unix epoch.
    pub minute: i64,
    /// How many of its seconds have been counted: 60 once it is over.
    pub seconds: u32,
    /// Event streams open at its end (or now).
    pub streams: u64,
    pub posts: u64,
    /// Events handed to subscribers: one per event and subscription of its topic.
    pub deliveries: u64,
    pub sign_ins: u64,
    pub sign_ups: u64,
    /// Requests refused for coming too often (`429`).
    pub refusals: u64,
    /// Rooms posted in (summed over instances, a room posted in on two counts twice).
    pub rooms: u64,
}

/// One instance's last hour, as it publishes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceStats {
    /// The instance's name for itself, made when it starts.
    pub instance: String,
    /// Its minutes, oldest first, the last one still being counted.
    pub minutes: Vec<Sample>,
    /// The exports it is running.
    pub exports: Vec<ExportRun>,
}

/// What `/api/admin/stats` answers and the dashboard draws: every instance heard from in
/// the last two minutes, and their minutes summed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dashboard {
    /// When it was read, in seconds since the Unix epoch.
    pub at: i64,
    /// The last [`MINUTES`] minutes, every instance's summed, oldest first; a minute no
    /// instance counted is all zeros.
    pub total: Vec<Sample>,
    /// Each instance's own, by name.
    pub instances: Vec<InstanceStats>,
}

impl Dashboard {
    /// The dashboard of `instances` at `at`.
    pub fn of(at: i64, mut instances: Vec<InstanceStats>) -> Self {
        instances.sort_by(|a, b| a.instance.cmp(&b.instance));
        let now = at - at.rem_euclid(60);
        let total = (0..MINUTES as i64)
            .rev()
            .map(|ago| {
                let minute = now - 60 * ago;
                let mut sum = Sample {
                    minute,
                    seconds: if ago == 0 {
                        (at - now).max(1) as u32
                    } else {
                        60
                    },
                    ..Sample::default()
                };
                let samples = instances.iter().flat_map(|i| &i.minutes);
                for sample in samples.filter(|sample| sample.minute == minute) {
                    sum.streams += sample.streams;
                    sum.posts += sample.posts;
                    sum.deliveries += sample.deliveries;
                    sum.sign_ins += sample.sign_ins;
                    sum.sign_ups += sample.sign_ups;
                    sum.refusals += sample.refusals;
                    sum.rooms += sample.rooms;
                }
                sum
            })
            .collect();
        Self {
            at,
            total,
            instances,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(minute: i64, posts: u64, streams: u64) -> Sample {
        Sample {
            minute,
            seconds: 60,
            posts,
            streams,
            ..Sample::default()
        }
    }

    #[test]
    fn the_total_sums_instances_minute_by_minute_over_the_last_hour() {
        let at = 36_000 + 30;
        let a = InstanceStats {
            instance: "a".into(),
            minutes: vec![
                sample(36_000 - 3_600, 9, 9),
                sample(35_940, 2, 5),
                sample(36_000, 1, 4),
            ],
            exports: vec![],
        };
        let b = InstanceStats {
            instance: "b".into(),
            minutes: vec![sample(36_000, 3, 6)],
            exports: vec![],
        };
        let dashboard = Dashboard::of(at, vec![b, a]);
        assert_eq!(dashboard.total.len(), MINUTES);
        let now = dashboard.total.last().unwrap();
        assert_eq!(
            (now.minute, now.seconds, now.posts, now.streams),
            (36_000, 30, 4, 10)
        );
        let before = &dashboard.total[MINUTES - 2];
        assert_eq!((before.posts, before.streams), (2, 5));
        assert_eq!(dashboard.total[0].minute, 36_000 - 59 * 60);
        let counted: u64 = dashboard.total.iter().map(|s| s.posts).sum();
        assert_eq!(counted, 6, "a minute over an hour old is left out");
        assert_eq!(
            dashboard.instances[0].instance, "a",
            "instances in name order"
        );
    }
}
