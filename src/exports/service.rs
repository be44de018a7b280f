//! The export service: asking for an export, reading its state, and downloading it — each
//! for the person who asked alone, and only while they may still see the room (anyone else,
//! or someone since removed from a private room, is told it doesn't exist). The jobs
//! themselves run one at a time in the background (`runner.rs`), behind a bounded queue.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use live_loader::Bus;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};

use super::ExportSummary;
use super::format::Format;
use super::runner::{Queued, Runner};
use super::store::{ExportStore, Job};
use crate::accounts::domain::Account;
use crate::activity::Activity;
use crate::chat::domain::RoomSlug;
use crate::chat::service::ChatService;
use crate::error::AppError;
use crate::protect::RateLimit;
use crate::time::Timestamp;

/// How long an export is kept.
pub const KEPT_FOR: Duration = Duration::from_secs(24 * 60 * 60);

/// How many exports an instance takes on at once, being made or waiting to be, by default
/// (`MURMUR_EXPORT_QUEUE`).
pub const QUEUE: usize = 100;

/// What a refusal with the queue full says to wait, in seconds.
const QUEUE_FULL_WAIT: u64 = 30;

/// Exports, backed by a store, a folder of files and a background runner; cheap to clone.
#[derive(Clone)]
pub struct ExportService {
    store: Arc<dyn ExportStore>,
    chat: ChatService,
    dir: Arc<PathBuf>,
    /// The runner's queue, and the places in it: a job asked for here holds one until it
    /// has run.
    jobs: mpsc::UnboundedSender<Queued>,
    places: Arc<Semaphore>,
    /// How often each account may ask for an export.
    limit: Arc<RateLimit<i64>>,
}

