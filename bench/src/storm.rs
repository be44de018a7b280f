//! A reconnect storm: subscribers holding cursors lose their streams to a restart (as in a
//! deploy), messages are posted while they are away, and all come back at once — spread
//! over a second as browsers' jittered retries spread them, or at the same instant as raw
//! clients without a backoff. Measures how long until every one is live again and has
//! every message it missed, exactly once, and the server's peak memory meanwhile.

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::io::AsyncReadExt;
use tokio::sync::watch;

use super::http::timed_message;
use super::now_micros;
use super::server::Server;
use super::subscribers::{Opened, Sources, connect, find};

const ROOM_STREAM: &str = "/rooms/bench/stream";
/// Messages every subscriber has before the restart: each then holds a cursor.
const BEFORE: u64 = 5;
/// Messages posted while the subscribers are away.
pub const MISSED: u64 = 10;
/// How long a subscriber waits after a connection failed or was refused.
const FAILED_RETRY: Duration = Duration::from_millis(50);

/// How the subscribers come back.
#[derive(Clone, Copy)]
pub enum Return {
    /// Each at its own moment within a second, as browsers' jittered retries do.
    Jittered,
    /// All at the same instant.
    AtOnce,
}

impl Return {
    pub fn name(self) -> &'static str {
        match self {
            Self::Jittered => "spread over 1 s",
            Self::AtOnce => "all at once",
        }
    }

    /// Subscriber `n`'s wait before it reconnects: spread evenly, in a scrambled order.
    fn delay(self, n: usize) -> Duration {
        match self {
            Self::Jittered => Duration::from_millis((n as u64).wrapping_mul(2_654_435_761) % 1_000),
            Self::AtOnce => Duration::ZERO,
        }
    }
}

/// What a storm measured.
pub struct Storm {
    /// From the go until every subscriber had an open stream again.
    pub all_back: Duration,
    /// From the go until every subscriber had every message it missed; `None` when some
    /// had not after [`PATIENCE`].
    pub caught_up: Option<Duration>,
    /// Messages some subscriber never got, and got twice.
    pub lost: u64,
    pub duplicates: u64,
    /// Connections that failed or were answered with anything but `200` after the go.
    pub failed: u64,
    /// The restarted server's peak resident memory.
    pub peak_rss: u64,
}

/// How long the benchmark waits for a storm to settle.
const PATIENCE: Duration = Duration::from_secs(60);

/// What the subscribers count into together.
#[derive(Default)]
struct Tally {
    /// Messages received, each counted once.
    delivered: AtomicU64,
    /// Subscribers that have every message they missed.
    caught_up: AtomicU64,
    failed: AtomicU64,
}

/// One subscriber's own count.
#[derive(Default)]
struct Seen {
    /// The newest `id:` it read: the cursor it resumes after.
    last_id: Option<u64>,
    messages: u64,
    duplicates: u64,
    back_at: Option<Instant>,
    caught_up_at: Option<Instant>,
}

/// `count` subscribers with cursors through a restart of `server`, coming back as `how`.
pub async fn storm(server: &mut Server, count: usize, how: Return) -> io::Result<Storm> {
    let tally = Arc::new(Tally::default());
    let (go, went) = watch::channel(false);
    let (stop, stopped) = watch::channel(false);
    let sources = Sources::shared();
    let mut subscribers = Vec::with_capacity(count);
    for n in 0..count {
        let opened = connect(server.addr, ROOM_STREAM, sources.address(n), None).await?;
        let (tally, went, stopped) = (Arc::clone(&tally), went.clone(), stopped.clone());
        let addr = server.addr;
        subscribers.push(tokio::spawn(async move {
            let mut seen = Seen::default();
            let mut stream = opened;
            loop {
                if !read_until_closed(stream, &mut seen, &tally, stopped.clone()).await {
                    return seen;
                }
                // Closed by the restart: back once told to go, after this one's delay.
                let _ = went.clone().wait_for(|go| *go).await;
                tokio::time::sleep(how.delay(n)).await;
                stream = reconnect(addr, sources.address(n), seen.last_id, &tally).await;
                seen.back_at = Some(Instant::now());
            }
        }));
    }
    let mut poster = server.poster().await?;
    post(&mut poster, BEFORE).await?;
    settle(&tally.delivered, BEFORE * count as u64).await;

    server.restart().await?;
    let mut poster = server.poster().await?;
    post(&mut poster, MISSED).await?;
    let started = Instant::now();
    let _ = go.send(true);
    // Posts go on meanwhile, ten a second, through the seam between replay and live events.
    let mut ticks = tokio::time::interval(Duration::from_millis(100));
    let mut live = 0;
    while tally.caught_up.load(Ordering::SeqCst) < count as u64 && started.elapsed() < PATIENCE {
        ticks.tick().await;
        post(&mut poster, 1).await?;
        live += 1;
    }
    let expected = (BEFORE + MISSED + live) * count as u64;
    settle(&tally.delivered, expected).await;
    let peak_rss = server.peak_rss_bytes()?;
    let _ = stop.send(true);
    let mut seen = Vec::with_capacity(count);
    for subscriber in subscribers {
        seen.push(subscriber.await.map_err(io::Error::other)?);
    }
    let since = |at: Option<Instant>| at.map(|at| at.duration_since(started));
    let latest = |of: fn(&Seen) -> Option<Instant>| {
        seen.iter()
            .map(|seen| since(of(seen)))
            .collect::<Option<Vec<_>>>()
            .and_then(|all| all.into_iter().max())
    };
    Ok(Storm {
        all_back: latest(|seen| seen.back_at).unwrap_or(PATIENCE),
        caught_up: latest(|seen| seen.caught_up_at),
        lost: seen
            .iter()
            .map(|seen| (BEFORE + MISSED + live).saturating_sub(seen.messages))
            .sum(),
        duplicates: seen.iter().map(|seen| seen.duplicates).sum(),
        failed: tally.failed.load(Ordering::SeqCst),
        peak_rss,
    })
}

