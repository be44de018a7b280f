//! `murmur-bench`: starts the release server on a fresh database and measures fan-out:
//! memory per idle subscriber, publish-to-delivery latency and loss at several subscriber
//! counts (also while other readers come and go, with presence on), deliveries per second at
//! saturation, posts per second, server-rendered pages per second (with `wrk`), an export
//! of a big room, and the browser bundle's size as served. Prints a Markdown table.
//! Run it with `scripts/bench.sh` (`--quick` for a smoke run), which also runs the browser
//! half in `end2end/bench/`.

mod export;
mod fanout;
mod http;
mod notify;
mod peers;
mod server;
mod storm;
mod subscribers;

use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use fanout::{
    CHURNERS, Change, Crowd, FanOut, fan_out, posts_per_second, presence_churn, saturation,
};
use http::{Poster, timed_message};
use server::{Server, Setup};
use subscribers::Sources;

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
    /// The sizes every setup is measured at.
    latency_at: Vec<usize>,
    /// The sizes Murmur is measured at beside Nchan: `latency_at` and more.
    peer_at: Vec<usize>,
    /// Subscribers in a reconnect storm.
    storm: usize,
    /// The size posted to flat out beside Nchan, and how many posts.
    flat_out_at: usize,
    flat_out_posts: u64,
    posts_per_second: u64,
    seconds: u64,
}

