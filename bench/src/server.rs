//! The server under test: the release `murmur` binary next to this one, on a fresh
//! database and free ports; one process on SQLite or PostgreSQL, or several instances on
//! PostgreSQL behind nginx. Or the peer it is measured beside: nginx+Nchan serving the
//! same stream and publish contract (`nchan.conf`).

use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};

use sqlx::Connection;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use super::http::Poster;

/// Where the PostgreSQL setups make their database.
const POSTGRES: &str = "postgres://postgres@127.0.0.1:5432";

/// What runs behind the address the benchmark talks to.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Setup {
    /// One process on a SQLite file, as `scripts/run.sh` runs it.
    Sqlite,
    /// One process on a PostgreSQL database (its bus is `LISTEN/NOTIFY` even alone).
    Postgres,
    /// Instances on one PostgreSQL database behind nginx (`deploy/nginx.conf`).
    Cluster(usize),
    /// Not Murmur: nginx with the Nchan module, as configured in `nchan.conf`.
    Nchan,
}

impl Setup {
    pub fn name(self) -> String {
        match self {
            Self::Sqlite => "SQLite, one process".to_owned(),
            Self::Postgres => "PostgreSQL, one process".to_owned(),
            Self::Cluster(1) => "PostgreSQL, 1 instance behind nginx".to_owned(),
            Self::Cluster(n) => format!("PostgreSQL, {n} instances behind nginx"),
            Self::Nchan => "nginx+Nchan".to_owned(),
        }
    }
}

pub struct Server {
    setup: Setup,
    /// Where clients connect: the one process, or nginx.
    pub addr: SocketAddr,
    instances: Vec<Child>,
    nginx: Option<Child>,
    dir: PathBuf,
    /// The PostgreSQL database made for this run, dropped with it.
    postgres: Option<String>,
    /// The database's URL, for a restart.
    url: String,
    /// The session token of the account the benchmark posts as.
    token: String,
}

