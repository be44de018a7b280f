//! Configuration from the environment, with defaults that need nothing installed.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use leptos::config::{LeptosOptions, get_configuration};

/// Where and how the server runs.
#[derive(Clone, Debug)]
pub struct Config {
    /// `sqlite:…` URL of the database.
    pub database_url: String,
    /// Leptos's settings, including `site_addr` (where to listen) and `site_root`.
    pub leptos: LeptosOptions,
    /// How long a connection may go without the peer taking any bytes before it is dropped.
    pub write_stall_limit: Duration,
}

/// The default [`Config::write_stall_limit`].
pub const WRITE_STALL_LIMIT: Duration = Duration::from_secs(30);

/// The address served when `LEPTOS_SITE_ADDR` is unset.
const DEFAULT_ADDR: &str = "127.0.0.1:3000";

impl Config {
    /// Reads `DATABASE_URL` (default: `data/murmur.db` under `MURMUR_DATA_DIR`, itself
    /// defaulting to `./data`, created if missing) and `LEPTOS_SITE_ADDR`
    /// (default `127.0.0.1:3000`). Under cargo-leptos, the other `LEPTOS_*` variables it
    /// sets are honoured too.
    ///
    /// # Errors
    /// If `LEPTOS_SITE_ADDR` is not an address, or the data directory can't be created.
    pub fn from_env() -> Result<Self, String> {
        let database_url = match std::env::var("DATABASE_URL") {
            Ok(url) if !url.is_empty() => url,
            _ => {
                let dir = PathBuf::from(std::env::var("MURMUR_DATA_DIR").unwrap_or("data".into()));
                std::fs::create_dir_all(&dir)
                    .map_err(|e| format!("cannot create data directory {}: {e}", dir.display()))?;
                format!("sqlite://{}", dir.join("murmur.db").display())
            }
        };
        Ok(Self {
            database_url,
            leptos: leptos_options()?,
            write_stall_limit: WRITE_STALL_LIMIT,
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
