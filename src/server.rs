//! Server plumbing: configuration, startup, the app state, and how errors, cookies and
//! oversized bodies are answered over HTTP.

mod config;
pub mod cookies;
mod limits;
mod metrics;
mod respond;
mod stall;
pub mod startup;
mod state;

pub use config::{Config, WRITE_STALL_LIMIT};
pub use metrics::Metrics;
pub use respond::fail;
pub use state::AppState;

use crate::chat::service::ChatService;

/// The chat service, inside a server function or during SSR.
///
/// # Panics
/// Outside a request handled by the app built in [`startup`].
pub fn chat() -> ChatService {
    leptos::prelude::expect_context::<ChatService>()
}

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
