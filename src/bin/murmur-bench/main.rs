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
mod server;
mod subscribers;

use std::time::{SystemTime, UNIX_EPOCH};

use fanout::{CHURNERS, Change, Crowd, fan_out, posts_per_second, presence_churn, saturation};
use http::{Poster, timed_message};
use server::Server;
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
