//! Chat's server functions: thin public endpoints (stable paths under `/api/`) that check
//! who is calling, call [`ChatService`](super::service::ChatService) and map errors. Any
//! HTTP client may call them; with JavaScript off, a form post to one redirects back to the
//! page.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::domain::{Member, Message, RoomSummary};
use super::thread::Thread;
use crate::error::AppError;

/// Every room the caller may see, most recently active first.
#[server(endpoint = "list_rooms")]
pub async fn list_rooms() -> Result<Vec<RoomSummary>, AppError> {
    use crate::{accounts::caller, api::fail, chat::service::chat};
    let caller = caller().map_err(fail)?;
    chat().rooms(caller.username()).await.map_err(fail)
}

/// What the page of a thread shows: the thread under page `url` (if anyone commented there
/// yet) and its newest comments; who reads it, and whether they moderate threads; and
/// `parent`, if it is a site that may embed Murmur (the frame tells it its height); and the
/// frame's own address, where its forms come back to.
#[server(endpoint = "thread_page")]
pub async fn thread_page(
    url: String,
    title: String,
    parent: Option<String>,
) -> Result<ThreadView, AppError> {
    use crate::{accounts::caller, api::fail, chat::domain::Page, chat::service::chat};
    let chat = chat();
    let thread = match chat.thread(&url).await {
        Ok(thread) => Some(thread),
        Err(AppError::ThreadNotFound(_)) => None,
        Err(error) => return Err(fail(error)),
    };
    let latest = match &thread {
        Some(thread) => chat
            .messages(None, &thread.room, Page::default())
            .await
            .map_err(fail)?,
        None => Vec::new(),
    };
    let parent = parent.filter(|origin| chat.may_embed(origin));
    let account = caller().map_err(fail)?.account;
    let path = "/embed/thread?";
    let mut back = form_urlencoded::Serializer::for_suffix(String::from(path), path.len());
    back.append_pair("url", &url).append_pair("title", &title);
    if let Some(parent) = &parent {
        back.append_pair("parent", parent);
    }
    Ok(ThreadView {
        back: back.finish(),
        url,
        title,
        thread,
        latest,
        parent,
        moderator: account.as_ref().is_some_and(|a| chat.moderates_threads(a)),
        me: account.map(|account| account.username),
    })
}

/// See [`thread_page`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ThreadView {
    pub url: String,
    pub title: String,
    pub back: String,
    pub thread: Option<Thread>,
    pub latest: Vec<Message>,
    pub parent: Option<String>,
    pub me: Option<String>,
    pub moderator: bool,
}

/// The first comment under page `url`: makes its thread (titled `title`) and posts `body`
/// there. A plain form post goes back to the page it came from (the thread's frame).
#[server(endpoint = "start_thread")]
pub async fn start_thread(url: String, title: String, body: String) -> Result<Message, AppError> {
    use crate::{accounts::caller, api::fail, chat::service::chat};
    let caller = caller().map_err(fail)?;
    let author = caller.account().map_err(fail)?;
    let started = chat().start_thread(author, &url, &title, &body).await;
    started.map_err(fail)
}

/// Every comment thread, most recently active first.
#[server(endpoint = "list_threads")]
pub async fn list_threads() -> Result<Vec<RoomSummary>, AppError> {
    use crate::{api::fail, chat::service::chat};
    chat().threads().await.map_err(fail)
}

/// Creates a room (private when the `private` box is ticked) and answers its summary; a
/// plain form post is redirected to the room.
#[server(endpoint = "create_room")]
pub async fn create_room(
    slug: String,
    title: String,
    private: Option<String>,
) -> Result<RoomSummary, AppError> {
    use crate::{accounts::caller, api::fail, chat::service::chat};
    let caller = caller().map_err(fail)?;
    let creator = caller.account().map_err(fail)?;
    let room = chat()
        .create_room(creator, &slug, &title, private.is_some())
        .await
        .map_err(fail)?;
    leptos_axum::redirect(&format!("/rooms/{}", room.slug));
    Ok(room)
}

/// One room's summary, if the caller may see it.
#[server(endpoint = "get_room")]
pub async fn get_room(slug: String) -> Result<RoomSummary, AppError> {
    use crate::{accounts::caller, api::fail, chat::service::chat};
    let caller = caller().map_err(fail)?;
    chat().room(caller.username(), &slug).await.map_err(fail)
}

/// A page of a room's messages, oldest first: the newest before `before` (or of all), or
/// with `after`, the oldest after it.
#[server(endpoint = "list_messages")]
pub async fn list_messages(
    slug: String,
    before: Option<i64>,
    after: Option<i64>,
) -> Result<Vec<Message>, AppError> {
    use crate::{accounts::caller, api::fail, chat::domain::Page, chat::service::chat};
    let caller = caller().map_err(fail)?;
    let page = Page {
        before,
        after,
        limit: None,
    };
    chat()
        .messages(caller.username(), &slug, page)
        .await
        .map_err(fail)
}

/// Posts a message as the signed-in caller.
#[server(endpoint = "post_message")]
pub async fn post_message(slug: String, body: String) -> Result<Message, AppError> {
    use crate::{accounts::caller, api::fail, chat::service::chat};
    let caller = caller().map_err(fail)?;
    let author = caller.account().map_err(fail)?;
    chat()
        .post_message(author, &slug, &body)
        .await
        .map_err(fail)
}

