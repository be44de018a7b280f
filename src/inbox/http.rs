//! The inbox JSON API: `GET /api/notifications`, `POST /api/notifications/read`.

use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

use super::service::InboxService;
use crate::accounts::Caller;
use crate::api::ApiJson;
use crate::error::AppError;

/// `/api/notifications…`.
pub fn routes<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    InboxService: FromRef<S>,
{
    Router::new()
        .route("/api/notifications", get(list_notifications))
        .route("/api/notifications/read", post(mark_read))
}

#[derive(Deserialize)]
struct ReadUpTo {
    up_to: i64,
}

/// `200`: the caller's newest notifications, newest first.
async fn list_notifications(
    State(inbox): State<InboxService>,
    caller: Caller,
) -> Result<Response, AppError> {
    let reader = caller.account()?;
    Ok(Json(inbox.notifications(reader).await?).into_response())
}

/// `204`: the caller's notifications up to `up_to` are read.
async fn mark_read(
    State(inbox): State<InboxService>,
    caller: Caller,
    ApiJson(read): ApiJson<ReadUpTo>,
) -> Result<Response, AppError> {
    let reader = caller.account()?;
    inbox.mark_read(reader, read.up_to).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
