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
use live_loader::direct::{DirectListener, Open, Peer};
use live_loader::{Closing, LiveState, STREAM_PATH};
use tokio::net::TcpListener;
use tokio::sync::watch;

use super::database::Database;
use super::gate::AppGate;
use super::history::AppHistory;
use super::instances::Instances;
use super::metrics::{self, Metrics};
use super::stall::StallGuardListener;
use super::stores::Stores;
use super::streams::{DirectStreams, live_stream};
use super::{AppState, Config, limits};
use super::{cors, form_errors};
use crate::accounts::service::AccountService;
use crate::accounts::{Identify, identify};
use crate::admin::stats::StatsService;
use crate::app::{App, shell};
use crate::chat::is_room_topic;
use crate::chat::service::ChatService;
use crate::chat::threads::ThreadRules;
use crate::exports::service::ExportService;
use crate::inbox::service::InboxService;

/// Any startup failure, with its cause.
pub type StartupError = Box<dyn std::error::Error + Send + Sync>;

/// A built app, ready to serve.
pub struct Murmur {
    router: Router,
    streams: Open,
    closing: watch::Sender<bool>,
    closing_signal: Closing,
    write_stall_limit: Duration,
}

/// Opens the database (applying migrations) and wires the features together.
///
/// # Errors
/// If the database can't be opened or migrated.
pub async fn build(config: &Config) -> Result<Murmur, StartupError> {
    let metrics = Metrics::default();
    let database = Database::open(&config.database_url).await?;
    let instances = Instances::on(&database).await?;
    let stores = Stores::on(database, &metrics.queries);
    let bus = instances.bus();
    // Who is in each room, read off the rooms' open streams.
    let presence = instances.presence(config.presence_grace, is_room_topic);
    let limits = instances.limits(&config.limits);
    let threads = ThreadRules {
        sites: config.embed_origins.clone(),
        moderators: config.admins.clone(),
    };
    let activity = metrics.activity.clone();
    let chat = ChatService::new(
        stores.chat,
        bus.clone(),
        presence.clone(),
        &limits,
        threads,
        activity.clone(),
    );
    let inbox = InboxService::new(stores.inbox, bus.clone());
    let exports = ExportService::start(
        stores.exports,
        chat.clone(),
        bus.clone(),
        config.exports_dir.clone(),
        limits.limit("exports", limits.exports),
        config.export_queue,
        activity.clone(),
    )
    .await?;
    let (closing, closing_signal) = Closing::new();
    let history = Arc::new(AppHistory {
        chat: chat.clone(),
        inbox: inbox.clone(),
    });
    instances.read_back_from(history.clone());
    let stats = StatsService::new(bus.clone(), config.admins.clone());
    let gate = AppGate {
        chat: chat.clone(),
        inbox: inbox.clone(),
        stats: stats.clone(),
    };
    let live = LiveState::builder(bus.clone(), gate)
        .history(history)
        .presence(presence)
        .closing(closing_signal.clone())
        .limits(config.streams)
        .build();
    stats.sample(live.clone(), activity.clone());
    let accounts = AccountService::new(
        stores.accounts,
        bus.clone(),
        &limits,
        live.sessions(),
        activity,
    );
    let identify_state = Identify {
        accounts: accounts.clone(),
        proxies: config.trusted_proxies.clone(),
    };
    let state = AppState {
        leptos_options: config.leptos.clone(),
        chat: chat.clone(),
        accounts: accounts.clone(),
        inbox: inbox.clone(),
        exports: exports.clone(),
        identify: identify_state.clone(),
        live: live.clone(),
        metrics: metrics.clone(),
        metrics_token: config.metrics_token.clone(),
        stats: stats.clone(),
    };

    let routes = generate_route_list(App);
    let router = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/metrics", get(metrics::metrics))
        .route(STREAM_PATH, get(live_stream))
        .merge(crate::chat::http::routes())
        .merge(crate::accounts::http::routes())
        .merge(crate::inbox::http::routes())
        .merge(crate::exports::http::routes())
        .merge(crate::admin::http::routes())
        .leptos_routes_with_context(
            &state,
            routes,
            {
                let (chat, accounts, inbox) = (chat.clone(), accounts.clone(), inbox.clone());
                move || {
                    provide_context(chat.clone());
                    provide_context(accounts.clone());
                    provide_context(inbox.clone());
                    provide_context(exports.clone());
                    provide_context(stats.clone());
                }
            },
            {
                let options = state.leptos_options.clone();
                move || shell(options.clone())
            },
        )
        // Every route learns who calls it; static files (the fallback) don't need to.
        .route_layer(middleware::from_fn_with_state(
            identify_state.clone(),
            identify,
        ))
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(middleware::from_fn(limits::limit_body))
        .layer(middleware::from_fn(form_errors::vouch_for_form_errors))
        .layer(middleware::from_fn_with_state(
            config.embed_origins.clone(),
            cors::cors_and_framing,
        ))
        .layer(middleware::from_fn_with_state(
            metrics.clone(),
            metrics::count_requests,
        ))
        .with_state(state);
    let direct = DirectStreams {
        accounts,
        proxies: config.trusted_proxies.clone(),
        chat,
        live,
        metrics,
    };
    Ok(Murmur {
        router,
        streams: direct.open(),
        closing,
        closing_signal,
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
        let (listener, streams) = DirectListener::new(listener, self.streams, self.closing_signal)?;
        let app = self.router.into_make_service_with_connect_info::<Peer>();
        axum::serve(listener, app)
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
    let listener = listen(addr).map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    tracing::info!("Murmur is listening on http://{addr}");
    murmur.serve(listener, shutdown).await?;
    Ok(())
}

/// Connections the kernel holds for the server to accept: as many as Linux allows by
/// default (`net.core.somaxconn`). Thousands of browsers come back at once after a
/// restart; with tokio's default of 128, the rest of their connections were dropped and
/// retried a second later.
const LISTEN_BACKLOG: u32 = 4096;

/// A listener at `addr` with a backlog of [`LISTEN_BACKLOG`].
fn listen(addr: std::net::SocketAddr) -> std::io::Result<TcpListener> {
    let socket = match addr {
        std::net::SocketAddr::V4(_) => tokio::net::TcpSocket::new_v4()?,
        std::net::SocketAddr::V6(_) => tokio::net::TcpSocket::new_v6()?,
    };
    // As std's bind does: a restarted server can bind while old connections linger.
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(LISTEN_BACKLOG)
}