/// The benchmark's account.
const ACCOUNT: &str = r#"{"username":"bench","password":"benchmark password"}"#;

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(nginx) = &mut self.nginx {
            terminate(nginx);
            // Gone before its directory is.
            for _ in 0..200 {
                if !matches!(nginx.try_wait(), Ok(None)) {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
        }
        for child in &mut self.instances {
            let _ = child.start_kill();
        }
        if let Some(name) = &self.postgres {
            let drop = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
            let _ = std::process::Command::new("psql")
                .args([&format!("{POSTGRES}/postgres"), "-qc", &drop])
                .status();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Server {
    pub async fn start(setup: Setup) -> io::Result<Self> {
        // Each server its own, as two run side by side.
        static SERVERS: AtomicUsize = AtomicUsize::new(0);
        let name = format!(
            "murmur_bench_{}_{}",
            std::process::id(),
            SERVERS.fetch_add(1, Ordering::Relaxed)
        );
        let dir = std::env::temp_dir().join(&name);
        std::fs::create_dir_all(&dir)?;
        let postgres = matches!(setup, Setup::Postgres | Setup::Cluster(_)).then_some(name);
        let url = match &postgres {
            Some(name) => create_database(name).await?,
            None => format!("sqlite://{}/bench.db", dir.display()),
        };
        let mut server = Self {
            setup,
            addr: free_addr()?,
            instances: Vec::new(),
            nginx: None,
            dir,
            postgres,
            url,
            token: String::new(),
        };
        if setup == Setup::Nchan {
            let config = NCHAN_CONFIG.replace(NCHAN_LISTEN, &format!("listen {};", server.addr));
            server.nginx = Some(start_nginx(&server.dir, config.as_bytes())?);
            wait_until_up(server.addr).await?;
            return Ok(server);
        }
        let Setup::Cluster(count) = setup else {
            let instance = start_instance(server.addr, &server.url, None).await?;
            server.instances.push(instance);
            server.token = sign_in(server.addr).await?;
            return Ok(server);
        };
        let mut ports = Vec::new();
        for _ in 0..count {
            let addr = free_addr()?;
            let instance = start_instance(addr, &server.url, Some(PROXY)).await?;
            server.instances.push(instance);
            ports.push(addr.port().to_string());
        }
        let config = nginx_config(server.addr.port(), &ports)?;
        server.nginx = Some(start_nginx(&server.dir, &config)?);
        wait_until_up(server.addr).await?;
        server.token = sign_in(server.addr).await?;
        Ok(server)
    }

    /// The server's resident memory, from /proc: the instances' together, or nginx's
    /// processes' for Nchan.
    pub fn rss_bytes(&self) -> io::Result<u64> {
        match (&self.nginx, self.setup) {
            (Some(nginx), Setup::Nchan) => process_tree_rss(nginx),
            _ => self.instances.iter().map(rss_bytes).sum(),
        }
    }

    /// Stops the one process as a deploy does (SIGTERM: it ends its streams and exits),
    /// and starts it again on the same address and database. Returns once it listens.
    pub async fn restart(&mut self) -> io::Result<()> {
        let mut old = self.instances.pop().expect("one process");
        terminate(&old);
        old.wait().await?;
        let instance = start_instance(self.addr, &self.url, None).await?;
        self.instances.push(instance);
        Ok(())
    }

    /// The one process's peak resident memory since it started, from /proc.
    pub fn peak_rss_bytes(&self) -> io::Result<u64> {
        proc_status_bytes(pid_of(&self.instances[0])?, "VmHWM:")
    }

    /// The PostgreSQL database's URL, on the setups that have one.
    pub fn database_url(&self) -> Option<String> {
        self.postgres
            .as_ref()
            .map(|name| format!("{POSTGRES}/{name}"))
    }

    /// Creates room `slug` (Nchan makes a channel when it is first used).
    pub async fn create_room(&self, slug: &str) -> io::Result<()> {
        if self.setup == Setup::Nchan {
            return Ok(());
        }
        let body = format!(r#"{{"slug":"{slug}","title":"Bench"}}"#);
        self.create("/api/rooms", &body).await
    }

    pub async fn post_json(&self, slug: &str, body: &str) -> io::Result<()> {
        self.create(&format!("/api/rooms/{slug}/messages"), body)
            .await
    }

    /// Adds `count` messages by the benchmark's account to room `slug`, straight into the
    /// database in one transaction (bodies with quotes, commas and non-ASCII text); SQLite
    /// only.
    pub async fn fill(&self, slug: &str, count: u64) -> io::Result<()> {
        if self.postgres.is_some() {
            return Err(io::Error::other("fill writes SQLite only"));
        }
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

    /// The session token of the benchmark's account (an admin of the server).
    pub fn token(&self) -> &str {
        &self.token
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

fn free_addr() -> io::Result<SocketAddr> {
    std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()
}

/// Creates database `name`; answers its URL.
async fn create_database(name: &str) -> io::Result<String> {
    let mut server = sqlx::PgConnection::connect(&format!("{POSTGRES}/postgres"))
        .await
        .map_err(|e| io::Error::other(format!("PostgreSQL at {POSTGRES}: {e}")))?;
    // `name` is the benchmark's own: letters, digits and underscores.
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut server)
        .await
        .map_err(io::Error::other)?;
    Ok(format!("{POSTGRES}/{name}"))
}

/// Where nginx connects to the instances from.
const PROXY: &str = "127.0.0.1";

/// Starts an instance at `addr` on the database at `url`, behind the proxy at `proxy` if
/// given, and waits until it listens.
async fn start_instance(addr: SocketAddr, url: &str, proxy: Option<&str>) -> io::Result<Child> {
    let binary = std::env::current_exe()?.with_file_name("murmur");
    let mut command = Command::new(&binary);
    if let Some(proxy) = proxy {
        // Count the subscribers' addresses, not nginx's.
        command.env("MURMUR_TRUSTED_PROXIES", proxy);
    }
    let mut child = command
        .env("DATABASE_URL", url)
        .env("LEPTOS_SITE_ADDR", addr.to_string())
        .env("RUST_LOG", "warn,murmur=info")
        // One account posts flat out, and up to 19,000 subscribers (plus the crowd's
        // reconnects) come from a few loopback addresses.
        // The benchmark's account also reads the operations dashboard.
        .env("MURMUR_ADMINS", "bench")
        .env("MURMUR_LIMIT_POSTS", "off")
        .env("MURMUR_LIMIT_ROOMS", "off")
        .env("MURMUR_LIMIT_STREAM_OPENS", "off")
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
            return Ok(child);
        }
    }
    Err(io::Error::other("the server exited before listening"))
}

/// Nginx's configuration for a cluster listening at `port` in front of the instances at
/// `ports`: the repository's, as `scripts/nginx-conf.sh` writes it.
fn nginx_config(port: u16, ports: &[String]) -> io::Result<Vec<u8>> {
    let config = std::process::Command::new(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/nginx-conf.sh"),
    )
    .arg(port.to_string())
    .args(ports)
    .output()?;
    if !config.status.success() {
        return Err(io::Error::other(
            String::from_utf8_lossy(&config.stderr).into_owned(),
        ));
    }
    Ok(config.stdout)
}

/// Nchan's configuration, whose `listen` line is replaced by the port chosen.
const NCHAN_CONFIG: &str = include_str!("nchan.conf");
const NCHAN_LISTEN: &str = "listen 127.0.0.1:3900;";

/// nginx in `dir` with `config`.
fn start_nginx(dir: &Path, config: &[u8]) -> io::Result<Child> {
    std::fs::write(dir.join("nginx.conf"), config)?;
    // Its workers run as another user, which must reach its temporary files.
    std::fs::create_dir_all(dir.join("tmp"))?;
    for (path, mode) in [(dir.to_owned(), 0o755), (dir.join("tmp"), 0o777)] {
        std::fs::set_permissions(path, std::os::unix::fs::PermissionsExt::from_mode(mode))?;
    }
    Command::new("nginx")
        .env("PATH", "/usr/sbin:/usr/bin:/bin")
        .arg("-p")
        .arg(dir)
        .arg("-c")
        .arg(dir.join("nginx.conf"))
        .args(["-g", "daemon off;"])
        .spawn()
        .map_err(|e| io::Error::other(format!("nginx (scripts/bench.sh installs it): {e}")))
}

/// Sends SIGTERM: nginx stops fast on it, its workers with it (SIGKILL would leave them
/// behind); Murmur shuts down gracefully.
fn terminate(child: &Child) {
    if let Some(pid) = child.id() {
        let _ = std::process::Command::new("kill")
            .arg(pid.to_string())
            .status();
    }
}

/// A process's resident memory, from /proc.
fn rss_bytes(child: &Child) -> io::Result<u64> {
    pid_rss_bytes(pid_of(child)?)
}

fn pid_of(child: &Child) -> io::Result<u32> {
    child.id().ok_or_else(|| io::Error::other("server exited"))
}

/// The resident memory of a process and its children (nginx's master and workers).
fn process_tree_rss(child: &Child) -> io::Result<u64> {
    let pid = pid_of(child)?;
    let children = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))?;
    let mut total = pid_rss_bytes(pid)?;
    for child in children
        .split_whitespace()
        .filter_map(|pid| pid.parse().ok())
    {
        total += pid_rss_bytes(child)?;
    }
    Ok(total)
}

fn pid_rss_bytes(pid: u32) -> io::Result<u64> {
    proc_status_bytes(pid, "VmRSS:")
}

/// A size in /proc/<pid>/status, such as `VmRSS:`.
fn proc_status_bytes(pid: u32, field: &str) -> io::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let kib = status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|value| {
            value
                .trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .ok()
        })
        .ok_or_else(|| io::Error::other(format!("no {field}")))?;
    Ok(kib * 1024)
}

/// Returns once `addr` accepts connections (nginx binds a moment after it starts).
async fn wait_until_up(addr: SocketAddr) -> io::Result<()> {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while tokio::net::TcpStream::connect(addr).await.is_err() {
        if tokio::time::Instant::now() > deadline {
            return Err(io::Error::other(format!("nothing listens at {addr}")));
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    Ok(())
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
