//! What the instances on one database share besides it: on SQLite there is one instance,
//! with an in-process bus and its own presence and rate limits; on PostgreSQL there may be
//! several, which share the bus (`LISTEN/NOTIFY`), merge presence over it, and keep rate
//! limits' buckets in the database.

use std::sync::Arc;
use std::time::Duration;

use live_loader::{Bus, History, InProcessBus, PostgresBus, Presence};
use sqlx::PgPool;

use super::database::Database;
use crate::protect::{PostgresBuckets, RateLimits, Shared};

/// Events kept per topic for a subscriber that is momentarily behind.
const BUS_CAPACITY: usize = 1024;

/// How this instance reaches the others, if there can be others.
pub enum Instances {
    /// SQLite: this process is the only one.
    One(Arc<InProcessBus>),
    /// PostgreSQL: any number, on one database.
    Several { bus: Arc<PostgresBus>, pool: PgPool },
}

impl Instances {
    /// The instances `database` allows; with several, this one listens to the others when
    /// this returns.
    ///
    /// # Errors
    /// If the bus can't start listening.
    pub async fn on(database: &Database) -> Result<Self, sqlx::Error> {
        Ok(match database {
            Database::Sqlite(_) => Self::One(Arc::new(InProcessBus::new(BUS_CAPACITY))),
            Database::Postgres(pool) => Self::Several {
                bus: PostgresBus::connect(pool, BUS_CAPACITY).await?,
                pool: pool.clone(),
            },
        })
    }

    /// The bus every feature publishes on.
    pub fn bus(&self) -> Arc<dyn Bus> {
        match self {
            Self::One(bus) => bus.clone(),
            Self::Several { bus, .. } => bus.clone(),
        }
    }

    /// Presence on the topics `tracks` picks, counted across the instances.
    pub fn presence(&self, grace: Duration, tracks: fn(&str) -> bool) -> Presence {
        match self {
            Self::One(bus) => Presence::new(bus.clone(), grace, tracks),
            Self::Several { bus, .. } => Presence::across(bus.local(), bus.clone(), grace, tracks),
        }
    }

    /// `limits`, with their buckets shared by the instances.
    pub fn limits(&self, limits: &RateLimits) -> RateLimits {
        let shared = match self {
            Self::One(_) => None,
            Self::Several { pool, .. } => {
                Some(Shared(Arc::new(PostgresBuckets::new(pool.clone()))))
            }
        };
        RateLimits {
            shared,
            ..limits.clone()
        }
    }

    /// Where the bus reads back events that arrive ahead of the ones before them.
    pub fn read_back_from(&self, history: Arc<dyn History>) {
        if let Self::Several { bus, .. } = self {
            bus.read_back_from(history);
        }
    }
}
