//! Where export jobs are kept: one trait, and its implementation in SQL that SQLite and
//! PostgreSQL share (with claims that differ: `claims.rs`). A job's progress
//! and its end are each recorded with the event that tells its requester, in one
//! transaction, so the requester's topic replays exactly what the job did.

mod claims;
mod rows;
mod sql;

use async_trait::async_trait;

pub use sql::SqlExportStore;

use super::format::Format;
use crate::chat::domain::RoomSlug;
use crate::time::Timestamp;

/// A job as kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Job {
    pub id: i64,
    pub requester: String,
    pub room: String,
    pub format: Format,
    /// `running`, `ready` or `failed`.
    pub state: String,
    pub percent: i64,
    pub created_at: Timestamp,
}

/// A job taken by one runner, among all the instances' runners, until it is released (or
/// dropped: a runner that dies lets go of its jobs with its process, or its connection).
pub struct Claim(pub Box<dyn Held>);

impl Claim {
    /// Lets go of the job; once this returns, another runner can claim it.
    pub async fn release(self) {
        self.0.release().await;
    }
}

/// What a backend holds for a [`Claim`].
#[async_trait]
pub trait Held: Send + Sync {
    /// Lets go of it.
    async fn release(self: Box<Self>);
}

/// Export jobs and the events that tell their requesters, durable.
#[async_trait]
pub trait ExportStore: Send + Sync + 'static {
    /// Records a running export of room `room` for `requester` (a username), asked for at
    /// `at`.
    async fn create(
        &self,
        requester: &str,
        room: &RoomSlug,
        format: Format,
        at: Timestamp,
    ) -> Result<Job, sqlx::Error>;

    /// Job `id`, unless it was made before `since` (expired).
    async fn job(&self, id: i64, since: Timestamp) -> Result<Option<Job>, sqlx::Error>;

    /// `requester`'s jobs made since `since`, newest first.
    async fn jobs_of(&self, requester: &str, since: Timestamp) -> Result<Vec<Job>, sqlx::Error>;

    /// Every job still running (a server that stopped left them so).
    async fn running(&self) -> Result<Vec<Job>, sqlx::Error>;

    /// How many messages room `room` has, and its newest message's id (0 without any):
    /// what an export started now covers.
    async fn extent(&self, room: &str) -> Result<(i64, i64), sqlx::Error>;

    /// Records that job `id` is `percent` done, with the event `name` (`payload`) on its
    /// requester's topic; answers the event's cursor, and that of the topic's event before
    /// it. With `state`, the job ends so.
    async fn advance(
        &self,
        job: &Job,
        percent: i64,
        state: Option<&str>,
        event: (&str, &str),
    ) -> Result<(i64, i64), sqlx::Error>;

    /// Marks job `id` running again from nothing, its file begun at `at`.
    async fn begin(&self, id: i64, at: Timestamp) -> Result<(), sqlx::Error>;

    /// Whether a message of job `id`'s room was deleted since its file was begun.
    async fn stale(&self, id: i64) -> Result<bool, sqlx::Error>;

    /// Takes job `id` for this runner until the claim is dropped; `None` while another
    /// runner (on any instance) holds it.
    async fn claim(&self, id: i64) -> Result<Option<Claim>, sqlx::Error>;

    /// Forgets the jobs made before `before`; answers their ids (whose files go too).
    async fn expire(&self, before: Timestamp) -> Result<Vec<i64>, sqlx::Error>;
}
