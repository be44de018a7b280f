//! The sampler: every [`TICK`] it sums what this instance did in the current minute, keeps
//! it, and publishes it on the `admin` topic when it changed (or [`STILL_HERE`] passed);
//! it keeps what the other instances publish too, so any instance draws them all.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use live_loader::{Bus, LiveEvent, LiveState};
use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use super::{ADMIN_TOPIC, Dashboard, InstanceStats, MINUTES, Sample};
use crate::accounts::Admins;
use crate::activity::{Activity, ExportRun, Totals};
use crate::error::AppError;
use crate::time::Timestamp;

/// How often the current minute is summed.
pub const TICK: Duration = Duration::from_secs(2);
/// How often an instance whose figures did not change says so anyway.
const STILL_HERE: Duration = Duration::from_secs(20);
/// How long an instance not heard from is still shown.
const GONE_AFTER: Duration = Duration::from_secs(120);

/// The dashboard's figures; cheap to clone.
#[derive(Clone)]
pub struct StatsService(Arc<Inner>);

struct Inner {
    instance: String,
    admins: Admins,
    bus: Arc<dyn Bus>,
    /// Every instance's last hour, this one's included, and when each was last heard.
    kept: Mutex<HashMap<String, Kept>>,
}

struct Kept {
    minutes: VecDeque<Sample>,
    exports: Vec<ExportRun>,
    heard: Instant,
}

/// What an instance publishes: its current minute and its running exports.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Report {
    instance: String,
    minute: Sample,
    exports: Vec<ExportRun>,
}

/// What the current minute started from.
#[derive(Clone, Copy, Default)]
struct Start {
    minute: i64,
    totals: Totals,
    deliveries: u64,
}

impl StatsService {
    /// Figures for `admins` only, keeping what other instances publish on `bus` from now on;
    /// this instance's own once [`Self::sample`] starts.
    pub fn new(bus: Arc<dyn Bus>, admins: Admins) -> Self {
        let name = getrandom::u32().expect("the OS provides randomness");
        let stats = Self(Arc::new(Inner {
            instance: format!("{name:08x}"),
            admins,
            bus: bus.clone(),
            kept: Mutex::default(),
        }));
        let heard = stats.clone();
        bus.watch(Box::new(move |event| {
            let report = event.filter(|event| &*event.topic == ADMIN_TOPIC);
            if let Some(report) = report.and_then(|event| serde_json::from_str(&event.data).ok()) {
                heard.keep(report);
            }
        }));
        stats
    }

    /// Starts summing, in the background, what `activity` counts, the streams `live` holds
    /// and what the bus delivers.
    pub fn sample(&self, live: LiveState, activity: Activity) {
        let sampler = self.clone();
        tokio::spawn(async move { sampler.sampling(&live, &activity).await });
    }

    /// Whether `who` may see the figures.
    pub fn admits(&self, who: Option<&str>) -> bool {
        who.is_some_and(|who| self.0.admins.names(who))
    }

    /// The dashboard as `who` asks for it.
    ///
    /// # Errors
    /// A 404, as for a page that isn't there, unless `who` is an admin.
    pub fn dashboard(&self, who: Option<&str>) -> Result<Dashboard, AppError> {
        if !self.admits(who) {
            return Err(not_here());
        }
        let mut kept = self.lock();
        kept.retain(|_, kept| kept.heard.elapsed() < GONE_AFTER);
        let instances = kept.iter().map(|(instance, kept)| InstanceStats {
            instance: instance.clone(),
            minutes: kept.minutes.iter().cloned().collect(),
            exports: kept.exports.clone(),
        });
        Ok(Dashboard::of(now(), instances.collect()))
    }

    /// Sums the current minute every [`TICK`], for as long as the server runs.
    async fn sampling(&self, live: &LiveState, activity: &Activity) {
        let bus = &self.0.bus;
        let mut start = Start::default();
        let mut rooms = HashSet::new();
        let (mut published, mut said) = (None, Instant::now());
        let mut ticks = tokio::time::interval(TICK);
        loop {
            ticks.tick().await;
            let (at, totals, deliveries) = (now(), activity.totals(), bus.deliveries());
            let minute = at - at.rem_euclid(60);
            if minute != start.minute {
                start = Start {
                    minute,
                    totals,
                    deliveries,
                };
                rooms.clear();
            }
            rooms.extend(activity.take_rooms());
            let report = Report {
                instance: self.0.instance.clone(),
                minute: Sample {
                    minute,
                    seconds: (at - minute).max(1) as u32,
                    streams: live.open_streams(),
                    posts: totals.posts - start.totals.posts,
                    deliveries: deliveries - start.deliveries,
                    sign_ins: totals.sign_ins - start.totals.sign_ins,
                    sign_ups: totals.sign_ups - start.totals.sign_ups,
                    refusals: totals.refusals - start.totals.refusals,
                    rooms: rooms.len() as u64,
                },
                exports: activity.exports(),
            };
            self.keep(report.clone());
            // The seconds counted change every tick: what matters is whether the figures did.
            let figures = Sample {
                seconds: 0,
                ..report.minute.clone()
            };
            if published.as_ref() != Some(&(figures.clone(), report.exports.clone()))
                || said.elapsed() >= STILL_HERE
            {
                let data = serde_json::to_string(&report).expect("a report is JSON");
                bus.publish(LiveEvent::new(ADMIN_TOPIC, "stats", None, &data));
                (published, said) = (Some((figures, report.exports)), Instant::now());
            }
        }
    }

    /// Keeps an instance's report: its current minute replaces what it said of that minute.
    fn keep(&self, report: Report) {
        let mut kept = self.lock();
        let kept = kept.entry(report.instance).or_insert_with(|| Kept {
            minutes: VecDeque::new(),
            exports: Vec::new(),
            heard: Instant::now(),
        });
        if kept
            .minutes
            .back()
            .is_some_and(|last| last.minute == report.minute.minute)
        {
            kept.minutes.pop_back();
        }
        kept.minutes.push_back(report.minute);
        while kept.minutes.len() > MINUTES {
            kept.minutes.pop_front();
        }
        (kept.exports, kept.heard) = (report.exports, Instant::now());
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Kept>> {
        self.0.kept.lock().expect("stats lock poisoned")
    }
}

/// The answer to anyone but an admin, as for a page that doesn't exist.
pub fn not_here() -> AppError {
    AppError::Refused {
        status: 404,
        message: "there is nothing here".into(),
    }
}

fn now() -> i64 {
    Timestamp::now().millis() / 1000
}
