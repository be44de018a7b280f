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

use live_loader::Bus;
use serde_json::json;
use tokio::io::AsyncWriteExt;
use tokio::sync::{OwnedSemaphorePermit, mpsc};
use tokio::time::Instant;

use super::download_url;
use super::service::{file_path, kept_since};
use super::store::{ExportStore, Job};
use crate::activity::Activity;
use crate::chat::domain::Page;
use crate::chat::service::ChatService;
use crate::inbox::service::personal_event;
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
    /// Where the exports running here are shown to the operations dashboard.
    pub activity: Activity,
}

type Failure = Box<dyn std::error::Error + Send + Sync>;

/// An event of an export on its requester's topic: its name and its payload.
type Told = (&'static str, serde_json::Value);

/// Export `id` is `percent` done.
fn progress(id: i64, percent: i64) -> Told {
    let payload = json!({ "export": id, "percent": percent });
    ("export-progress", payload)
}

/// Export `id`, of room `room`, is ready: where to download it.
fn ready(id: i64, room: &str) -> Told {
    let payload = json!({ "export": id, "room": room, "url": download_url(id) });
    ("export-ready", payload)
}

/// Export `id`, of room `room`, failed.
fn failed(id: i64, room: &str) -> Told {
    let payload = json!({ "export": id, "room": room });
    ("export-failed", payload)
}

/// A job asked for on this instance, holding its place in the queue until it has been made
/// (or has failed).
pub(super) struct Queued {
    pub job: Job,
    pub place: OwnedSemaphorePermit,
}

impl Runner {
    /// Sweeps expired exports and lists the jobs a stopped server left running, then runs
    /// in the background: those jobs first, then the jobs that arrive on `queue` until it
    /// closes (the app is gone), sweeping expired ones every hour and adopting orphans
    /// every minute. Returns once the first sweep and listing are done, so a started app
    /// makes no query of its own afterwards until a period has passed.
    pub async fn start(self, queue: mpsc::UnboundedReceiver<Queued>) {
        self.sweep().await;
        let left = self.left_running().await;
        tokio::spawn(self.run(queue, left));
    }

    async fn run(self, mut queue: mpsc::UnboundedReceiver<Queued>, left: Vec<Job>) {
        self.claim_all(left).await;
        let every = |period| tokio::time::interval_at(Instant::now() + period, period);
        let (mut sweep, mut adopt) = (every(SWEEP_EVERY), every(ADOPT_EVERY));
        loop {
            tokio::select! {
                job = queue.recv() => match job {
                    Some(Queued { job, place }) => self.claim(job, Some(place)).await,
                    None => return,
                },
                _ = sweep.tick() => self.sweep().await,
                _ = adopt.tick() => self.claim_all(self.left_running().await).await,
            }
        }
    }

    /// Every job left running that no runner holds: at start, those a stopped server left,
    /// and then those of instances that are gone.
    async fn left_running(&self) -> Vec<Job> {
        self.store.running().await.unwrap_or_else(|error| {
            tracing::error!(%error, "unfinished exports can't be listed");
            Vec::new()
        })
    }

    /// Runs each of `jobs` that this runner can claim.
    async fn claim_all(&self, jobs: Vec<Job>) {
        for job in jobs {
            self.claim(job, None).await;
        }
    }

    /// Runs `job` if this runner can claim it and it is still to be run; `place` is its
    /// place in this instance's queue, if it was asked for here.
    async fn claim(&self, job: Job, place: Option<OwnedSemaphorePermit>) {
        let claimed = match self.store.claim(job.id).await {
            Ok(Some(claim)) => claim,
            Ok(None) => return,
            Err(error) => return tracing::error!(%error, export = job.id, "can't claim"),
        };
        // Another runner may have finished it between its listing and this claim.
        match self.store.job(job.id, kept_since()).await {
            Ok(Some(job)) if job.state == "running" => self.finish(job, place).await,
            Ok(_) => {}
            Err(error) => tracing::error!(%error, export = job.id, "can't read a job"),
        }
        claimed.release().await;
    }

    /// Runs `job` to its end, ready or failed, and tells its requester either way. Its
    /// queue `place` is given up before they are told: told, they may ask for the next.
    async fn finish(&self, job: Job, place: Option<OwnedSemaphorePermit>) {
        let written = self.write(&job).await;
        drop(place);
        let ended = match written {
            Ok(()) => {
                let ready = ready(job.id, &job.room);
                self.tell(&job, 100, Some("ready"), ready).await
            }
            Err(error) => {
                tracing::error!(%error, export = job.id, "an export failed");
                let part = self.dir.join(format!("{}.part", job.id));
                let _ = tokio::fs::remove_file(part).await;
                let failed = failed(job.id, &job.room);
                self.tell(&job, job.percent, Some("failed"), failed).await
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
                self.tell(job, percent, None, progress(job.id, percent))
                    .await?;
            }
        }
        file.flush().await?;
        file.get_ref().sync_all().await?;
        tokio::fs::rename(&part, file_path(&self.dir, job)).await?;
        self.tell(job, 100, None, progress(job.id, 100)).await?;
        Ok(())
    }

    /// Records `job` as `percent` done (ending it as `state`, if given) with the event
    /// `told` on its requester's topic, then publishes that event.
    async fn tell(
        &self,
        job: &Job,
        percent: i64,
        state: Option<&str>,
        (name, payload): Told,
    ) -> Result<(), sqlx::Error> {
        let data = payload.to_string();
        let (cursor, after) = self
            .store
            .advance(job, percent, state, (name, &data))
            .await?;
        let event = personal_event(&job.requester, name, Some(cursor), &payload);
        self.bus.publish(event.following(after));
        let running = state.is_none().then_some(percent);
        self.activity.exporting(job.id, &job.room, running);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exports::status::ExportChange;
    use crate::js::native::parse;

    fn read((name, payload): Told) -> Option<ExportChange> {
        parse(&personal_event("ada", name, Some(1), &payload).live_data())
    }

    #[test]
    fn each_export_event_reads_back_in_the_browser_as_it_was_written() {
        let progress = ExportChange::Progress { id: 4, percent: 40 };
        assert_eq!(read(super::progress(4, 40)), Some(progress));
        let ended = |state| ExportChange::Ended {
            id: 4,
            room: "lobby".into(),
            state,
        };
        assert_eq!(read(ready(4, "lobby")), Some(ended("ready")));
        assert_eq!(read(failed(4, "lobby")), Some(ended("failed")));
    }
}
