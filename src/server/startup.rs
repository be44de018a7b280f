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

use super::metrics::{self, Metrics};
use super::stall::StallGuardListener;
use super::{AppState, Config, limits};
use crate::app::{App, shell};
use crate::chat::http::open_room_stream;
use crate::chat::service::ChatService;
use crate::chat::store::SqliteStore;
use crate::live::STREAM_PATH;
use crate::live::bus::InProcessBus;
use crate::live::direct::{DirectListener, Head, Open};
use crate::live::sse::{Closing, LiveState, live_stream, open_live};
use futures::FutureExt;

/// Any startup failure, with its cause.
pub type StartupError = Box<dyn std::error::Error + Send + Sync>;

/// Events buffered per topic for a subscriber that is momentarily behind.
const BUS_CAPACITY: usize = 1024;

/// A built app, ready to serve.
pub struct Murmur {
    router: Router,
    streams: Open,
    closing: watch::Sender<bool>,
    closing_signal: Closing,
    write_stall_limit: Duration,
}

/// Opens the database (applying migrations) and wires the routes.
///
/// # Errors
/// If the database can't be opened or migrated.
pub async fn build(config: &Config) -> Result<Murmur, StartupError> {
    let metrics = Metrics::default();
    let store = SqliteStore::connect(&config.database_url, Arc::clone(&metrics.queries)).await?;
    let bus = Arc::new(InProcessBus::new(BUS_CAPACITY));
    let chat = ChatService::new(Arc::new(store), bus.clone());
    let (closing, closing_signal) = Closing::new();
    let live = LiveState {
        bus,
        history: Arc::new(chat.clone()),
        closing: closing_signal.clone(),
        open_streams: Arc::clone(&metrics.streams),
    };
    let state = AppState {
        leptos_options: config.leptos.clone(),
        chat: chat.clone(),
        live: live.clone(),
        metrics: metrics.clone(),
    };

    let routes = generate_route_list(App);
    let router = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/metrics", get(metrics::metrics))
        .route(STREAM_PATH, get(live_stream))
        .merge(crate::chat::http::routes())
        .leptos_routes_with_context(
            &state,
            routes,
            {
                let chat = chat.clone();
                move || provide_context(chat.clone())
            },
            {
                let options = state.leptos_options.clone();
                move || shell(options.clone())
            },
        )
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(middleware::from_fn(limits::limit_body))
        .layer(middleware::from_fn_with_state(
            metrics.clone(),
            metrics::count_requests,
        ))
        .with_state(state);
    Ok(Murmur {
        router,
        streams: direct_streams(chat, live, metrics),
        closing,
        closing_signal,
        write_stall_limit: config.write_stall_limit,
    })
}

/// The event streams, served off the HTTP stack by [`DirectListener`]: the same bodies as
/// their routes, which answer whatever can't be opened.
fn direct_streams(chat: ChatService, live: LiveState, metrics: Metrics) -> Open {
    Arc::new(move |head: Head| {
        let (chat, live, metrics) = (chat.clone(), live.clone(), metrics.clone());
        async move {
            let (query, last_event_id) = (head.query.as_deref(), head.last_event_id.as_deref());
            let body = if head.path == STREAM_PATH {
                open_live(&live, query, last_event_id).ok()
            } else {
                let slug = head.path.strip_prefix("/rooms/")?.strip_suffix("/stream")?;
                open_room_stream(&chat, &live, slug, query, last_event_id)
                    .await
                    .ok()
            };
            if body.is_some() {
                metrics.request();
            }
            body
        }
        .boxed()
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
        let (listener, streams) = DirectListener::new(listener, self.streams, self.closing_signal)?;
        axum::serve(listener, self.router)
            .with_graceful_shutdown(async move {
                shutdown.await;
                let _ = closing.send(true);
            })
            .await?;
        streams.wait().await;
        Ok(())
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
