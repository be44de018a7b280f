//! `/threads`: the comment threads under other sites' pages, most recently active first,
//! each with its page and its number of comments, live. (They stay out of the chat's room
//! list.)

use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use serde::Serialize;

use super::THREADS_TOPIC;
use super::domain::RoomSummary;
use super::room_list::merge;
use super::server_fns::{ListThreads, list_threads};
use crate::clock::Ago;
use crate::fetch::call;
use crate::island::{Seed, plant, seed};
use crate::js::{self, from_js_fields};
use crate::live::use_live;

/// Every thread, newest activity first.
#[component]
pub fn ThreadsPage() -> impl IntoView {
    let threads = list_threads();
    view! {
        <Title text="Threads"/>
        <main class="page narrow">
            <section class="card">
                <h1>"Threads"</h1>
                <p class="muted">"Comments under pages of the sites that embed Murmur."</p>
                {Suspend::new(async move {
                    match threads.await {
                        Ok(threads) => view! {
                            {plant(ThreadsSeed { threads })}
                            <ThreadList/>
                        }.into_any(),
                        Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
                    }
                })}
            </section>
        </main>
    }
}

/// What [`ThreadList`] starts from.
#[derive(Clone, Debug, PartialEq, Serialize)]
struct ThreadsSeed {
    threads: Vec<RoomSummary>,
}

impl Seed for ThreadsSeed {
    const ID: &'static str = "threads-seed";
}

from_js_fields!(ThreadsSeed { threads });

/// Every thread, live: the threads' topic carries a thread's new summary (a new thread, a
/// new comment), merged in place; the list is re-read after something may have been missed.
#[island]
fn ThreadList() -> impl IntoView {
    let ThreadsSeed { threads } = seed();
    let threads = RwSignal::new(threads);
    let topic = use_live(|| THREADS_TOPIC.to_owned());
    topic.apply(move |data| match js::parse::<RoomSummary>(data) {
        Some(thread) => {
            threads.update(|list| merge(list, thread, false, false));
            true
        }
        None => false,
    });
    topic.refetch(move || async move {
        if let Ok(list) = call::<Vec<RoomSummary>>(ListThreads::PATH, &[]).await {
            threads.set(list);
        }
    });
    let none = || view! { <p>"No one has commented on any page yet."</p> };
    view! {
        <Show when=move || threads.with(|list| !list.is_empty()) fallback=none>
            <ul class="room-list" aria-label="Threads">
                <For each=move || threads.get() key=|thread| (thread.slug.clone(), thread.message_count) let(thread)>
                    <ThreadLink thread/>
                </For>
            </ul>
        </Show>
    }
}

#[component]
fn ThreadLink(thread: RoomSummary) -> impl IntoView {
    let count = match thread.message_count {
        1 => "1 comment".to_owned(),
        n => format!("{n} comments"),
    };
    let page = thread.thread.unwrap_or_default();
    view! {
        <li class="room-link">
            <a href=format!("/rooms/{}", thread.slug)>
                <span class="room-title">{thread.title}</span>
                <span class="room-slug">"under "{page}</span>
                <span class="room-count" data-count=thread.message_count>{count}</span>
                <Ago at=thread.last_activity/>
            </a>
        </li>
    }
}
