//! Fan-out runs: a crowd of subscribers on the bench room, measured while its messages
//! change at a steady rate, flat out, or while other readers come and go.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::watch;

use super::http::{Poster, timed_form, timed_message};
use super::now_micros;
use super::server::Server;
use super::subscribers::{self, Seen, Sources};

/// Where the subscribers listen.
const ROOM_STREAM: &str = "/rooms/bench/stream";
/// How many readers come and go at once while presence is measured.
pub const CHURNERS: usize = 100;

/// Subscribers being measured: each counts into `delivered` as messages arrive.
pub struct Crowd {
    subscribers: Vec<tokio::task::JoinHandle<Seen>>,
    delivered: Arc<AtomicU64>,
    stop: watch::Sender<bool>,
}

impl Crowd {
    pub async fn open(server: &Server, count: usize, sources: Sources) -> std::io::Result<Self> {
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
    pub async fn settle(self, each: u64) -> Vec<Seen> {
        let expected = each * self.subscribers.len() as u64;
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.delivered.load(Ordering::Relaxed) < expected && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let _ = self.stop.send(true);
        subscribers::gather(self.subscribers).await
    }
}

#[derive(Clone)]
pub struct FanOut {
    latencies: Vec<u32>,
    pub lost: u64,
    pub deliveries_per_second: f64,
}

impl FanOut {
    pub fn new(seen: Vec<Seen>, posted: u64, elapsed: Duration) -> Self {
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

    pub fn percentile(&self, p: f64) -> u32 {
        if self.latencies.is_empty() {
            return 0;
        }
        let rank = ((p / 100.0) * (self.latencies.len() - 1) as f64).round() as usize;
        self.latencies[rank]
    }
}

/// What each tick of a fan-out run does to the room.
#[derive(Clone, Copy)]
pub enum Change {
    /// Posts a new message.
    Post,
    /// Edits one message, again and again.
    Edit,
}

impl Change {
    pub fn name(self) -> &'static str {
        match self {
            Self::Post => "posts",
            Self::Edit => "edits",
        }
    }
}

/// `count` subscribers while one poster makes `rate` changes a second for `seconds`.
pub async fn fan_out(
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
    let crowd = Crowd::open(server, count, Sources::shared()).await?;
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
pub async fn presence_churn(
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
pub async fn saturation(server: &Server, count: usize, seconds: u64) -> std::io::Result<FanOut> {
    let crowd = Crowd::open(server, count, Sources::shared()).await?;
    let started = Instant::now();
    let posted = post_flat_out(server, JSON_API, Until::Elapsed(seconds)).await?;
    let settled = crowd.settle(posted).await;
    Ok(FanOut::new(settled, posted, started.elapsed()))
}

/// `count` subscribers while 4 posters send `posts` between them as fast as they can:
/// deliveries per second from the first post to the last delivery.
pub async fn flat_out(server: &Server, count: usize, posts: u64) -> std::io::Result<FanOut> {
    let crowd = Crowd::open(server, count, Sources::shared()).await?;
    let started = Instant::now();
    post_flat_out(server, JSON_API, Until::Posted(posts)).await?;
    let settled = crowd.settle(posts).await;
    Ok(FanOut::new(settled, posts, started.elapsed()))
}

/// Posts per second through the JSON API and through the server function, with `count`
/// subscribers listening.
pub async fn posts_per_second(
    server: &Server,
    count: usize,
    seconds: u64,
) -> std::io::Result<Vec<(&'static str, f64)>> {
    let crowd = Crowd::open(server, count, Sources::shared()).await?;
    let mut rates = Vec::new();
    let mut posted = 0;
    for route in [JSON_API, SERVER_FN] {
        let count = post_flat_out(server, route, Until::Elapsed(seconds)).await?;
        rates.push((route.name, count as f64 / seconds as f64));
        posted += count;
    }
    crowd.settle(posted).await;
    Ok(rates)
}

/// When posting flat out stops.
#[derive(Clone, Copy)]
enum Until {
    Elapsed(u64),
    Posted(u64),
}

/// Four posters on kept-alive connections until `until`; returns how many posts succeeded.
async fn post_flat_out(server: &Server, route: Route, until: Until) -> std::io::Result<u64> {
    let (deadline, left) = match until {
        Until::Elapsed(seconds) => (Instant::now() + Duration::from_secs(seconds), u64::MAX),
        // Long enough for any number a benchmark posts.
        Until::Posted(posts) => (Instant::now() + Duration::from_secs(3600), posts),
    };
    let left = Arc::new(AtomicU64::new(left));
    let mut posters = Vec::new();
    for _ in 0..4 {
        let mut poster = server.poster().await?;
        let left = Arc::clone(&left);
        posters.push(tokio::spawn(async move {
            let mut posted = 0u64;
            let take =
                || left.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1));
            while Instant::now() < deadline && take().is_ok() {
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