impl ExportService {
    /// Exports kept in `store` and written into `dir` (created if missing) from `chat`'s
    /// rooms, told on `bus`, asked for within `limit`, at most `queue` of them at once
    /// (being made or waiting to be). Starts the runner, which first takes up again the
    /// jobs a stopped server left running.
    ///
    /// # Errors
    /// If `dir` can't be created, or `queue` is 0.
    pub async fn start(
        store: Arc<dyn ExportStore>,
        chat: ChatService,
        bus: Arc<dyn Bus>,
        dir: PathBuf,
        limit: RateLimit<i64>,
        queue: usize,
        activity: Activity,
    ) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        if queue == 0 {
            return Err("the export queue must hold at least one export".into());
        }
        tokio::fs::create_dir_all(&dir).await?;
        let places = Arc::new(Semaphore::new(queue));
        let (jobs, queue) = mpsc::unbounded_channel();
        let dir = Arc::new(dir);
        let runner = Runner {
            store: Arc::clone(&store),
            chat: chat.clone(),
            bus,
            dir: Arc::clone(&dir),
            activity,
        };
        runner.start(queue).await;
        Ok(Self {
            store,
            chat,
            dir,
            jobs,
            places,
            limit: Arc::new(limit),
        })
    }

    /// Starts an export of room `slug` as `format` for `who`; answers its id.
    ///
    /// # Errors
    /// `Invalid` for an unknown format or a malformed slug, `RoomNotFound` if `who` may not
    /// see the room, `ExportsBusy` while the queue is full, `RateLimited` after too many
    /// exports. Refused, nothing is recorded.
    pub async fn request(&self, who: &Account, slug: &str, format: &str) -> Result<i64, AppError> {
        let format = Format::parse(format)?;
        let room = self.chat.room(Some(&who.username), slug).await?;
        let place = self.place()?;
        self.limit.check(who.id).await?;
        let slug = RoomSlug::parse(&room.slug)?;
        let job = self
            .store
            .create(&who.username, &slug, format, Timestamp::now());
        let job = job.await.map_err(failed)?;
        let id = job.id;
        self.run(job, place)?;
        Ok(id)
    }

    /// Export `id`, if `who` asked for it, it has not expired, and `who` may still see its
    /// room: someone removed from a private room loses what they exported of it (and has
    /// it back if they are added again, while it is kept).
    ///
    /// # Errors
    /// `ExportNotFound` otherwise — one answer for all three.
    pub async fn job(&self, who: &Account, id: i64) -> Result<Job, AppError> {
        let job = self.store.job(id, kept_since()).await.map_err(failed)?;
        let job = job.filter(|job| job.requester == who.username);
        match job {
            Some(job) if self.sees(who, &job).await? => Ok(job),
            _ => Err(AppError::ExportNotFound(id.to_string())),
        }
    }

    /// Whether `who` may see `job`'s room now.
    async fn sees(&self, who: &Account, job: &Job) -> Result<bool, AppError> {
        match self.chat.room(Some(&who.username), &job.room).await {
            Ok(_) => Ok(true),
            Err(AppError::RoomNotFound(_)) => Ok(false),
            Err(error) => Err(error),
        }
    }

    /// A place in the runner's queue, if one is free.
    fn place(&self) -> Result<OwnedSemaphorePermit, AppError> {
        let place = Arc::clone(&self.places).try_acquire_owned();
        place.map_err(|_| AppError::ExportsBusy(QUEUE_FULL_WAIT))
    }

    /// Has the runner make `job`, which holds `place` until it has run.
    fn run(&self, job: Job, place: OwnedSemaphorePermit) -> Result<(), AppError> {
        let queued = Queued { job, place };
        self.jobs.send(queued).map_err(|_| AppError::Internal)
    }

    /// The file of `who`'s ready export `id`, opened, with its job. A file that may hold a
    /// message deleted since it was made is not served: it is made again, which counts as
    /// asking for an export (the same rate, the same queue).
    ///
    /// # Errors
    /// As [`Self::job`]; `ExportNotReady` while it runs, if it failed, or when it is being
    /// made again; `ExportsBusy` or `RateLimited` when it should be made again but can't be
    /// yet (then it stays as it is, and is not served).
    pub async fn download(
        &self,
        who: &Account,
        id: i64,
    ) -> Result<(Job, tokio::fs::File), AppError> {
        let job = self.job(who, id).await?;
        if job.state != "ready" {
            return Err(AppError::ExportNotReady(format!("it is {}", job.state)));
        }
        if self.store.stale(id).await.map_err(failed)? {
            let place = self.place()?;
            self.limit.check(who.id).await?;
            let _ = tokio::fs::remove_file(file_path(&self.dir, &job)).await;
            self.store
                .begin(id, Timestamp::now())
                .await
                .map_err(failed)?;
            self.run(job, place)?;
            let why = "a message in it was deleted since, so it is being made again";
            return Err(AppError::ExportNotReady(why.into()));
        }
        let file = tokio::fs::File::open(file_path(&self.dir, &job)).await;
        let file = file.map_err(|error| {
            tracing::error!(%error, export = id, "a ready export's file can't be opened");
            AppError::Internal
        })?;
        Ok((job, file))
    }

    /// `who`'s exports of the last day, newest first — of the rooms they may still see.
    ///
    /// # Errors
    /// `Internal` if the store fails.
    pub async fn summaries(&self, who: &Account) -> Result<Vec<ExportSummary>, AppError> {
        let jobs = self.store.jobs_of(&who.username, kept_since()).await;
        let mut seen = Vec::new();
        for job in jobs.map_err(failed)? {
            if self.sees(who, &job).await? {
                seen.push(summary(job));
            }
        }
        Ok(seen)
    }
}

/// What the requester's tabs show of `job`.
pub fn summary(job: Job) -> ExportSummary {
    ExportSummary {
        id: job.id,
        room: job.room,
        state: job.state,
        percent: job.percent,
    }
}

/// Exports made before this have expired.
pub(super) fn kept_since() -> Timestamp {
    Timestamp(Timestamp::now().millis() - KEPT_FOR.as_millis() as i64)
}

/// Where `job`'s finished file is.
pub(super) fn file_path(dir: &std::path::Path, job: &Job) -> PathBuf {
    dir.join(format!("{}.{}", job.id, job.format.name()))
}

/// What the caller may see of a store failure: it is logged, not shown.
pub(super) fn failed(error: sqlx::Error) -> AppError {
    tracing::error!(%error, "export store failed");
    AppError::Internal
}
