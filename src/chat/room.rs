//! `/rooms/{slug}`: the room's latest messages, live, with older ones on demand, the
//! composer, and the room list beside it.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use super::clock::Ago;
use super::composer::Composer;
use super::domain::{Message, Page};
use super::room_list::{RoomList, use_rooms};
use super::room_topic;
use super::server_fns::{ListMessages, PostMessage, get_room, list_messages};
use crate::app::NotFound;
use crate::error::AppError;
use crate::live::use_live;

type Messages = Resource<Result<Vec<Message>, AppError>>;

/// A chat room.
#[component]
pub fn RoomPage() -> impl IntoView {
    let params = use_params_map();
    let slug = Memo::new(move |_| params.read().get("slug").unwrap_or_default());
    let version = use_live(move || room_topic(&slug.get()));
    let post = ServerAction::<PostMessage>::new();
    let room = Resource::new(move || slug.get(), get_room);
    let latest: Messages = Resource::new(
        move || (slug.get(), version.get(), post.version().get()),
        |(slug, _, _)| list_messages(slug, None),
    );
    let rooms = use_rooms();
    view! {
        <div class="layout">
            <aside class="sidebar">
                <RoomList rooms current=slug/>
            </aside>
            <Transition fallback=|| view! { <main class="room"><p class="muted">"Loading…"</p></main> }>
                {move || Suspend::new(async move {
                    match room.await {
                        Ok(room) => view! {
                            <Title text=room.title.clone()/>
                            <main class="room">
                                <header class="room-header">
                                    <A href="/" attr:class="back" attr:aria-label="All rooms">"←"</A>
                                    <h1>{room.title}</h1>
                                    <span class="room-slug">"#"{room.slug.clone()}</span>
                                </header>
                                <Conversation latest/>
                                <Composer slug=room.slug post/>
                            </main>
                        }
                        .into_any(),
                        Err(AppError::RoomNotFound(_)) => view! { <NotFound/> }.into_any(),
                        Err(error) => view! { <main class="room"><p class="error">{error.to_string()}</p></main> }.into_any(),
                    }
                })}
            </Transition>
        </div>
    }
}

/// The messages: the latest page (live) after any older pages the reader asked for.
#[component]
fn Conversation(latest: Messages) -> impl IntoView {
    let older = RwSignal::new(Vec::<Message>::new());
    let load_older = ServerAction::<ListMessages>::new();
    // Whether an older page may exist; unknown until one has been loaded.
    let more_older = RwSignal::new(None::<bool>);
    Effect::new(move |_| {
        if let Some(Ok(page)) = load_older.value().get() {
            more_older.set(Some(page.len() == Page::DEFAULT_LIMIT as usize));
            older.update(|older| {
                let newer = std::mem::replace(older, page);
                older.extend(newer);
            });
        }
    });
    view! {
        <div class="scroller">
            <div class="scroll-content">
                <Transition fallback=|| view! { <p class="muted">"Loading messages…"</p> }>
                    {move || Suspend::new(async move {
                        let latest = match latest.await {
                            Ok(latest) => latest,
                            Err(error) => return view! { <p class="error">{error.to_string()}</p> }.into_any(),
                        };
                        let full_page = latest.len() == Page::DEFAULT_LIMIT as usize;
                        let can_load_older = move || more_older.get().unwrap_or(full_page);
                        let messages = merge(&older.get(), &latest);
                        let oldest = messages.first().map(|m| (m.room.clone(), m.id));
                        let empty = messages.is_empty();
                        view! {
                            <Show when=can_load_older>
                                <button
                                    class="load-older"
                                    disabled=move || load_older.pending().get()
                                    on:click={
                                        let oldest = oldest.clone();
                                        move |_| {
                                            if let Some((slug, id)) = oldest.clone() {
                                                load_older.dispatch(ListMessages { slug, before: Some(id) });
                                            }
                                        }
                                    }
                                >
                                    "Load older messages"
                                </button>
                            </Show>
                            <Show when=move || empty>
                                <p class="muted empty">"No messages yet. Say hello!"</p>
                            </Show>
                            <ol class="messages" aria-label="Messages">
                                <For each=move || messages.clone() key=|message| message.id let(message)>
                                    <MessageItem message/>
                                </For>
                            </ol>
                        }
                        .into_any()
                    })}
                </Transition>
            </div>
        </div>
    }
}

/// Older pages followed by the latest page, without overlap.
fn merge(older: &[Message], latest: &[Message]) -> Vec<Message> {
    let first_latest = latest.first().map_or(i64::MAX, |m| m.id);
    older
        .iter()
        .filter(|m| m.id < first_latest)
        .chain(latest)
        .cloned()
        .collect()
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
