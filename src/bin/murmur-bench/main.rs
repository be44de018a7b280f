//! `murmur-bench`: starts the release server on a fresh database and measures fan-out:
//! memory per idle subscriber, publish-to-delivery latency and loss at several subscriber
//! counts, deliveries per second at saturation, posts per second, server-rendered pages per
//! second (with `wrk`), and the browser bundle's size as served. Prints a Markdown table.
//! Run it with `scripts/bench.sh` (`--quick` for a smoke run), which also runs the browser
//! half in `end2end/bench/`.

mod export;
mod http;
mod server;
mod subscribers;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::sync::watch;

use http::{Poster, timed_form, timed_message};
use server::Server;
use subscribers::{Seen, Sources};

/// Microseconds since the Unix epoch: the clock both sides of a latency sample share.
pub fn now_micros() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_micros()
}

struct Plan {
    idle: usize,
    /// The messages in the room exported.
    exported: u64,
    latency_at: Vec<usize>,
    posts_per_second: u64,
    seconds: u64,
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let quick = std::env::args().any(|arg| arg == "--quick");
    let plan = if quick {
        Plan {
            idle: 300,
            exported: 2_000,
            latency_at: vec![300],
            posts_per_second: 10,
            seconds: 2,
        }
    } else {
        Plan {
            idle: 19_000,
            exported: 200_000,
            latency_at: vec![1_000, 5_000, 10_000],
            posts_per_second: 10,
            seconds: 10,
        }
    };
    let server = Server::start().await?;
    server.create_room("bench").await?;
    let mut lost_anywhere = 0;

    println!("| measurement | result |\n| --- | --- |");
    let (per_subscriber, lost) = idle_memory(&server, plan.idle).await?;
    lost_anywhere += lost;
    println!(
        "| idle subscribers held | {} (all received a message: {}) |",
        plan.idle,
        lost == 0
    );
    println!(
        "| server RSS per idle subscriber | {:.1} KiB |",
        per_subscriber / 1024.0
    );

    // Every size with posts; the middle one with edits too (one event each, like a post).
    let edits_at = plan.latency_at[plan.latency_at.len() / 2];
    let runs = plan.latency_at.iter().map(|&count| (count, Change::Post));
    for (count, change) in runs.chain([(edits_at, Change::Edit)]) {
        let report = fan_out(&server, count, plan.posts_per_second, plan.seconds, change).await?;
        lost_anywhere += report.lost;
        println!(
            "| {count} subscribers, {} {}/s: latency p50 / p99 / max | {} / {} / {} ms, {} lost |",
            plan.posts_per_second,
            change.name(),
            ms(report.percentile(50.0)),
            ms(report.percentile(99.0)),
            ms(report.percentile(100.0)),
            report.lost
        );
    }

    // Presence on: each subscriber a reader of its own, and readers coming and going.
    let count = plan.latency_at[0];
    let (report, visits) =
        presence_churn(&server, count, plan.posts_per_second, plan.seconds).await?;
    lost_anywhere += report.lost;
    println!(
        "| {count} readers (each its own address), {} posts/s, {CHURNERS} more coming and going ({visits} visits): latency p50 / p99 / max | {} / {} / {} ms, {} lost |",
        plan.posts_per_second,
        ms(report.percentile(50.0)),
        ms(report.percentile(99.0)),
        ms(report.percentile(100.0)),
        report.lost
    );

