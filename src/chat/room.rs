//! `/rooms/{slug}`: the room's latest messages, live, with older ones on demand, the
//! composer, and the room list beside it.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;
use serde::Serialize;

use super::clock::Ago;
use super::composer::Composer;
use super::domain::{Message, Page};
use super::members_panel::MembersPanel;
use super::room_list::Rooms;
use super::room_topic;
use super::server_fns::{PostMessage, get_room, list_messages};
use crate::accounts::signed_in;
use crate::app::NotFound;
use crate::error::AppError;
use crate::fetch::get_json;
use crate::island::{Seed, plant, seed};
use crate::js::{self, from_js_fields};
use crate::live::use_live;

/// A chat room.
#[component]
pub fn RoomPage() -> impl IntoView {
    let params = use_params_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let room = Resource::new(slug, get_room);
    let latest = Resource::new(slug, |slug| list_messages(slug, None, None));
    // With JavaScript off, a failed post comes back here with its error in the URL.
    let refused = ServerAction::<PostMessage>::new();
    view! {
        <div class="layout">
            <aside class="sidebar">
                <Rooms current=slug()/>
            </aside>
            <Suspense fallback=|| view! { <main class="room"><p class="muted">"Loading…"</p></main> }>
                {move || Suspend::new(async move {
                    match (room.await, latest.await) {
                        (Ok(room), Ok(latest)) => {
                            let error = refused.value().get_untracked().and_then(Result::err);
                            let slug = room.slug.clone();
                            let seed = plant(ConversationSeed {
                                slug: room.slug,
                                latest,
                                me: signed_in().map(|account| account.username),
                                error: error.map(|e| e.to_string()),
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

/// What [`Conversation`] starts from: the room, its latest page, who is signed in (if
/// anyone), and a refused post to show.
#[derive(Clone, Serialize)]
struct ConversationSeed {
    slug: String,
    latest: Vec<Message>,
    me: Option<String>,
    error: Option<String>,
}

impl Seed for ConversationSeed {
    const ID: &'static str = "conversation-seed";
}

from_js_fields!(ConversationSeed {
    slug,
    latest,
    me,
    error
});

/// The messages and the composer. Starts from the server-rendered latest page; afterwards
/// takes new messages from the room's events and asks only for what came after its newest
/// message when it may have missed some.
#[island]
fn Conversation() -> impl IntoView {
    let ConversationSeed {
        slug,
        latest,
        me,
        error,
    } = seed();
    let full_page = latest.len() == Page::DEFAULT_LIMIT as usize;
    let messages = RwSignal::new(latest);
    let newest = move || messages.with_untracked(|m| m.last().map_or(0, |m| m.id));
    let topic = use_live({
        let slug = slug.clone();
        move || room_topic(&slug)
    });
    // The stream resumes after what was rendered, so nothing posted since is missed.
    topic.seen(newest());

    let append = move |arrived: Vec<Message>| {
        messages.update(|shown| {
            let newest = shown.last().map_or(0, |m| m.id);
            shown.extend(arrived.into_iter().filter(|m| m.id > newest));
        });
        topic.seen(newest());
    };
    // New messages come whole in the event: shown without a fetch.
    topic.apply(move |data| match js::parse::<Message>(data) {
        Some(message) => {
            append(vec![message]);
            true
        }
        None => false,
    });
    // After a reconnect or resync, fetch whatever came after the newest message shown. When
    // the room is gone (the reader was removed from it), go to the room list: a tab that
    // kept asking for the room would be refused its whole live stream.
    topic.refetch({
        let slug = slug.clone();
        move || {
            let slug = slug.clone();
            async move {
                match catch_up(&slug, newest()).await {
                    Ok(arrived) => append(arrived),
                    Err(error) if error.status() == 404 => {
                        let _ = window().location().replace("/");
                    }
                    Err(_) => {}
                }
            }
        }
    });

    view! {
        <div class="scroller">
            <div class="scroll-content">
                <OlderMessages slug=slug.clone() messages full_page/>
                // Rebuilt in place rather than keyed (`For`): smaller in the bundle, and the
                // list only grows at its ends.
                <ol class="messages" aria-label="Messages">
                    {move || messages.get().into_iter().map(|message| view! { <MessageItem message/> }).collect_view()}
                </ol>
                // Shown by the stylesheet while the list is empty.
                <p class="muted empty">"No messages yet. Say hello!"</p>
            </div>
        </div>
        <Composer slug me error on_posted=move |message| append(vec![message])/>
    }
}

/// A page of room `slug`'s messages from the JSON API.
async fn messages_page(slug: &str, cursor: &str) -> Result<Vec<Message>, AppError> {
    get_json(&format!("/api/rooms/{slug}/messages?{cursor}")).await
}

/// Every message after `after`, page by page.
async fn catch_up(slug: &str, mut after: i64) -> Result<Vec<Message>, AppError> {
    let mut arrived = Vec::new();
    loop {
        let page = messages_page(slug, &format!("after={after}")).await?;
        let full = page.len() == Page::DEFAULT_LIMIT as usize;
        after = page.last().map_or(after, |m| m.id);
        arrived.extend(page);
        if !full {
            return Ok(arrived);
        }
    }
}

/// "Load older messages": prepends the page before the oldest one shown.
#[component]
fn OlderMessages(slug: String, messages: RwSignal<Vec<Message>>, full_page: bool) -> impl IntoView {
    // Whether an older page may exist: a full first page says maybe, a short page says no.
    let more = RwSignal::new(full_page);
    let loading = RwSignal::new(false);
    let load_older = move |_| {
        let Some(oldest) = messages.with_untracked(|m| m.first().map(|m| m.id)) else {
            return;
        };
        let slug = slug.clone();
        loading.set(true);
        spawn_local(async move {
            if let Ok(page) = messages_page(&slug, &format!("before={oldest}")).await {
                more.set(page.len() == Page::DEFAULT_LIMIT as usize);
                messages.update(|shown| {
                    let oldest = shown.first().map_or(i64::MAX, |m| m.id);
                    let newer = std::mem::take(shown);
                    shown.extend(page.into_iter().filter(|m| m.id < oldest));
                    shown.extend(newer);
                });
            }
            loading.set(false);
        });
    };
    view! {
        <button class="load-older" hidden=move || !more.get() disabled=move || loading.get() on:click=load_older>
            "Load older messages"
        </button>
    }
}

#[component]
fn MessageItem(message: Message) -> impl IntoView {
    view! {
        <li class="message" data-id=message.id>
            <div class="meta">
                <span class="author">{message.author}</span>
                <Ago at=message.created_at/>
            </div>
            <p class="body">{message.body}</p>
        </li>
    }
}
