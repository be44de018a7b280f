//! "Load older messages": prepends the page before the oldest message shown. The view stays
//! on what the reader was reading (the list scrolls from its bottom; see `scroll.rs`).

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::conversation::messages_page;
use super::domain::{Message, Page};

/// The button above the messages; hidden once a short page says there are no more.
#[component]
pub fn OlderMessages(
    slug: String,
    messages: RwSignal<Vec<Message>>,
    full_page: bool,
) -> impl IntoView {
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
