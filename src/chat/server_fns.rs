//! Chat's server functions: thin public endpoints (stable paths under `/api/`) that parse
//! input through [`ChatService`](super::service::ChatService) and map errors. Any HTTP
//! client may call them; with JavaScript off, a form post to one redirects back to the page.

use leptos::prelude::*;

use super::domain::{Message, RoomSummary};
use crate::error::AppError;

/// The cookie that remembers the poster's display name.
pub const NAME_COOKIE: &str = "murmur_name";

/// Every room, most recently active first.
#[server(endpoint = "list_rooms")]
pub async fn list_rooms() -> Result<Vec<RoomSummary>, AppError> {
    use crate::server::{chat, fail};
    chat().rooms().await.map_err(fail)
}

/// Creates a room and answers its summary; a plain form post is redirected to the room.
#[server(endpoint = "create_room")]
pub async fn create_room(slug: String, title: String) -> Result<RoomSummary, AppError> {
    use crate::server::{chat, fail};
    let room = chat().create_room(&slug, &title).await.map_err(fail)?;
    leptos_axum::redirect(&format!("/rooms/{}", room.slug));
    Ok(room)
}

/// One room's summary.
#[server(endpoint = "get_room")]
pub async fn get_room(slug: String) -> Result<RoomSummary, AppError> {
    use crate::server::{chat, fail};
    chat().room(&slug).await.map_err(fail)
}

/// A page of a room's messages, oldest first: the newest before `before` (or of all), or
/// with `after`, the oldest after it.
#[server(endpoint = "list_messages")]
pub async fn list_messages(
    slug: String,
    before: Option<i64>,
    after: Option<i64>,
) -> Result<Vec<Message>, AppError> {
    use crate::chat::domain::Page;
    use crate::server::{chat, fail};
    let page = Page {
        before,
        after,
        limit: None,
    };
    chat().messages(&slug, page).await.map_err(fail)
}

/// Posts a message and remembers the author's name in a cookie.
#[server(endpoint = "post_message")]
pub async fn post_message(slug: String, author: String, body: String) -> Result<Message, AppError> {
    use crate::server::{chat, cookies, fail};
    const ONE_YEAR_SECS: u64 = 365 * 24 * 3600;
    let message = chat()
        .post_message(&slug, &author, &body)
        .await
        .map_err(fail)?;
    cookies::set(NAME_COOKIE, &message.author, ONE_YEAR_SECS);
    Ok(message)
}

/// The display name remembered for this browser, if any.
#[server(endpoint = "display_name")]
pub async fn display_name() -> Result<Option<String>, AppError> {
    Ok(crate::server::cookies::get(NAME_COOKIE))
}
