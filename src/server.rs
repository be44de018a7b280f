//! Server plumbing and the composition root: configuration, the database, startup (which
//! wires chat, accounts and live together), the app state, oversized bodies, stalled peers
//! and `/metrics`. Features don't import this module; it imports them.

mod config;
mod cors;
mod database;
mod form_errors;
mod gate;
mod history;
mod instances;
mod limits;
mod metrics;
mod stall;
pub mod startup;
mod state;
mod stores;
mod streams;

pub use config::{Config, WRITE_STALL_LIMIT};
pub use database::{Database, OpenError, open_sqlite};
pub use metrics::{Metrics, MetricsToken};
pub use state::AppState;
pub use stores::Stores;

/// Logging to stderr, filtered by `RUST_LOG` (default: `info`).
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt().with_env_filter(filter).init();
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut sigterm) => {
                sigterm.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