    let saturated = saturation(&server, plan.latency_at[0], plan.seconds).await?;
    lost_anywhere += saturated.lost;
    println!(
        "| {} subscribers, posting flat out | {:.0} deliveries/s, {} lost |",
        plan.latency_at[0], saturated.deliveries_per_second, saturated.lost
    );
    for (route, rate) in posts_per_second(&server, plan.latency_at[0], plan.seconds).await? {
        println!(
            "| posts/s through {route}, {} listening | {rate:.0} |",
            plan.latency_at[0]
        );
    }
    if !quick {
        let rate = pages_per_second(&server).await?;
        println!("| SSR room page (50 messages), wrk -t2 -c64 -d10s | {rate:.0} requests/s |");
    }
    let run = export::export(&server, plan.exported).await?;
    println!(
        "| export of a {}-message room as JSON Lines: job time, server RSS growth, file | {:.1} s, {:.1} MiB, {:.1} MiB |",
        run.messages,
        run.seconds,
        run.rss_growth as f64 / (1024.0 * 1024.0),
        run.bytes as f64 / (1024.0 * 1024.0)
    );
    for file in ["murmur.wasm", "murmur.js"] {
        let [raw, gzip, brotli] = served_sizes(&server, file).await?;
        println!(
            "| release {file} as served: raw / gzip / brotli | {:.1} / {:.1} / {:.1} KiB |",
            kib(raw),
            kib(gzip),
            kib(brotli)
        );
    }
    if lost_anywhere > 0 {
        eprintln!("{lost_anywhere} deliveries lost");
        std::process::exit(1);
    }
    Ok(())
}

fn kib(bytes: usize) -> f64 {
    bytes as f64 / 1024.0
}

/// The size of `/pkg/<file>` as sent uncompressed, to a client accepting gzip, and to one
/// accepting brotli; fails unless each comes back in the encoding asked for.
async fn served_sizes(server: &Server, file: &str) -> std::io::Result<[usize; 3]> {
    let mut connection = Poster::connect(server.addr).await?;
    let mut sizes = [0; 3];
    for (size, encoding) in sizes.iter_mut().zip(["identity", "gzip", "br"]) {
        let (status, sent_as, body) = connection.get(&format!("/pkg/{file}"), encoding).await?;
        let expected = (encoding != "identity").then_some(encoding);
        if status != 200 || sent_as.as_deref() != expected {
            return Err(std::io::Error::other(format!(
                "/pkg/{file} for {encoding}: {status}, sent as {sent_as:?}"
            )));
        }
        *size = body.len();
    }
    Ok(sizes)
}

/// Server-rendered room pages per second, measured by `wrk` (Debian's package).
async fn pages_per_second(server: &Server) -> std::io::Result<f64> {
    let url = format!("http://{}/rooms/bench", server.addr);
    let output = tokio::process::Command::new("wrk")
        .args(["-t2", "-c64", "-d10s", &url])
        .output()
        .await
        .map_err(|e| std::io::Error::other(format!("wrk: {e} (apt-get install wrk)")))?;
    let report = String::from_utf8_lossy(&output.stdout);
    if report.contains("Non-2xx") || report.contains("Socket errors") {
        return Err(std::io::Error::other(format!("wrk saw errors:\n{report}")));
    }
    report
        .lines()
        .find_map(|line| line.strip_prefix("Requests/sec:"))
        .and_then(|rate| rate.trim().parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("no rate in wrk's report:\n{report}")))
}

fn ms(micros: u32) -> String {
    format!("{:.1}", f64::from(micros) / 1000.0)
}

/// Opens `count` idle subscribers; returns server RSS bytes per subscriber and how many
/// subscribers missed the one message posted to prove they are all receiving.
async fn idle_memory(server: &Server, count: usize) -> std::io::Result<(f64, u64)> {
    let before = server.rss_bytes()?;
    let crowd = Crowd::open(server, count, Sources::Shared).await?;
    let after = server.rss_bytes()?;
    server
        .post_json("bench", &timed_message(now_micros()))
        .await?;
    let seen = crowd.settle(1).await;
    let lost = seen.iter().filter(|seen| seen.messages < 1).count() as u64;
    Ok(((after.saturating_sub(before)) as f64 / count as f64, lost))
}

/// Where the subscribers listen.
const ROOM_STREAM: &str = "/rooms/bench/stream";
/// How many readers come and go at once while presence is measured.
const CHURNERS: usize = 100;

