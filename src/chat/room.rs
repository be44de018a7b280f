//! `/rooms/{slug}`: the room filling the window — its header, its messages (live, with older
//! ones on demand; see `conversation.rs`) scrolling above the composer pinned to the
//! bottom — and the room list beside it.

use leptos::prelude::*;
use leptos::server::ServerActionError;
use leptos::server_fn::ServerFn;
use leptos::server_fn::error::ServerFnUrlError;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::conversation::{Conversation, ConversationSeed};
use super::members_panel::MembersPanel;
use super::room_list::Rooms;
use super::server_fns::{
    DeleteMessage, EditMessage, PostMessage, get_room, list_messages, open_room,
};
use crate::accounts::signed_in;
use crate::app::NotFound;
use crate::error::AppError;
use crate::island::plant;

/// A chat room.
#[component]
pub fn RoomPage() -> impl IntoView {
    let params = use_params_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let room = Resource::new(slug, get_room);
    let query = use_query_map();
    let latest = Resource::new(slug, |slug| list_messages(slug, None, None));
    // Where the reader had read up to, for the "new" divider; opening it reads the rest
    // (unless another site opened it: then the page does, once it is in view).
    let opened = Resource::new(slug, open_room);
    // With JavaScript off, a refused form comes back here with its error in the URL.
    let refused = refused_post(&[PostMessage::PATH, EditMessage::PATH, DeleteMessage::PATH])
        .map(|error| error.to_string());
    view! {
        <div class="layout">
            <aside class="sidebar">
                <Rooms current=slug()/>
            </aside>
            <Suspense fallback=|| view! { <main class="room"><p class="muted">"Loading…"</p></main> }>
                {Suspend::new(async move {
                    match (room.await, latest.await) {
                        (Ok(room), Ok(latest)) => {
                            let opened = opened.await.ok().flatten();
                            let slug = room.slug.clone();
                            let me = signed_in().map(|account| account.username);
                            let export = me.is_some().then(|| view! { <ExportForm slug=slug.clone()/> });
                            let seed = plant(ConversationSeed {
                                slug: room.slug,
                                latest,
                                moderator: me.is_some() && me == room.creator,
                                me,
                                last_read: opened.map(|opened| opened.last_read),
                                read_when_opened: opened.is_none_or(|opened| opened.read),
                                editing: query.read_untracked().get("edit").and_then(|id| id.parse().ok()),
                                error: refused,
                            });
                            let members = room.private.then(|| view! { <MembersPanel slug=slug.clone()/> });
                            view! {
                                <Title text=room.title.clone()/>
                                <main class="room">
                                    <header class="room-header">
                                        <A href="/" attr:class="back" attr:aria-label="All rooms">"←"</A>
                                        <h1>{room.title}</h1>
                                        <span class="room-slug">"#"{slug}</span>
                                        {room.private.then_some(view! { <span class="badge">"private"</span> })}
                                        {export}
                                    </header>
                                    {members}
                                    {seed}
                                    <Conversation/>
                                </main>
                            }
                            .into_any()
                        }
                        (Err(AppError::RoomNotFound(_)), _) => view! { <NotFound/> }.into_any(),
                        (Err(error), _) | (_, Err(error)) => view! {
                            <main class="room"><p class="error">{error.to_string()}</p></main>
                        }
                        .into_any(),
                    }
                })}
            </Suspense>
        </div>
    }
}

/// Asks for an export of the room's whole history (a plain form: the page comes back, and
/// the top bar follows the export).
#[component]
fn ExportForm(slug: String) -> impl IntoView {
    view! {
        <form class="export-form" method="post" action="/api/export_room">
            <input type="hidden" name="slug" value=slug/>
            <select name="format" aria-label="Export format">
                <option value="jsonl">"JSON Lines"</option>
                <option value="csv">"CSV"</option>
            </select>
            <button type="submit" class="link">"Export history"</button>
        </form>
    }
}

/// The error of a plain form post to one of the server functions at `paths` that was
/// refused and came back to this page with it in the URL. (Read from the context, as a
/// `ServerAction` would, without making one per form on every render.)
fn refused_post(paths: &[&str]) -> Option<AppError> {
    let refused = use_context::<ServerActionError>()?;
    paths
        .contains(&refused.path())
        .then(|| ServerFnUrlError::<AppError>::decode_err(refused.err()))
}
