//! `GET /metrics`: what the server has done since it started, in Prometheus' text format.
//! The benchmark reads it to count what a post costs.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The server's counters; cheap to clone, all clones count together.
#[derive(Clone, Debug, Default)]
pub struct Metrics {
    /// Requests answered, event streams included.
    pub requests: Arc<AtomicU64>,
    /// SQL statements sent to the database (transaction control not included).
    pub queries: Arc<AtomicU64>,
    /// Event streams open now.
    pub streams: Arc<AtomicU64>,
}

impl Metrics {
    /// Counts one request.
    pub fn request(&self) {
        self.requests.fetch_add(1, Ordering::Relaxed);
    }
}

/// Counts every request that goes through the router.
pub async fn count_requests(
    State(metrics): State<Metrics>,
    request: Request,
    next: Next,
) -> Response {
    metrics.request();
    next.run(request).await
}

/// `GET /metrics`.
pub async fn metrics(State(metrics): State<Metrics>) -> impl IntoResponse {
    let metric = |name: &str, kind: &str, help: &str, value: &AtomicU64| {
        let value = value.load(Ordering::Relaxed);
        format!("# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}\n")
    };
    let text = [
        metric(
            "murmur_http_requests_total",
            "counter",
            "Requests answered, event streams included.",
            &metrics.requests,
        ),
        metric(
            "murmur_db_queries_total",
            "counter",
            "SQL statements sent to the database.",
            &metrics.queries,
        ),
        metric(
            "murmur_live_streams",
            "gauge",
            "Event streams open now.",
            &metrics.streams,
        ),
    ]
    .concat();
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text)
}