/// Posts `count` timed messages, one after another.
async fn post(poster: &mut super::http::Poster, count: u64) -> io::Result<()> {
    for _ in 0..count {
        let body = timed_message(now_micros());
        let (status, reply) = poster
            .post("/api/rooms/bench/messages", "application/json", &body)
            .await?;
        if status != 201 {
            return Err(io::Error::other(format!("post: {status} {reply}")));
        }
    }
    Ok(())
}

/// Waits until `counter` reaches `expected`, or for [`PATIENCE`].
async fn settle(counter: &AtomicU64, expected: u64) {
    let deadline = Instant::now() + PATIENCE;
    while counter.load(Ordering::SeqCst) < expected && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Opens a subscriber's stream from `source` again after `last_id`, retrying until it opens.
async fn reconnect(
    addr: std::net::SocketAddr,
    source: std::net::IpAddr,
    last_id: Option<u64>,
    tally: &Tally,
) -> Opened {
    let id = last_id.map(|id| id.to_string());
    loop {
        match connect(addr, ROOM_STREAM, source, id.as_deref()).await {
            Ok(opened) => return opened,
            Err(_) => {
                tally.failed.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(FAILED_RETRY).await;
            }
        }
    }
}

/// Reads messages until the server closes the stream (`true`) or `stop` (`false`).
async fn read_until_closed(
    opened: Opened,
    seen: &mut Seen,
    tally: &Tally,
    mut stop: watch::Receiver<bool>,
) -> bool {
    let Opened {
        mut stream, first, ..
    } = opened;
    let mut pending = first;
    let mut buffer = vec![0u8; 4096];
    loop {
        count(&mut pending, seen, tally);
        tokio::select! {
            read = stream.read(&mut buffer) => match read {
                Ok(n @ 1..) => pending.extend_from_slice(&buffer[..n]),
                _ => return true,
            },
            _ = stop.wait_for(|stop| *stop) => return false,
        }
    }
}

/// Counts the complete message frames in `pending`, each new `id:` once.
fn count(pending: &mut Vec<u8>, seen: &mut Seen, tally: &Tally) {
    let mut start = 0;
    while let Some(length) = find(&pending[start..], b"\n\n") {
        let frame = std::str::from_utf8(&pending[start..start + length]).unwrap_or_default();
        start += length + 2;
        if !frame.starts_with("event: message\n") {
            continue;
        }
        let id = frame
            .lines()
            .find_map(|line| line.strip_prefix("id: "))
            .and_then(|id| id.parse::<u64>().ok());
        match (id, seen.last_id) {
            (Some(id), Some(last)) if id <= last => seen.duplicates += 1,
            _ => {
                seen.last_id = id.or(seen.last_id);
                seen.messages += 1;
                tally.delivered.fetch_add(1, Ordering::SeqCst);
                if seen.messages == BEFORE + MISSED {
                    seen.caught_up_at = Some(Instant::now());
                    tally.caught_up.fetch_add(1, Ordering::SeqCst);
                }
            }
        }
    }
    pending.drain(..start);
}