/// Subscribers being measured: each counts into `delivered` as messages arrive.
struct Crowd {
    subscribers: Vec<tokio::task::JoinHandle<Seen>>,
    delivered: Arc<AtomicU64>,
    stop: watch::Sender<bool>,
}

impl Crowd {
    async fn open(server: &Server, count: usize, sources: Sources) -> std::io::Result<Self> {
        let (stop, stopped) = watch::channel(false);
        let delivered = Arc::new(AtomicU64::new(0));
        let subscribers = subscribers::open(
            server.addr,
            ROOM_STREAM,
            count,
            sources,
            &stopped,
            &delivered,
        )
        .await?;
        Ok(Self {
            subscribers,
            delivered,
            stop,
        })
    }

    /// Waits until every subscriber has `each` messages, or 30 s pass without them (what
    /// is missing then is counted as lost), then stops them and gathers what they saw.
    async fn settle(self, each: u64) -> Vec<Seen> {
        let expected = each * self.subscribers.len() as u64;
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.delivered.load(Ordering::Relaxed) < expected && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let _ = self.stop.send(true);
        subscribers::gather(self.subscribers).await
    }
}

struct FanOut {
    latencies: Vec<u32>,
    lost: u64,
    deliveries_per_second: f64,
}

impl FanOut {
    fn new(seen: Vec<Seen>, posted: u64, elapsed: Duration) -> Self {
        let lost = seen
            .iter()
            .map(|seen| posted.saturating_sub(seen.messages))
            .sum();
        let delivered: u64 = seen.iter().map(|seen| seen.messages).sum();
        let mut latencies: Vec<u32> = seen.into_iter().flat_map(|seen| seen.latencies).collect();
        latencies.sort_unstable();
        Self {
            latencies,
            lost,
            deliveries_per_second: delivered as f64 / elapsed.as_secs_f64(),
        }
    }

    fn percentile(&self, p: f64) -> u32 {
        if self.latencies.is_empty() {
            return 0;
        }
        let rank = ((p / 100.0) * (self.latencies.len() - 1) as f64).round() as usize;
        self.latencies[rank]
    }
}

/// What each tick of a fan-out run does to the room.
#[derive(Clone, Copy)]
enum Change {
    /// Posts a new message.
    Post,
    /// Edits one message, again and again.
    Edit,
}

impl Change {
    fn name(self) -> &'static str {
        match self {
            Self::Post => "posts",
            Self::Edit => "edits",
        }
    }
}

/// `count` subscribers while one poster makes `rate` changes a second for `seconds`.
async fn fan_out(
    server: &Server,
    count: usize,
    rate: u64,
    seconds: u64,
    change: Change,
) -> std::io::Result<FanOut> {
    let (method, path, status) = match change {
        Change::Post => ("POST", JSON_API.path.to_owned(), 201),
        Change::Edit => {
            let (_, message) = server
                .poster()
                .await?
                .post(JSON_API.path, JSON_API.content_type, "{\"body\":\"x\"}")
                .await?;
            let id = message_id(&message);
            ("PATCH", format!("{}/{id}", JSON_API.path), 200)
        }
    };
    let crowd = Crowd::open(server, count, Sources::Shared).await?;
    // Connected once the crowd is in: hyper may close a kept-alive connection that sends no
    // request for 30 s, and opening 10,000 subscribers can take about that long.
    let mut poster = server.poster().await?;
    let changes = (method, path.as_str(), status);
    let (posted, elapsed) = change_at(&mut poster, changes, rate, seconds).await?;
    Ok(FanOut::new(crowd.settle(posted).await, posted, elapsed))
}

