//! Configuration from the environment, with defaults that need nothing installed.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use leptos::config::{LeptosOptions, get_configuration};
use live_loader::StreamLimits;

use super::metrics::MetricsToken;
use crate::accounts::Admins;
use crate::exports::service::QUEUE;
use crate::protect::{EmbedOrigins, Rate, RateLimits, TrustedProxies};

/// Where and how the server runs.
#[derive(Clone, Debug)]
pub struct Config {
    /// URL of the database: `sqlite:…`, or `postgres://…` (`postgresql://…`) for a
    /// PostgreSQL database that exists.
    pub database_url: String,
    /// Leptos's settings, including `site_addr` (where to listen) and `site_root`.
    pub leptos: LeptosOptions,
    /// How long a connection may go without the peer taking any bytes before it is dropped.
    pub write_stall_limit: Duration,
    /// Rate limits on posting, creating rooms, signing in and up (`MURMUR_LIMIT_*`).
    pub limits: RateLimits,
    /// Caps on open event streams (`MURMUR_STREAMS_PER_ADDRESS`, `MURMUR_STREAMS_TOTAL`)
    /// and on opening them (`MURMUR_LIMIT_STREAM_OPENS`).
    pub streams: StreamLimits,
    /// Proxies whose `X-Forwarded-For` names the client (`MURMUR_TRUSTED_PROXIES`).
    pub trusted_proxies: TrustedProxies,
    /// How long after their last stream of a room ends someone still counts as in it, so
    /// a reload or a brief reconnect doesn't show them leaving and coming back.
    pub presence_grace: Duration,
    /// Where room exports are written (`exports` under `MURMUR_DATA_DIR`).
    pub exports_dir: PathBuf,
    /// Who may read `/metrics` from elsewhere (`MURMUR_METRICS_TOKEN`).
    pub metrics_token: MetricsToken,
    /// How many exports this instance takes on at once, being made or waiting to be
    /// (`MURMUR_EXPORT_QUEUE`); past it, asking for one is answered `429`.
    pub export_queue: usize,
    /// Origins whose scripts may call the API and open streams, and that may frame the
    /// embeddable pages (`MURMUR_EMBED_ORIGINS`); none by default.
    pub embed_origins: EmbedOrigins,
    /// Who runs this Murmur: they moderate every comment thread (`MURMUR_ADMINS`, usernames).
    pub admins: Admins,
}

/// The default [`Config::write_stall_limit`].
pub const WRITE_STALL_LIMIT: Duration = Duration::from_secs(30);

/// The default [`Config::presence_grace`].
pub const PRESENCE_GRACE: Duration = Duration::from_secs(10);

/// The address served when `LEPTOS_SITE_ADDR` is unset.
const DEFAULT_ADDR: &str = "127.0.0.1:3000";

impl Config {
    /// Reads `DATABASE_URL` (default: `data/murmur.db` under `MURMUR_DATA_DIR`, itself
    /// defaulting to `./data`, created if missing) and `LEPTOS_SITE_ADDR`
    /// (default `127.0.0.1:3000`). Under cargo-leptos, the other `LEPTOS_*` variables it
    /// sets are honoured too.
    ///
    /// A configuration with every default but the database and Leptos' settings.
    pub fn new(database_url: String, leptos: LeptosOptions) -> Self {
        Self {
            database_url,
            leptos,
            write_stall_limit: WRITE_STALL_LIMIT,
            limits: RateLimits::default(),
            streams: StreamLimits::default(),
            trusted_proxies: TrustedProxies::default(),
            presence_grace: PRESENCE_GRACE,
            exports_dir: PathBuf::from("data/exports"),
            metrics_token: MetricsToken::default(),
            export_queue: QUEUE,
            embed_origins: EmbedOrigins::default(),
            admins: Admins::default(),
        }
    }

    /// # Errors
    /// If `LEPTOS_SITE_ADDR` is not an address, the data directory can't be created, or a
    /// `MURMUR_*` variable can't be read.
    pub fn from_env() -> Result<Self, String> {
        let dir = PathBuf::from(std::env::var("MURMUR_DATA_DIR").unwrap_or("data".into()));
        let database_url = match std::env::var("DATABASE_URL") {
            Ok(url) if !url.is_empty() => url,
            _ => {
                std::fs::create_dir_all(&dir)
                    .map_err(|e| format!("cannot create data directory {}: {e}", dir.display()))?;
                format!("sqlite://{}", dir.join("murmur.db").display())
            }
        };
        let var = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
        let count = |name: &str, default: u64| match var(name) {
            None => Ok(default),
            Some(text) => text
                .parse()
                .map_err(|_| format!("{name}={text:?} is not a number")),
        };
        let defaults = StreamLimits::default();
        Ok(Self {
            limits: RateLimits::from_vars(var)?,
            streams: StreamLimits {
                per_address: count("MURMUR_STREAMS_PER_ADDRESS", defaults.per_address)?,
                total: count("MURMUR_STREAMS_TOTAL", defaults.total)?,
                opens: match var("MURMUR_LIMIT_STREAM_OPENS") {
                    None => defaults.opens,
                    Some(text) => {
                        Rate::parse(&text).map_err(|e| format!("MURMUR_LIMIT_STREAM_OPENS: {e}"))?
                    }
                },
            },
            trusted_proxies: TrustedProxies::parse(
                &var("MURMUR_TRUSTED_PROXIES").unwrap_or_default(),
            )
            .map_err(|e| format!("MURMUR_TRUSTED_PROXIES: {e}"))?,
            exports_dir: dir.join("exports"),
            embed_origins: EmbedOrigins::parse(&var("MURMUR_EMBED_ORIGINS").unwrap_or_default())
                .map_err(|e| format!("MURMUR_EMBED_ORIGINS: {e}"))?,
            admins: Admins::parse(&var("MURMUR_ADMINS").unwrap_or_default())
                .map_err(|e| format!("MURMUR_ADMINS: {e}"))?,
            metrics_token: match var("MURMUR_METRICS_TOKEN") {
                Some(token) if token.len() < 16 => {
                    return Err("MURMUR_METRICS_TOKEN: at least 16 characters, or unset".into());
                }
                token => MetricsToken(token.map(Arc::from)),
            },
            export_queue: match count("MURMUR_EXPORT_QUEUE", QUEUE as u64)? {
                0 => return Err("MURMUR_EXPORT_QUEUE must be at least 1".into()),
                queue => usize::try_from(queue).map_err(|e| format!("MURMUR_EXPORT_QUEUE: {e}"))?,
            },
            ..Self::new(database_url, leptos_options()?)
        })
    }
}

fn leptos_options() -> Result<LeptosOptions, String> {
    // cargo-leptos describes the build it made through LEPTOS_* variables.
    if std::env::var_os("LEPTOS_OUTPUT_NAME").is_some() {
        return get_configuration(None)
            .map(|conf| conf.leptos_options)
            .map_err(|e| e.to_string());
    }
    let addr = std::env::var("LEPTOS_SITE_ADDR").unwrap_or(DEFAULT_ADDR.into());
    let site_addr: SocketAddr = addr
        .parse()
        .map_err(|e| format!("LEPTOS_SITE_ADDR={addr:?} is not an address: {e}"))?;
    Ok(LeptosOptions::builder()
        .output_name("murmur")
        .site_root(std::env::var("LEPTOS_SITE_ROOT").unwrap_or("target/site".into()))
        .site_addr(site_addr)
        .build())
}
