//! The JSON API and the per-room event stream, for scripts and other clients. Same
//! validation and broadcast as the pages: both go through [`ChatService`].

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, Path, Query, RawQuery, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::domain::Page;
use super::room_topic;
use super::service::ChatService;
use crate::error::AppError;
use crate::live::sse::{Body, LiveState, frames, last_event_id, respond};
use crate::server::AppState;

/// `/api/rooms…` and `/rooms/{slug}/stream`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/rooms", get(list_rooms).post(create_room))
        .route(
            "/api/rooms/{slug}/messages",
            get(list_messages).post(post_message),
        )
        .route("/rooms/{slug}/stream", get(room_stream))
}

#[derive(Deserialize)]
struct NewRoom {
    slug: String,
    title: String,
}

#[derive(Deserialize)]
struct NewMessage {
    author: String,
    body: String,
}

async fn list_rooms(State(chat): State<ChatService>) -> Result<Response, AppError> {
    Ok(Json(chat.rooms().await?).into_response())
}

async fn create_room(
    State(chat): State<ChatService>,
    ApiJson(room): ApiJson<NewRoom>,
) -> Result<Response, AppError> {
    let room = chat.create_room(&room.slug, &room.title).await?;
    Ok((StatusCode::CREATED, Json(room)).into_response())
}

async fn list_messages(
    State(chat): State<ChatService>,
    Path(slug): Path<String>,
    page: Result<Query<Page>, QueryRejection>,
) -> Result<Response, AppError> {
    let Query(page) = page.map_err(|e| AppError::BadRequest(e.body_text()))?;
    Ok(Json(chat.messages(&slug, page).await?).into_response())
}

async fn post_message(
    State(chat): State<ChatService>,
    Path(slug): Path<String>,
    ApiJson(message): ApiJson<NewMessage>,
) -> Result<Response, AppError> {
    let message = chat
        .post_message(&slug, &message.author, &message.body)
        .await?;
    Ok((StatusCode::CREATED, Json(message)).into_response())
}

/// `GET /rooms/{slug}/stream`: the room's new messages as `event: message`, `id: <id>`,
/// `data: <message JSON>`. With `Last-Event-ID: <id>` (or `?after=<id>`) it first sends
/// every message after that id.
async fn room_stream(
    State(chat): State<ChatService>,
    State(live): State<LiveState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    let body = open_room_stream(
        &chat,
        &live,
        &slug,
        query.as_deref(),
        last_event_id(&headers),
    );
    Ok(respond(body.await?))
}

/// The body of the stream of room `slug`, for a request with `query` and `last_event_id`.
///
/// # Errors
/// `400` for a cursor that isn't a message id, `404` for an unknown room.
pub async fn open_room_stream(
    chat: &ChatService,
    live: &LiveState,
    slug: &str,
    query: Option<&str>,
    last_event_id: Option<&str>,
) -> Result<Body, AppError> {
    let after = form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .find(|(key, _)| key == "after")
        .map(|(_, after)| after.into_owned());
    let cursor = last_event_id
        .map(|id| ("Last-Event-ID", id.to_owned()))
        .or(after.map(|after| ("after", after)))
        .map(|(name, id)| {
            id.parse::<i64>()
                .map_err(|_| AppError::BadRequest(format!("{name} {id:?} is not a message id")))
        })
        .transpose()?;
    let room = chat.room(slug).await?;
    let events = frames(live.resume(&room_topic(&room.slug), cursor), |event| {
        &event.topic_frame
    });
    Ok(live.body(events))
}

/// `Json`, but a body that can't be read is answered with an [`AppError`]:
/// `400` for malformed JSON or a missing content type, `422` for missing or mistyped fields.
struct ApiJson<T>(T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(request, state).await {
            Ok(Json(value)) => Ok(Self(value)),
            Err(JsonRejection::JsonDataError(e)) => Err(AppError::Invalid(e.body_text())),
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => Err(AppError::TooLarge),
            Err(e) => Err(AppError::BadRequest(e.body_text())),
        }
    }
}
