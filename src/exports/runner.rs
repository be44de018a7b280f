//! The background runner: takes export jobs one at a time, writes each room's messages
//! page by page into a file (never the whole room in memory), tells the requester's topic
//! how far it has got and when it is done, and forgets exports older than a day.
//!
//! Each instance has a runner. A job is run by whichever runner claims it (see
//! [`ExportStore::claim`]); every minute each runner also looks for jobs left running whose
//! claim nobody holds — their instance stopped or died — and takes them up.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use tokio::io::AsyncWriteExt;
use tokio::sync::{OwnedSemaphorePermit, mpsc};

use super::download_url;
use super::service::{file_path, kept_since};
use super::store::{ExportStore, Job};
use crate::chat::domain::Page;
use crate::chat::service::ChatService;
use crate::inbox::service::personal_event;
use crate::live::Bus;
use crate::time::Timestamp;

/// How often expired exports are looked for.
const SWEEP_EVERY: Duration = Duration::from_secs(60 * 60);
/// How often jobs left running by an instance that is gone are looked for.
const ADOPT_EVERY: Duration = Duration::from_secs(60);

pub(super) struct Runner {
    pub store: Arc<dyn ExportStore>,
    pub chat: ChatService,
    pub bus: Arc<dyn Bus>,
    pub dir: Arc<PathBuf>,
}

type Failure = Box<dyn std::error::Error + Send + Sync>;

/// A job asked for on this instance, holding its place in the queue until it has run.
pub(super) struct Queued {
    pub job: Job,
    pub place: OwnedSemaphorePermit,
}

impl Runner {
    /// Runs the jobs that arrive on `queue` until it closes (the app is gone), sweeping
    /// expired ones every hour.
    pub async fn run(self, mut queue: mpsc::UnboundedReceiver<Queued>) {
        let mut sweep = tokio::time::interval(SWEEP_EVERY);
        let mut adopt = tokio::time::interval(ADOPT_EVERY);
        loop {
            tokio::select! {
                job = queue.recv() => match job {
                    Some(Queued { job, place }) => {
                        self.claim(job).await;
                        drop(place);
                    }
                    None => return,
                },
                _ = sweep.tick() => self.sweep().await,
                _ = adopt.tick() => self.adopt().await,
            }
        }
    }

    /// Runs every job left running that no runner holds: at start, those a stopped server
    /// left, and then those of instances that are gone.
    async fn adopt(&self) {
        match self.store.running().await {
            Ok(left) => {
                for job in left {
                    self.claim(job).await;
                }
            }
            Err(error) => tracing::error!(%error, "unfinished exports can't be listed"),
        }
    }

    /// Runs `job` if this runner can claim it and it is still to be run.
    async fn claim(&self, job: Job) {
        let claimed = match self.store.claim(job.id).await {
            Ok(Some(claim)) => claim,
            Ok(None) => return,
            Err(error) => return tracing::error!(%error, export = job.id, "can't claim"),
        };
        // Another runner may have finished it between its listing and this claim.
        match self.store.job(job.id, kept_since()).await {
            Ok(Some(job)) if job.state == "running" => self.finish(job).await,
            Ok(_) => {}
            Err(error) => tracing::error!(%error, export = job.id, "can't read a job"),
        }
        claimed.release().await;
    }

    /// Runs `job` to its end, ready or failed, and tells its requester either way.
    async fn finish(&self, job: Job) {
        let ended = match self.write(&job).await {
            Ok(()) => {
                let ready =
                    json!({ "export": job.id, "room": job.room, "url": download_url(job.id) });
                self.tell(&job, 100, Some("ready"), "export-ready", &ready)
                    .await
            }
            Err(error) => {
                tracing::error!(%error, export = job.id, "an export failed");
                let part = self.dir.join(format!("{}.part", job.id));
                let _ = tokio::fs::remove_file(part).await;
                let failed = json!({ "export": job.id, "room": job.room });
                self.tell(&job, job.percent, Some("failed"), "export-failed", &failed)
                    .await
            }
        };
        if let Err(error) = ended {
            // Left running: a runner takes it up again when its claim is let go.
            tracing::error!(%error, export = job.id, "an export's end can't be recorded");
        }
    }

    /// Writes every message the room has now into the job's file, oldest first, as the
    /// requester may read them; progress is told each time the percent done grows.
    async fn write(&self, job: &Job) -> Result<(), Failure> {
        self.store.begin(job.id, Timestamp::now()).await?;
        let (total, newest) = self.store.extent(&job.room).await?;
        let part = self.dir.join(format!("{}.part", job.id));
        let mut file = tokio::io::BufWriter::new(tokio::fs::File::create(&part).await?);
        file.write_all(job.format.header().as_bytes()).await?;
        let (mut after, mut written, mut told) = (0, 0, 0);
        let mut text = String::new();
        loop {
            let page = Page {
                after: Some(after),
                limit: Some(Page::MAX_LIMIT),
                ..Page::default()
            };
            let messages = self
                .chat
                .messages(Some(&job.requester), &job.room, page)
                .await?;
            let messages: Vec<_> = messages.into_iter().filter(|m| m.id <= newest).collect();
            let Some(last) = messages.last() else { break };
            after = last.id;
            text.clear();
            for message in &messages {
                job.format.write(message, &mut text);
            }
            file.write_all(text.as_bytes()).await?;
            written += messages.len() as i64;
            let percent = (written * 100 / total.max(1)).min(99);
            if percent > told {
                told = percent;
                let progress = json!({ "export": job.id, "percent": percent });
                self.tell(job, percent, None, "export-progress", &progress)
                    .await?;
            }
        }
        file.flush().await?;
        file.get_ref().sync_all().await?;
        tokio::fs::rename(&part, file_path(&self.dir, job)).await?;
        let done = json!({ "export": job.id, "percent": 100 });
        self.tell(job, 100, None, "export-progress", &done).await?;
        Ok(())
    }

    /// Records `job` as `percent` done (ending it as `state`, if given) with the event
    /// `name` on its requester's topic, then publishes that event.
    async fn tell(
        &self,
        job: &Job,
        percent: i64,
        state: Option<&str>,
        name: &'static str,
        payload: &serde_json::Value,
    ) -> Result<(), sqlx::Error> {
        let data = payload.to_string();
        let (cursor, after) = self
            .store
            .advance(job, percent, state, (name, &data))
            .await?;
        let event = personal_event(&job.requester, name, Some(cursor), payload);
        self.bus.publish(event.following(after));
        Ok(())
    }

    /// Forgets exports older than a day, and their files.
    async fn sweep(&self) {
        let expired = match self.store.expire(kept_since()).await {
            Ok(expired) => expired,
            Err(error) => return tracing::error!(%error, "expired exports can't be swept"),
        };
        let mut files = match tokio::fs::read_dir(&*self.dir).await {
            Ok(files) => files,
            Err(_) => return,
        };
        while let Ok(Some(file)) = files.next_entry().await {
            let name = file.file_name();
            let id = name.to_string_lossy();
            let id = id.split('.').next().and_then(|id| id.parse::<i64>().ok());
            if id.is_some_and(|id| expired.contains(&id)) {
                let _ = tokio::fs::remove_file(file.path()).await;
            }
        }
    }
}
