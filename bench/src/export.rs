//! An export of a big room: how long the job takes, and how far the server's memory grows
//! while it runs and while the file is downloaded (it should stream, not hold the room).

use std::io;
use std::time::{Duration, Instant};

use super::server::Server;

/// What an export of a room of `messages` messages cost.
pub struct ExportRun {
    pub messages: u64,
    pub seconds: f64,
    /// The server's resident memory at its highest, over what it was before.
    pub rss_growth: u64,
    pub bytes: u64,
}

/// Fills room `archive` with `messages` messages (straight into the database: posting them
/// one by one would take minutes), then exports it as JSON Lines and downloads the file,
/// sampling the server's RSS throughout.
pub async fn export(server: &Server, messages: u64) -> io::Result<ExportRun> {
    server.create_room("archive").await?;
    server.fill("archive", messages).await?;
    let before = server.rss_bytes()?;
    let mut highest = before;
    let mut poster = server.poster().await?;
    let started = Instant::now();
    let (status, reply) = poster
        .post(
            "/api/rooms/archive/exports",
            "application/json",
            r#"{"format":"jsonl"}"#,
        )
        .await?;
    if status != 202 {
        return Err(io::Error::other(format!(
            "asking for an export: {status} {reply}"
        )));
    }
    let id: String = reply.chars().filter(char::is_ascii_digit).collect();
    loop {
        highest = highest.max(server.rss_bytes()?);
        let (_, state) = poster
            .send_body("GET", &format!("/api/exports/{id}"), "application/json", "")
            .await?;
        if state.contains("\"ready\"") {
            break;
        }
        if state.contains("\"failed\"") || started.elapsed() > Duration::from_secs(600) {
            return Err(io::Error::other(format!(
                "the export did not finish: {state}"
            )));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let seconds = started.elapsed().as_secs_f64();
    let download = server.poster().await?;
    let mut sample = || highest = highest.max(server.rss_bytes().unwrap_or(0));
    let bytes = download
        .get_to_end(&format!("/api/exports/{id}/download"), &mut sample)
        .await?;
    Ok(ExportRun {
        messages,
        seconds,
        rss_growth: highest.saturating_sub(before),
        bytes,
    })
}
