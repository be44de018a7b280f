//! `/threads`: the comment threads under other sites' pages, most recently active first,
//! each with its page and its number of comments. (They stay out of the chat's room list.)

use leptos::prelude::*;
use leptos_meta::Title;

use super::domain::RoomSummary;
use super::server_fns::list_threads;
use crate::clock::Ago;

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
                        Ok(threads) if threads.is_empty() => view! {
                            <p>"No one has commented on any page yet."</p>
                        }.into_any(),
                        Ok(threads) => view! {
                            <ul class="room-list" aria-label="Threads">
                                {threads.into_iter().map(|thread| view! { <ThreadLink thread/> }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
                    }
                })}
            </section>
        </main>
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
