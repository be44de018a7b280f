//! The message composer: a plain form posting to the `post_message` server function, so it
//! works without JavaScript; with it, the form is sent with `fetch`, Enter sends (Shift+Enter
//! starts a new line), the text clears and keeps focus, and an unsent draft is kept in the
//! browser's storage per room, so it survives a reload. Signed out, it is a link to sign in.

use leptos::either::Either;
use leptos::ev::{Event, KeyboardEvent, SubmitEvent};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;
use web_sys::{HtmlFormElement, HtmlTextAreaElement};

use super::domain::Message;
use super::server_fns::{self, PostMessage};
use crate::fetch::{call, submit};

/// The form under a room's messages, posting as `me`; `error` is a refused post to show.
/// Without an account, "Sign in to post" in its place (if `sign_in_link`).
#[component]
pub fn Composer(
    slug: String,
    me: Option<String>,
    error: Option<String>,
    sign_in_link: bool,
    #[prop(into)] on_posted: Callback<Message>,
) -> impl IntoView {
    let Some(me) = me else {
        let next = format!("/signin?next=/rooms/{slug}");
        return Either::Left(sign_in_link.then(|| {
            view! {
                <p class="composer sign-in-to-post"><a href=next>"Sign in to post"</a></p>
            }
        }));
    };
    let error = RwSignal::new(error);
    let pending = RwSignal::new(false);
    let draft = Draft(format!("murmur:draft:{slug}"));
    // Restored as the hydrated page starts (a server render has no draft to show).
    let restored = draft.read().unwrap_or_default();
    let typing = Typing::new(slug.clone());
    let keep_draft = {
        let draft = draft.clone();
        move |event: Event| {
            let text = event_target_value(&event);
            draft.write(&text);
            if !text.trim().is_empty() {
                typing.tell();
            }
        }
    };
    // A message sent while the one before is on its way goes once that one is in.
    let queued = StoredValue::new(false);
    let on_submit = move |event: SubmitEvent| {
        event.prevent_default();
        if pending.get_untracked() {
            queued.set_value(true);
            return;
        }
        let form = event_target::<HtmlFormElement>(&event);
        let sent = message_field(&form).map(|field| field.value());
        pending.set(true);
        let draft = draft.clone();
        spawn_local(async move {
            match submit::<Message>(&form).await {
                Ok(message) => {
                    error.set(None);
                    on_posted.run(message);
                    if let Some(textarea) = message_field(&form) {
                        // Only what was sent clears: what was typed since stays.
                        if Some(textarea.value()) == sent {
                            textarea.set_value("");
                            draft.write("");
                        }
                        let _ = textarea.focus();
                    }
                }
                Err(refused) => error.set(Some(refused.to_string())),
            }
            pending.set(false);
            let more = message_field(&form).is_some_and(|field| !field.value().trim().is_empty());
            if std::mem::take(&mut *queued.write_value()) && more {
                let _ = form.request_submit();
            }
        });
    };
    Either::Right(view! {
        <form method="post" action=PostMessage::PATH class="composer" on:submit=on_submit>
            <input type="hidden" name="slug" value=slug.clone()/>
            <p class="posting-as">"Posting as " <strong>{me}</strong></p>
            <div class="compose-row">
                <textarea
                    name="body"
                    rows="2"
                    aria-label="Message"
                    placeholder=format!("Message #{slug}")
                    on:keydown=move |event| send_on_enter(&event)
                    on:input=keep_draft
                    prop:value=restored
                ></textarea>
                <button type="submit">"Send"</button>
            </div>
            <p class="error" role="alert">{move || error.get()}</p>
        </form>
    })
}

/// Tells the room the writer is typing, at most every two seconds (the server refuses more).
#[derive(Clone, Copy)]
struct Typing {
    slug: StoredValue<String>,
    /// When it was last told, in milliseconds since the epoch.
    told: StoredValue<f64>,
}

impl Typing {
    const EVERY_MS: f64 = 2_000.0;

    fn new(slug: String) -> Self {
        Self {
            slug: StoredValue::new(slug),
            told: StoredValue::new(f64::MIN),
        }
    }

    fn tell(&self) {
        let now = js_sys::Date::now();
        if now - self.told.get_value() < Self::EVERY_MS {
            return;
        }
        self.told.set_value(now);
        let slug = self.slug.get_value();
        spawn_local(async move {
            let _ = call::<()>(server_fns::Typing::PATH, &[("slug", slug.as_str())]).await;
        });
    }
}

/// Enter (without Shift, and not while an input method composes) submits the text area's
/// form; Shift+Enter starts a new line as usual.
pub fn send_on_enter(event: &KeyboardEvent) {
    if event.key() == "Enter" && !event.shift_key() && !event.is_composing() {
        event.prevent_default();
        if let Some(form) = event_target::<HtmlTextAreaElement>(event).form() {
            let _ = form.request_submit();
        }
    }
}

/// The form's message text.
fn message_field(form: &HtmlFormElement) -> Option<HtmlTextAreaElement> {
    form.query_selector("textarea")
        .ok()?
        .and_then(|field| field.dyn_into().ok())
}

/// An unsent message, kept under its key in the browser's local storage.
#[derive(Clone)]
struct Draft(String);

impl Draft {
    fn read(&self) -> Option<String> {
        let text = storage()?.get_item(&self.0).ok()??;
        (!text.is_empty()).then_some(text)
    }

    /// Keeps `text`; empty text forgets the draft.
    fn write(&self, text: &str) {
        if let Some(storage) = storage() {
            let _ = match text.trim().is_empty() {
                true => storage.remove_item(&self.0),
                false => storage.set_item(&self.0, text),
            };
        }
    }
}

/// The browser's local storage; none during a server render.
fn storage() -> Option<web_sys::Storage> {
    #[cfg(feature = "hydrate")]
    return web_sys::window()?.local_storage().ok()?;
    #[cfg(not(feature = "hydrate"))]
    None
}