/// [`fan_out`] of posts to `count` readers, each at an address of its own (so presence
/// counts each), while [`CHURNERS`] other readers keep joining and leaving the room.
/// Answers the fan-out and how many visits the others made.
async fn presence_churn(
    server: &Server,
    count: usize,
    rate: u64,
    seconds: u64,
) -> std::io::Result<(FanOut, u64)> {
    let crowd = Crowd::open(server, count, Sources::Own).await?;
    let mut poster = server.poster().await?;
    let (stop, stopped) = watch::channel(false);
    let churn = subscribers::churn(server.addr, ROOM_STREAM, CHURNERS, &stopped);
    let posts = ("POST", JSON_API.path, 201);
    let (posted, elapsed) = change_at(&mut poster, posts, rate, seconds).await?;
    let _ = stop.send(true);
    let visits = churn.await.unwrap_or(0);
    Ok((
        FanOut::new(crowd.settle(posted).await, posted, elapsed),
        visits,
    ))
}

/// Sends `rate` timed messages a second for `seconds` as `(method, path, expected status)`;
/// answers how many, and how long that took.
async fn change_at(
    poster: &mut Poster,
    (method, path, status): (&str, &str, u16),
    rate: u64,
    seconds: u64,
) -> std::io::Result<(u64, Duration)> {
    let mut ticks = tokio::time::interval(Duration::from_micros(1_000_000 / rate));
    let started = Instant::now();
    let posted = rate * seconds;
    for _ in 0..posted {
        ticks.tick().await;
        let body = (JSON_API.body)(now_micros());
        let (answered, _) = poster
            .send_body(method, path, JSON_API.content_type, &body)
            .await?;
        assert_eq!(answered, status);
    }
    Ok((posted, started.elapsed()))
}

/// The `"id"` of a message in its JSON.
fn message_id(json: &str) -> u64 {
    let digits = json.split("\"id\":").nth(1).unwrap_or_default();
    let digits: String = digits.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().expect("a message with an id")
}

/// Where and how a benchmark posts.
#[derive(Clone, Copy)]
struct Route {
    name: &'static str,
    path: &'static str,
    content_type: &'static str,
    body: fn(u128) -> String,
}

const JSON_API: Route = Route {
    name: "the JSON API",
    path: "/api/rooms/bench/messages",
    content_type: "application/json",
    body: timed_message,
};

const SERVER_FN: Route = Route {
    name: "the server function",
    path: "/api/post_message",
    content_type: "application/x-www-form-urlencoded",
    body: |sent| timed_form("bench", sent),
};

/// `count` subscribers while 4 posters post as fast as they can for `seconds`.
async fn saturation(server: &Server, count: usize, seconds: u64) -> std::io::Result<FanOut> {
    let crowd = Crowd::open(server, count, Sources::Shared).await?;
    let started = Instant::now();
    let posted = post_flat_out(server, JSON_API, seconds).await?;
    let settled = crowd.settle(posted).await;
    Ok(FanOut::new(settled, posted, started.elapsed()))
}

/// Posts per second through the JSON API and through the server function, with `count`
/// subscribers listening.
async fn posts_per_second(
    server: &Server,
    count: usize,
    seconds: u64,
) -> std::io::Result<Vec<(&'static str, f64)>> {
    let crowd = Crowd::open(server, count, Sources::Shared).await?;
    let mut rates = Vec::new();
    let mut posted = 0;
    for route in [JSON_API, SERVER_FN] {
        let count = post_flat_out(server, route, seconds).await?;
        rates.push((route.name, count as f64 / seconds as f64));
        posted += count;
    }
    crowd.settle(posted).await;
    Ok(rates)
}

/// Four posters on kept-alive connections for `seconds`; returns how many posts succeeded.
async fn post_flat_out(server: &Server, route: Route, seconds: u64) -> std::io::Result<u64> {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut posters = Vec::new();
    for _ in 0..4 {
        let mut poster = server.poster().await?;
        posters.push(tokio::spawn(async move {
            let mut posted = 0u64;
            while Instant::now() < deadline {
                match poster
                    .post(route.path, route.content_type, &(route.body)(now_micros()))
                    .await
                {
                    Ok((200 | 201, _)) => posted += 1,
                    other => panic!("post failed: {other:?}"),
                }
            }
            posted
        }));
    }
    let mut total = 0;
    for poster in posters {
        total += poster.await.unwrap_or(0);
    }
    Ok(total)
}
