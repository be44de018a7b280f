//! The JSON API and the per-room event stream, for scripts and other clients. Same
//! validation, access rules and broadcast as the pages: both go through [`ChatService`].

mod threads;

use axum::extract::rejection::QueryRejection;
use axum::extract::{FromRef, Path, Query, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, patch, post};
use axum::{Json, Router};
use live_loader::{Body, Frame, LiveState, Subscriber, last_event_id, respond};
use serde::Deserialize;
use serde_json::json;

use super::domain::Page;
use super::room_topic;
use super::service::ChatService;
use crate::accounts::Caller;
use crate::accounts::service::AccountService;
use crate::api::ApiJson;
use crate::error::AppError;

/// `/api/rooms…`, `/rooms/{slug}/stream` and `/api/threads`.
pub fn routes<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    ChatService: FromRef<S>,
    AccountService: FromRef<S>,
    LiveState: FromRef<S>,
{
    Router::new()
        .route("/api/rooms", get(list_rooms).post(create_room))
        .route(
            "/api/rooms/{slug}/messages",
            get(list_messages).post(post_message),
        )
        .route(
            "/api/rooms/{slug}/messages/{id}",
            patch(edit_message).delete(delete_message),
        )
        .route(
            "/api/rooms/{slug}/members",
            get(list_members).post(add_member),
        )
        .route(
            "/api/rooms/{slug}/members/{username}",
            delete(remove_member),
        )
        .route("/api/rooms/{slug}/presence", get(presence))
        .route("/api/rooms/{slug}/typing", post(typing))
        .route("/rooms/{slug}/stream", get(room_stream))
        .route(
            "/api/threads",
            get(threads::find_thread).post(threads::open_thread),
        )
}

#[derive(Deserialize)]
struct NewRoom {
    slug: String,
    title: String,
    #[serde(default)]
    private: bool,
}

/// A message to post; any other field (an `author`, say) is ignored: the author is the caller.
#[derive(Deserialize)]
struct NewMessage {
    body: String,
}

#[derive(Deserialize)]
struct NewMember {
    username: String,
}

async fn list_rooms(State(chat): State<ChatService>, caller: Caller) -> Result<Response, AppError> {
    Ok(Json(chat.rooms(caller.username()).await?).into_response())
}

async fn create_room(
    State(chat): State<ChatService>,
    caller: Caller,
    ApiJson(room): ApiJson<NewRoom>,
) -> Result<Response, AppError> {
    let creator = caller.account()?;
    let room = chat
        .create_room(creator, &room.slug, &room.title, room.private)
        .await?;
    Ok((StatusCode::CREATED, Json(room)).into_response())
}

async fn list_messages(
    State(chat): State<ChatService>,
    caller: Caller,
    Path(slug): Path<String>,
    page: Result<Query<Page>, QueryRejection>,
) -> Result<Response, AppError> {
    let Query(page) = page.map_err(|e| AppError::BadRequest(e.body_text()))?;
    Ok(Json(chat.messages(caller.username(), &slug, page).await?).into_response())
}

async fn post_message(
    State(chat): State<ChatService>,
    caller: Caller,
    Path(slug): Path<String>,
    ApiJson(message): ApiJson<NewMessage>,
) -> Result<Response, AppError> {
    let author = caller.account()?;
    let message = chat.post_message(author, &slug, &message.body).await?;
    Ok((StatusCode::CREATED, Json(message)).into_response())
}

/// `200` with the message as it now reads (`edited_at` set).
async fn edit_message(
    State(chat): State<ChatService>,
    caller: Caller,
    Path((slug, id)): Path<(String, String)>,
    ApiJson(edit): ApiJson<NewMessage>,
) -> Result<Response, AppError> {
    let editor = caller.account()?;
    let message = chat
        .edit_message(editor, &slug, message_id(&id)?, &edit.body)
        .await?;
    Ok(Json(message).into_response())
}

/// `204`: the message is deleted; a marker stays in its place.
async fn delete_message(
    State(chat): State<ChatService>,
    caller: Caller,
    Path((slug, id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let by = caller.account()?;
    chat.delete_message(by, &slug, message_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `{"users":[…],"anonymous":n}`: who has the room open now.
async fn presence(
    State(chat): State<ChatService>,
    caller: Caller,
    Path(slug): Path<String>,
) -> Result<Response, AppError> {
    Ok(Json(chat.presence(caller.username(), &slug).await?).into_response())
}

/// `204`: the room's readers hear that the caller is typing; `429` with `Retry-After`
/// within two seconds of the last time.
async fn typing(
    State(chat): State<ChatService>,
    caller: Caller,
    Path(slug): Path<String>,
) -> Result<Response, AppError> {
    chat.typing(caller.account()?, &slug).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// A message id from the path: `404` for anything but a number, as for an unknown one.
fn message_id(raw: &str) -> Result<i64, AppError> {
    raw.parse()
        .map_err(|_| AppError::MessageNotFound(raw.to_owned()))
}

async fn list_members(
    State(chat): State<ChatService>,
    caller: Caller,
    Path(slug): Path<String>,
) -> Result<Response, AppError> {
    let members = chat.members(caller.account()?, &slug).await?;
    Ok(Json(members).into_response())
}

/// `201 {"room", "username"}`; the new member sees the room appear, live.
async fn add_member(
    State(chat): State<ChatService>,
    State(accounts): State<AccountService>,
    caller: Caller,
    Path(slug): Path<String>,
    ApiJson(member): ApiJson<NewMember>,
) -> Result<Response, AppError> {
    let by = caller.account()?;
    let added = chat
        .add_member(by, &slug, &member.username, &accounts)
        .await?;
    let body = Json(json!({ "room": slug, "username": added.username }));
    Ok((StatusCode::CREATED, body).into_response())
}

/// `204`: a member leaving, or the creator removing them.
async fn remove_member(
    State(chat): State<ChatService>,
    State(accounts): State<AccountService>,
    caller: Caller,
    Path((slug, username)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let by = caller.account()?;
    chat.remove_member(by, &slug, &username, &accounts).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /rooms/{slug}/stream`: the room's changes — `event: message` (a new message),
/// `edited` (the message as it now reads), `deleted` (`{"id"}`) — each with `id: <cursor>`,
/// the number of the change. With `Last-Event-ID: <cursor>` (or `?after=<cursor>`) it
/// first sends what changed after that cursor.
async fn room_stream(
    State(chat): State<ChatService>,
    State(live): State<LiveState>,
    caller: Caller,
    Path(slug): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    let subscriber = caller.subscriber();
    let body = open_room_stream(
        &chat,
        &live,
        &subscriber,
        &slug,
        query.as_deref(),
        last_event_id(&headers),
    );
    Ok(respond(body.await?))
}

/// The body of the stream of room `slug`, for `subscriber`'s request with `query` and
/// `last_event_id`.
///
/// # Errors
/// `400` for a cursor that isn't a message id, `404` for a room `subscriber` may not see,
/// `429`/`503` past the stream caps.
pub async fn open_room_stream(
    chat: &ChatService,
    live: &LiveState,
    subscriber: &Subscriber,
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
    let room = chat.room(subscriber.who.as_deref(), slug).await?;
    let topics = [(room_topic(&room.slug), cursor)];
    Ok(live.open(subscriber, &topics, Frame::Topic).await?)
}