/// Replaces the text of the caller's message `id`; a plain form post goes back to the room,
/// at the message.
#[server(endpoint = "edit_message")]
pub async fn edit_message(slug: String, id: i64, body: String) -> Result<Message, AppError> {
    use crate::{accounts::caller, api::fail, chat::service::chat};
    let caller = caller().map_err(fail)?;
    let editor = caller.account().map_err(fail)?;
    let edited = chat().edit_message(editor, &slug, id, &body).await;
    let edited = edited.map_err(fail)?;
    leptos_axum::redirect(&format!("/rooms/{slug}#m{id}"));
    Ok(edited)
}

/// Deletes message `id` (the caller's own, or any in a room they created); a plain form
/// post goes back to the room.
#[server(endpoint = "delete_message")]
pub async fn delete_message(slug: String, id: i64) -> Result<(), AppError> {
    use crate::{accounts::caller, api::fail, chat::service::chat};
    let caller = caller().map_err(fail)?;
    let by = caller.account().map_err(fail)?;
    chat().delete_message(by, &slug, id).await.map_err(fail)?;
    leptos_axum::redirect(&format!("/rooms/{slug}#m{id}"));
    Ok(())
}

/// The members of a private room, for a member.
#[server(endpoint = "list_members")]
pub async fn list_members(slug: String) -> Result<Vec<Member>, AppError> {
    use crate::{accounts::caller, api::fail, chat::service::chat};
    let caller = caller().map_err(fail)?;
    let who = caller.account().map_err(fail)?;
    chat().members(who, &slug).await.map_err(fail)
}

/// Adds `username` to private room `slug`; a plain form post goes back to the room, with
/// its members shown.
#[server(endpoint = "add_member")]
pub async fn add_member(slug: String, username: String) -> Result<String, AppError> {
    use crate::{accounts::accounts, accounts::caller, api::fail, chat::service::chat};
    let caller = caller().map_err(fail)?;
    let by = caller.account().map_err(fail)?;
    let added = chat().add_member(by, &slug, &username, &accounts()).await;
    let added = added.map_err(fail)?;
    leptos_axum::redirect(&format!("/rooms/{slug}?members"));
    Ok(added.username)
}

/// Takes `username` off private room `slug` (yourself: leaving); a plain form post goes to
/// the room, or to the front page after leaving.
#[server(endpoint = "remove_member")]
pub async fn remove_member(slug: String, username: String) -> Result<(), AppError> {
    use crate::{accounts::accounts, accounts::caller, api::fail, chat::service::chat};
    let caller = caller().map_err(fail)?;
    let by = caller.account().map_err(fail)?;
    let removed = chat()
        .remove_member(by, &slug, &username, &accounts())
        .await;
    let removed = removed.map_err(fail)?;
    let next = match removed.username == by.username {
        true => "/".to_owned(),
        false => format!("/rooms/{slug}?members"),
    };
    leptos_axum::redirect(&next);
    Ok(())
}

/// What opening a room tells its page.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub struct Opened {
    /// Where the reader had read up to (the "new" divider goes after it).
    pub last_read: i64,
    /// Whether opening it recorded that they have now read all of it.
    pub read: bool,
}

/// For the signed-in caller opening room `slug`: where they had read it up to, and now they
/// have read all of it — unless the page load rode on the cookie from another site (see
/// `protect::may_record_reading`): then nothing is recorded, and the page reads it once it
/// is in view. `None` signed out.
#[server(endpoint = "open_room")]
pub async fn open_room(slug: String) -> Result<Option<Opened>, AppError> {
    use crate::{accounts::caller, api::fail, api::records_reading, chat::service::chat};
    let caller = caller().map_err(fail)?;
    let Some(reader) = caller.account.as_ref() else {
        return Ok(None);
    };
    let read = records_reading();
    let last_read = match read {
        true => chat().open_room(reader, &slug).await,
        false => chat().last_read(reader, &slug).await,
    };
    let last_read = last_read.map_err(fail)?;
    Ok(Some(Opened { last_read, read }))
}

/// The caller has read room `slug` up to message `up_to` (and what mentioned them in it).
#[server(endpoint = "read_room")]
pub async fn read_room(slug: String, up_to: i64) -> Result<(), AppError> {
    use crate::{accounts::caller, api::fail, chat::service::chat, inbox::service::inbox};
    let caller = caller().map_err(fail)?;
    let reader = caller.account().map_err(fail)?;
    chat().read_room(reader, &slug, up_to).await.map_err(fail)?;
    inbox().mark_room_read(reader, &slug).await.map_err(fail)
}

/// The caller is typing in room `slug` (told to its readers at most every two seconds;
/// sooner is refused with `429`).
#[server(endpoint = "typing")]
pub async fn typing(slug: String) -> Result<(), AppError> {
    use crate::{accounts::caller, api::fail, chat::service::chat};
    let caller = caller().map_err(fail)?;
    let who = caller.account().map_err(fail)?;
    chat().typing(who, &slug).await.map_err(fail)
}
