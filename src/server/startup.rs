//! Building the app and serving it: a library function, so tests can run the real server
//! on port 0 with their own database.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::middleware;
use axum::routing::get;
use leptos::prelude::provide_context;
use leptos_axum::{LeptosRoutes, generate_route_list};
use tokio::net::TcpListener;
use tokio::sync::watch;

use super::stall::StallGuardListener;
use super::{AppState, Config, limits};
use crate::app::{App, shell};
use crate::chat::service::ChatService;
use crate::chat::store::SqliteStore;
use crate::live::STREAM_PATH;
use crate::live::bus::InProcessBus;
use crate::live::sse::{Closing, LiveState, live_stream};

/// Any startup failure, with its cause.
pub type StartupError = Box<dyn std::error::Error + Send + Sync>;

/// Events buffered per topic for a subscriber that is momentarily behind.
const BUS_CAPACITY: usize = 1024;

/// A built app, ready to serve.
pub struct Murmur {
    router: Router,
    closing: watch::Sender<bool>,
    write_stall_limit: Duration,
}

/// Opens the database (applying migrations) and wires the routes.
///
/// # Errors
/// If the database can't be opened or migrated.
pub async fn build(config: &Config) -> Result<Murmur, StartupError> {
    let store = SqliteStore::connect(&config.database_url).await?;
    let bus = Arc::new(InProcessBus::new(BUS_CAPACITY));
    let chat = ChatService::new(Arc::new(store), bus.clone());
    let (closing, closing_signal) = Closing::new();
    let state = AppState {
        leptos_options: config.leptos.clone(),
        chat: chat.clone(),
        live: LiveState {
            bus,
            history: Arc::new(chat.clone()),
            closing: closing_signal,
        },
    };

    let routes = generate_route_list(App);
    let router = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route(STREAM_PATH, get(live_stream))
        .merge(crate::chat::http::routes())
        .leptos_routes_with_context(&state, routes, move || provide_context(chat.clone()), {
            let options = state.leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(middleware::from_fn(limits::limit_body))
        .with_state(state);
    Ok(Murmur {
        router,
        closing,
        write_stall_limit: config.write_stall_limit,
    })
}

impl Murmur {
    /// Serves on `listener` until `shutdown` resolves; then open streams end, in-flight
    /// requests finish, and this returns. A connection whose peer stops reading is dropped
    /// after [`Config::write_stall_limit`].
    ///
    /// # Errors
    /// If accepting connections fails.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let closing = self.closing;
        let listener = StallGuardListener::new(listener, self.write_stall_limit);
        axum::serve(listener, self.router)
            .with_graceful_shutdown(async move {
                shutdown.await;
                let _ = closing.send(true);
            })
            .await
    }
}

/// Builds the app and serves it at the configured address until `shutdown`.
///
/// # Errors
/// If the database can't be opened or the address can't be bound.
pub async fn run(
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), StartupError> {
    let murmur = build(&config).await?;
    let addr = config.leptos.site_addr;
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    tracing::info!("Murmur is listening on http://{addr}");
    murmur.serve(listener, shutdown).await?;
    Ok(())
}