#[tokio::main]
async fn main() -> std::io::Result<ExitCode> {
    let quick = std::env::args().any(|arg| arg == "--quick");
    let plan = if quick {
        Plan {
            idle: 300,
            exported: 2_000,
            latency_at: vec![300],
            peer_at: vec![300],
            storm: 300,
            flat_out_at: 300,
            flat_out_posts: 100,
            posts_per_second: 10,
            seconds: 2,
        }
    } else {
        Plan {
            idle: 19_000,
            exported: 200_000,
            latency_at: vec![1_000, 5_000, 10_000],
            peer_at: vec![1_000, 5_000, 10_000, 19_000],
            storm: 10_000,
            flat_out_at: 10_000,
            // Fewer than a topic keeps (1,024): subscribers behind by all of them still
            // catch up without a resync.
            flat_out_posts: 500,
            posts_per_second: 10,
            seconds: 10,
        }
    };
    let mut server = Server::start(Setup::Sqlite).await?;
    server.create_room("bench").await?;
    if let Some(only) = Only::from_args() {
        return only.run(server, plan).await;
    }
    let nchan = Server::start(Setup::Nchan).await?;
    let mut lost_anywhere = 0;

    let beside = peers::beside(&server, &nchan, &plan).await?;
    drop(nchan);
    lost_anywhere += beside.murmur_lost();
    beside.print(&plan);

    println!("\n| measurement | result |\n| --- | --- |");
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

    let fan_outs = beside.murmur_at(&plan.latency_at);
    let sqlite = compare(&server, &plan, Some(fan_outs)).await?;
    lost_anywhere += sqlite.lost();
    for (count, report) in plan.latency_at.iter().zip(&sqlite.fan_out) {
        print_fan_out(*count, &plan, Change::Post, report);
    }
    // The middle size with edits too (one event each, like a post).
    let edits_at = plan.latency_at[plan.latency_at.len() / 2];
    let report = fan_out(
        &server,
        edits_at,
        plan.posts_per_second,
        plan.seconds,
        Change::Edit,
    )
    .await?;
    lost_anywhere += report.lost;
    print_fan_out(edits_at, &plan, Change::Edit, &report);

    // Presence on: each subscriber a reader of its own, and readers coming and going.
    let count = plan.latency_at[0];
    let (report, visits) =
        presence_churn(&server, count, plan.posts_per_second, plan.seconds).await?;
    lost_anywhere += report.lost;
    println!(
        "| {count} readers (each its own address), {} posts/s, {CHURNERS} more coming and going ({visits} visits): latency p50 / p99 / max | {} |",
        plan.posts_per_second,
        latencies(&report)
    );

    println!(
        "| {} subscribers, posting flat out | {} |",
        plan.latency_at[0],
        sqlite.saturated_cell()
    );
    for (route, rate) in &sqlite.posts {
        println!(
            "| posts/s through {route}, {} listening | {rate:.0} |",
            plan.latency_at[0]
        );
    }
    if !quick {
        let rate = pages_per_second(&server, "/rooms/bench", None).await?;
        println!("| SSR room page (50 messages), wrk -t2 -c64 -d10s | {rate:.0} requests/s |");
        let admin = Some(server.token());
        let rate = pages_per_second(&server, "/admin", admin).await?;
        println!(
            "| SSR /admin (the operations dashboard), wrk -t2 -c64 -d10s | {rate:.0} requests/s |"
        );
    }
    let run = export::export(&server, plan.exported).await?;
    println!(
        "| export of a {}-message room as JSON Lines: job time, server RSS growth, file | {:.1} s, {:.1} MiB, {:.1} MiB |",
        run.messages,
        run.seconds,
        run.rss_growth as f64 / (1024.0 * 1024.0),
        run.bytes as f64 / (1024.0 * 1024.0)
    );
    for how in [storm::Return::Jittered, storm::Return::AtOnce] {
        lost_anywhere += print_storm(&mut server, plan.storm, how).await?;
    }
    for file in ["murmur.wasm", "murmur.js"] {
        let [raw, gzip, brotli] = served_sizes(&server, file).await?;
        println!(
            "| release {file} as served: raw / gzip / brotli | {:.1} / {:.1} / {:.1} KiB |",
            kib(raw),
            kib(gzip),
            kib(brotli)
        );
    }
    drop(server);

    // The same fan-out on PostgreSQL: alone, behind nginx (what the proxy costs), and as a
    // cluster; beside SQLite.
    let mut columns = vec![(Setup::Sqlite, sqlite)];
    let mut notify = None;
    for setup in [Setup::Postgres, Setup::Cluster(1), Setup::Cluster(2)] {
        let server = Server::start(setup).await?;
        server.create_room("bench").await?;
        let compared = compare(&server, &plan, None).await?;
        lost_anywhere += compared.lost();
        columns.push((setup, compared));
        if let (Setup::Postgres, Some(url)) = (setup, server.database_url()) {
            notify = Some(notify::cost(&url).await?);
        }
    }
    print_columns(&plan, &columns, notify.as_ref());

    if lost_anywhere > 0 {
        eprintln!("{lost_anywhere} deliveries lost");
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

/// One part of the benchmark on its own, to compare versions or to profile:
/// `murmur-bench --peers N` (the fan-out rows and posting flat out beside Nchan, at N
/// subscribers) or `murmur-bench --storm N`.
enum Only {
    Peers(usize),
    Storm(usize),
}

impl Only {
    fn from_args() -> Option<Self> {
        let args: Vec<String> = std::env::args().collect();
        let size = |flag: &str| {
            let at = args.iter().position(|arg| arg == flag)?;
            args.get(at + 1)?.parse().ok()
        };
        size("--peers")
            .map(Self::Peers)
            .or_else(|| size("--storm").map(Self::Storm))
    }

    async fn run(self, mut server: Server, plan: Plan) -> std::io::Result<ExitCode> {
        let lost = match self {
            Self::Peers(size) => {
                let nchan = Server::start(Setup::Nchan).await?;
                let plan = Plan {
                    peer_at: vec![size],
                    flat_out_at: size,
                    ..plan
                };
                let beside = peers::beside(&server, &nchan, &plan).await?;
                beside.print(&plan);
                beside.murmur_lost()
            }
            Self::Storm(size) => {
                let mut lost = 0;
                for how in [storm::Return::Jittered, storm::Return::AtOnce] {
                    lost += print_storm(&mut server, size, how).await?;
                }
                lost
            }
        };
        Ok(if lost == 0 {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        })
    }
}

/// Runs a reconnect storm of `count` and prints its row; answers what it lost (a storm
/// that did not settle loses one).
async fn print_storm(
    server: &mut Server,
    count: usize,
    how: storm::Return,
) -> std::io::Result<u64> {
    let run = storm::storm(server, count, how).await?;
    let caught_up = run
        .caught_up
        .map_or("not within a minute".to_owned(), |took| {
            format!("{:.2} s", took.as_secs_f64())
        });
    println!(
        "| reconnect storm: {count} subscribers with cursors back {} after a restart, {} messages missed: all back / all caught up, lost, twice, failed connections, server peak RSS | {:.2} s / {caught_up}, {} lost, {} twice, {} failed, {:.1} MiB |",
        how.name(),
        storm::MISSED,
        run.all_back.as_secs_f64(),
        run.lost,
        run.duplicates,
        run.failed,
        run.peak_rss as f64 / (1024.0 * 1024.0)
    );
    Ok(run.lost + run.duplicates + u64::from(run.caught_up.is_none()))
}

/// What the setups are compared on, each measured on its own server.
struct Compared {
    /// At each of the plan's sizes, its rate of posts.
    fan_out: Vec<FanOut>,
    /// At the smallest size, posting flat out.
    saturated: FanOut,
    /// Posts per second by route, the smallest size listening.
    posts: Vec<(&'static str, f64)>,
}

impl Compared {
    fn lost(&self) -> u64 {
        self.fan_out.iter().map(|report| report.lost).sum::<u64>() + self.saturated.lost
    }

    fn saturated_cell(&self) -> String {
        format!(
            "{:.0} deliveries/s, {} lost",
            self.saturated.deliveries_per_second, self.saturated.lost
        )
    }
}

/// Measures `server` on the plan; at the plan's sizes, `fan_outs` when they were measured.
async fn compare(
    server: &Server,
    plan: &Plan,
    fan_outs: Option<Vec<FanOut>>,
) -> std::io::Result<Compared> {
    let fan_outs = match fan_outs {
        Some(fan_outs) => fan_outs,
        None => {
            let mut fan_outs = Vec::new();
            for &count in &plan.latency_at {
                let report = fan_out(
                    server,
                    count,
                    plan.posts_per_second,
                    plan.seconds,
                    Change::Post,
                );
                fan_outs.push(report.await?);
            }
            fan_outs
        }
    };
    Ok(Compared {
        fan_out: fan_outs,
        saturated: saturation(server, plan.latency_at[0], plan.seconds).await?,
        posts: posts_per_second(server, plan.latency_at[0], plan.seconds).await?,
    })
}

pub fn latencies(report: &FanOut) -> String {
    format!(
        "{} / {} / {} ms, {} lost",
        ms(report.percentile(50.0)),
        ms(report.percentile(99.0)),
        ms(report.percentile(100.0)),
        report.lost
    )
}

fn print_fan_out(count: usize, plan: &Plan, change: Change, report: &FanOut) {
    println!(
        "| {count} subscribers, {} {}/s: latency p50 / p99 / max | {} |",
        plan.posts_per_second,
        change.name(),
        latencies(report)
    );
}

/// The second table: each setup a column.
fn print_columns(plan: &Plan, columns: &[(Setup, Compared)], notify: Option<&notify::Cost>) {
    let row = |name: String, cell: &dyn Fn(&Compared) -> String| {
        let cells: Vec<String> = columns.iter().map(|(_, compared)| cell(compared)).collect();
        println!("| {name} | {} |", cells.join(" | "));
    };
    let names: Vec<String> = columns.iter().map(|(setup, _)| setup.name()).collect();
    println!("\n| the same machine, one run | {} |", names.join(" | "));
    println!("| --- |{}", " --- |".repeat(columns.len()));
    for (i, count) in plan.latency_at.iter().enumerate() {
        let name = format!(
            "{count} subscribers, {} posts/s: latency p50 / p99 / max",
            plan.posts_per_second
        );
        row(name, &|compared| latencies(&compared.fan_out[i]));
    }
    let first = plan.latency_at[0];
    row(
        format!("{first} subscribers, posting flat out"),
        &|compared| compared.saturated_cell(),
    );
    for (i, (route, _)) in columns[0].1.posts.iter().enumerate() {
        row(
            format!("posts/s through {route}, {first} listening"),
            &|compared| format!("{:.0}", compared.posts[i].1),
        );
    }
    if let Some(cost) = notify {
        println!(
            "\nNOTIFY of a post-sized event ({} B), committed alone: p50 {:.0} µs, where the same \
             round trip without it takes {:.0} µs; {} connections notifying at once: {:.0}/s.",
            notify::PAYLOAD,
            cost.alone_micros,
            cost.round_trip_micros,
            notify::CONNECTIONS,
            cost.concurrent_per_second
        );
    }
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

/// Server-rendered pages at `path` per second, as the holder of `token` if given, measured
/// by `wrk` (Debian's package).
async fn pages_per_second(
    server: &Server,
    path: &str,
    token: Option<&str>,
) -> std::io::Result<f64> {
    let url = format!("http://{}{path}", server.addr);
    let mut wrk = tokio::process::Command::new("wrk");
    wrk.args(["-t2", "-c64", "-d10s", &url]);
    if let Some(token) = token {
        wrk.args(["-H", &format!("Authorization: Bearer {token}")]);
    }
    let output = wrk
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
    let crowd = Crowd::open(server, count, Sources::shared()).await?;
    let after = server.rss_bytes()?;
    server
        .post_json("bench", &timed_message(now_micros()))
        .await?;
    let seen = crowd.settle(1).await;
    let lost = seen.iter().filter(|seen| seen.messages < 1).count() as u64;
    Ok(((after.saturating_sub(before)) as f64 / count as f64, lost))
}
