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
use crate::error::AppError;
use crate::island::plant;

/// A chat room. The app composes it: `not_found` is the page for a room that doesn't exist
/// (or that the caller may not see), and `actions` what a signed-in person finds in the
/// room's header beside its title, given the room's slug.
#[component]
pub fn RoomPage(
    #[prop(into)] not_found: ViewFn,
    #[prop(into)] actions: Callback<String, AnyView>,
) -> impl IntoView {
    let params = use_params_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    // Server functions called in place: this component renders on the server only, so its
    // data needs no resource (and no copy of it in the page for hydration).
    let room = get_room(slug());
    let query = use_query_map();
    let latest = list_messages(slug(), None, None);
    // Where the reader had read up to, for the "new" divider; opening it reads the rest
    // (unless another site opened it: then the page does, once it is in view).
    let opened = open_room(slug());
    // With JavaScript off, a refused form comes back here with its error in the URL.
    let refused = refused_post(&[PostMessage::PATH, EditMessage::PATH, DeleteMessage::PATH])
        .map(|error| error.to_string());
    view! {
        <div class="layout">
            <aside class="sidebar">
                <Rooms current=slug()/>
            </aside>
            {Suspend::new(async move {
                match futures::join!(room, latest) {
                    (Ok(room), Ok(latest)) => {
                        let opened = opened.await.ok().flatten();
                        let slug = room.slug.clone();
                        let me = signed_in().map(|account| account.username);
                        let actions = me.is_some().then(|| actions.run(slug.clone()));
                        let seed = plant(ConversationSeed {
                            slug: room.slug,
                            latest,
                            moderator: me.is_some() && me == room.creator,
                            me,
                            last_read: opened.map(|opened| opened.last_read),
                            read_when_opened: opened.is_none_or(|opened| opened.read),
                            editing: query.read_untracked().get("edit").and_then(|id| id.parse().ok()),
                            error: refused,
                            in_frame: false,
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
                                    {actions}
                                </header>
                                {members}
                                {seed}
                                <Conversation/>
                            </main>
                        }
                        .into_any()
                    }
                    (Err(AppError::RoomNotFound(_)), _) => not_found.run(),
                    (Err(error), _) | (_, Err(error)) => view! {
                        <main class="room"><p class="error">{error.to_string()}</p></main>
                    }
                    .into_any(),
                }
            })}
        </div>
    }
}

/// The error of a plain form post to one of the server functions at `paths` that was
/// refused and came back to this page with it in the URL. (Read from the context, as a
/// `ServerAction` would, without making one per form on every render.)
pub(super) fn refused_post(paths: &[&str]) -> Option<AppError> {
    let refused = use_context::<ServerActionError>()?;
    paths
        .contains(&refused.path())
        .then(|| ServerFnUrlError::<AppError>::decode_err(refused.err()))
}
