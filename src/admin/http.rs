//! The dashboard over HTTP: `GET /api/admin/stats` (its figures as JSON, for scripts) and
//! `GET /admin/charts` (the charts as the page draws them, for its island). A 404 to
//! anyone but an admin.

use axum::extract::{FromRef, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use leptos::prelude::{Owner, RenderHtml, view};

use super::charts::Charts;
use super::page::CHARTS_PATH;
use super::stats::StatsService;
use crate::accounts::Caller;
use crate::error::AppError;

/// `/api/admin/stats` and the charts' fragment.
pub fn routes<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    StatsService: FromRef<S>,
{
    Router::new()
        .route("/api/admin/stats", get(stats))
        .route(CHARTS_PATH, get(charts))
}

/// `200`: the dashboard's figures (see [`super::Dashboard`]).
async fn stats(State(stats): State<StatsService>, caller: Caller) -> Result<Response, AppError> {
    Ok(Json(stats.dashboard(caller.username())?).into_response())
}

/// `200`: the charts, as HTML to put in the page.
async fn charts(State(stats): State<StatsService>, caller: Caller) -> Result<Response, AppError> {
    let dashboard = stats.dashboard(caller.username())?;
    let html = Owner::new().with(|| view! { <Charts dashboard/> }.to_html());
    let headers = [
        (header::CONTENT_TYPE, "text/html; charset=utf-8"),
        (header::CACHE_CONTROL, "no-store"),
    ];
    Ok((headers, html).into_response())
}
