//! `GET /metrics`: what the server has done since it started, in Prometheus' text format.
//! The benchmark reads it to count what a post costs. It answers clients on this machine
//! (loopback, as the client address is read through trusted proxies), and others only
//! with `MURMUR_METRICS_TOKEN` as a bearer token.

use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use live_loader::LiveState;

use crate::accounts::Caller;
use crate::activity::Activity;
use crate::error::AppError;

/// The server's counters; cheap to clone, all clones count together.
#[derive(Clone, Debug, Default)]
pub struct Metrics {
    /// Requests answered, event streams included.
    pub requests: Arc<AtomicU64>,
    /// SQL statements sent to the database (transaction control not included).
    pub queries: Arc<AtomicU64>,
    /// What people do, for the operations dashboard; `429`s are counted here.
    pub activity: Activity,
}

impl Metrics {
    /// Counts one request, answered with `status`.
    pub fn request(&self, status: StatusCode) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        if status == StatusCode::TOO_MANY_REQUESTS {
            self.activity.refused();
        }
    }
}

/// Counts every request that goes through the router.
pub async fn count_requests(
    State(metrics): State<Metrics>,
    request: Request,
    next: Next,
) -> Response {
    let response = next.run(request).await;
    metrics.request(response.status());
    response
}

/// Who may read `/metrics` from elsewhere than this machine: whoever sends this as a
/// bearer token (`MURMUR_METRICS_TOKEN`). Redacted in `Debug`.
#[derive(Clone, Default)]
pub struct MetricsToken(pub Option<Arc<str>>);

impl std::fmt::Debug for MetricsToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let set = if self.0.is_some() { "set" } else { "unset" };
        write!(f, "MetricsToken({set})")
    }
}

impl MetricsToken {
    /// Whether a request from `client` with `headers` may read the metrics.
    fn admits(&self, client: IpAddr, headers: &HeaderMap) -> bool {
        let loopback = client.to_canonical().is_loopback();
        let sent = headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "));
        let matches = match (&self.0, sent) {
            (Some(token), Some(sent)) => {
                // In constant time: the token must not be guessable a byte at a time.
                token.len() == sent.len()
                    && token
                        .bytes()
                        .zip(sent.bytes())
                        .fold(0u8, |diff, (a, b)| diff | (a ^ b))
                        == 0
            }
            _ => false,
        };
        loopback || matches
    }
}

/// `GET /metrics`.
///
/// # Errors
/// `403` to a client elsewhere without the metrics token.
pub async fn metrics(
    State(metrics): State<Metrics>,
    State(token): State<MetricsToken>,
    State(live): State<LiveState>,
    caller: Caller,
    headers: HeaderMap,
) -> Result<impl IntoResponse, AppError> {
    if !token.admits(caller.addr.0, &headers) {
        return Err(AppError::Forbidden(
            "metrics are for this machine, or for whoever has MURMUR_METRICS_TOKEN".into(),
        ));
    }
    let metric = |name: &str, kind: &str, help: &str, value: u64| {
        format!("# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}\n")
    };
    let text = [
        metric(
            "murmur_http_requests_total",
            "counter",
            "Requests answered, event streams included.",
            metrics.requests.load(Ordering::Relaxed),
        ),
        metric(
            "murmur_db_queries_total",
            "counter",
            "SQL statements sent to the database.",
            metrics.queries.load(Ordering::Relaxed),
        ),
        metric(
            "murmur_live_streams",
            "gauge",
            "Event streams open now.",
            live.open_streams(),
        ),
        metric(
            "murmur_live_topics",
            "gauge",
            "Topics the open streams are subscribed to, each kept once on the bus.",
            live.topics() as u64,
        ),
    ]
    .concat();
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text))
}
