//! The server under test: the release `murmur` binary next to this one, on a fresh
//! database in a temporary directory and a free port.

use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use super::http::Poster;

pub struct Server {
    pub addr: SocketAddr,
    child: Child,
    dir: PathBuf,
    /// The session token of the account the benchmark posts as.
    token: String,
}

/// The benchmark's account.
const ACCOUNT: &str = r#"{"username":"bench","password":"benchmark password"}"#;

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Server {
    pub async fn start() -> io::Result<Self> {
        let binary = std::env::current_exe()?.with_file_name("murmur");
        let dir = std::env::temp_dir().join(format!("murmur-bench-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let addr = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?;
        let mut child = Command::new(&binary)
            .env(
                "DATABASE_URL",
                format!("sqlite://{}/bench.db", dir.display()),
            )
            .env("LEPTOS_SITE_ADDR", addr.to_string())
            .env("RUST_LOG", "warn,murmur=info")
            // One account posts flat out, and up to 19,000 subscribers (plus the crowd's
            // reconnects) come from a few loopback addresses.
            .env("MURMUR_LIMIT_POSTS", "off")
            .env("MURMUR_LIMIT_ROOMS", "off")
            .env("MURMUR_STREAMS_PER_ADDRESS", "40000")
            .env("MURMUR_STREAMS_TOTAL", "40000")
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| io::Error::other(format!("cannot start {}: {e}", binary.display())))?;
        let mut lines = BufReader::new(child.stdout.take().expect("piped stdout")).lines();
        while let Some(line) = lines.next_line().await? {
            if line.contains("listening on") {
                tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
                let token = sign_in(addr).await?;
                return Ok(Self {
                    addr,
                    child,
                    dir,
                    token,
                });
            }
        }
        Err(io::Error::other("the server exited before listening"))
    }

    /// The server process's resident memory, from /proc.
    pub fn rss_bytes(&self) -> io::Result<u64> {
        let pid = self
            .child
            .id()
            .ok_or_else(|| io::Error::other("server exited"))?;
        let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
        let kib = status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|value| {
                value
                    .trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse::<u64>()
                    .ok()
            })
            .ok_or_else(|| io::Error::other("no VmRSS"))?;
        Ok(kib * 1024)
    }

    pub async fn create_room(&self, slug: &str) -> io::Result<()> {
        let body = format!(r#"{{"slug":"{slug}","title":"Bench"}}"#);
        self.create("/api/rooms", &body).await
    }

    pub async fn post_json(&self, slug: &str, body: &str) -> io::Result<()> {
        self.create(&format!("/api/rooms/{slug}/messages"), body)
            .await
    }

    /// Adds `count` messages by the benchmark's account to room `slug`, straight into the
    /// database in one transaction (bodies with quotes, commas and non-ASCII text).
    pub async fn fill(&self, slug: &str, count: u64) -> io::Result<()> {
        let url = format!("sqlite://{}/bench.db", self.dir.display());
        let database = sqlx::SqlitePool::connect(&url)
            .await
            .map_err(io::Error::other)?;
        let mut tx = database.begin().await.map_err(io::Error::other)?;
        sqlx::query(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?2)
             INSERT INTO messages (room_id, author, body, created_at)
             SELECT (SELECT id FROM rooms WHERE slug = ?1), 'bench',
                    'message ' || i || ', with \"quotes\", commas and ☃',
                    CAST(unixepoch('subsec') * 1000 AS INTEGER)
             FROM n",
        )
        .bind(slug)
        .bind(count as i64)
        .execute(&mut *tx)
        .await
        .map_err(io::Error::other)?;
        sqlx::query("UPDATE messages SET seq = id WHERE seq = 0")
            .execute(&mut *tx)
            .await
            .map_err(io::Error::other)?;
        tx.commit().await.map_err(io::Error::other)?;
        database.close().await;
        Ok(())
    }

    /// A kept-alive connection that posts as the benchmark's account.
    pub async fn poster(&self) -> io::Result<Poster> {
        Ok(Poster::connect(self.addr).await?.signed_in(&self.token))
    }

    /// POSTs JSON on a new connection and expects `201 Created`.
    async fn create(&self, path: &str, body: &str) -> io::Result<()> {
        let mut poster = self.poster().await?;
        let (status, reply) = poster.post(path, "application/json", body).await?;
        if status != 201 {
            return Err(io::Error::other(format!("POST {path}: {status} {reply}")));
        }
        Ok(())
    }
}

/// Creates the benchmark's account and signs in through the JSON API: its token.
async fn sign_in(addr: SocketAddr) -> io::Result<String> {
    let mut connection = Poster::connect(addr).await?;
    let (status, reply) = connection
        .post("/api/accounts", "application/json", ACCOUNT)
        .await?;
    if status != 201 {
        return Err(io::Error::other(format!("signing up: {status} {reply}")));
    }
    let (status, reply) = connection
        .post("/api/session", "application/json", ACCOUNT)
        .await?;
    reply
        .split_once(r#""token":""#)
        .and_then(|(_, rest)| rest.split_once('"'))
        .map(|(token, _)| token.to_owned())
        .filter(|_| status == 200)
        .ok_or_else(|| io::Error::other(format!("signing in: {status} {reply}")))
}
