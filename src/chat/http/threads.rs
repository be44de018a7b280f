//! `/api/threads`: the comment thread under a page. Its comments are its room's messages,
//! read, posted, edited, deleted and streamed through the room API.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::accounts::Caller;
use crate::api::ApiJson;
use crate::chat::service::ChatService;
use crate::error::AppError;

/// The page a thread is for, and what to call the thread if it is made now.
#[derive(Deserialize)]
pub(super) struct NewThread {
    url: String,
    title: String,
}

/// The page a thread is asked for by.
#[derive(Deserialize)]
pub(super) struct OfPage {
    url: String,
}

/// `POST /api/threads {"url","title"}`: `201` with the thread made now, `200` with the
/// page's thread made before (`{"room","url","title"}`).
pub(super) async fn open_thread(
    State(chat): State<ChatService>,
    caller: Caller,
    ApiJson(page): ApiJson<NewThread>,
) -> Result<Response, AppError> {
    let creator = caller.account()?;
    let (thread, created) = chat.open_thread(creator, &page.url, &page.title).await?;
    let status = match created {
        true => StatusCode::CREATED,
        false => StatusCode::OK,
    };
    Ok((status, Json(thread)).into_response())
}

/// `GET /api/threads?url=…`: `{"room","url","title","count"}`, or `404` before the page
/// has a thread.
pub(super) async fn find_thread(
    State(chat): State<ChatService>,
    page: Result<Query<OfPage>, QueryRejection>,
) -> Result<Response, AppError> {
    let Query(page) = page.map_err(|e| AppError::BadRequest(e.body_text()))?;
    Ok(Json(chat.thread(&page.url).await?).into_response())
}
