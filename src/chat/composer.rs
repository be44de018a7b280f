//! The message composer: a plain form posting to the `post_message` server function, so it
//! works without JavaScript; with it, the form is sent with `fetch`, Enter sends, and the
//! text clears and keeps focus.

use leptos::ev::{KeyboardEvent, SubmitEvent};
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;
use web_sys::{HtmlFormElement, HtmlTextAreaElement};

use super::domain::{MAX_NAME_CHARS, Message};
use crate::fetch::submit;

/// The form under a room's messages. The display name is asked once, then remembered (in
/// a cookie the server sets); `error` is a refused post to show.
#[component]
pub fn Composer(
    slug: String,
    name: Option<String>,
    error: Option<String>,
    #[prop(into)] on_posted: Callback<Message>,
) -> impl IntoView {
    let remembered = RwSignal::new(name);
    let error = RwSignal::new(error);
    let pending = RwSignal::new(false);
    let on_submit = move |event: SubmitEvent| {
        event.prevent_default();
        if pending.get_untracked() {
            return;
        }
        let form = event_target::<HtmlFormElement>(&event);
        pending.set(true);
        spawn_local(async move {
            match submit::<Message>(&form).await {
                Ok(message) => {
                    error.set(None);
                    remembered.set(Some(message.author.clone()));
                    on_posted.run(message);
                    if let Some(textarea) = message_field(&form) {
                        textarea.set_value("");
                        let _ = textarea.focus();
                    }
                }
                Err(refused) => error.set(Some(refused.to_string())),
            }
            pending.set(false);
        });
    };
    let send_on_enter = move |event: KeyboardEvent| {
        if event.key() == "Enter" && !event.shift_key() && !event.is_composing() {
            event.prevent_default();
            if let Some(form) = event_target::<HtmlTextAreaElement>(&event).form() {
                let _ = form.request_submit();
            }
        }
    };
    view! {
        <form method="post" action="/api/post_message" class="composer" on:submit=on_submit>
            <input type="hidden" name="slug" value=slug.clone()/>
            <NameField remembered/>
            <div class="compose-row">
                <textarea
                    name="body"
                    rows="2"
                    aria-label="Message"
                    placeholder=format!("Message #{slug}")
                    on:keydown=send_on_enter
                ></textarea>
                <button type="submit">"Send"</button>
            </div>
            <p class="error" role="alert">{move || error.get()}</p>
        </form>
    }
}

/// The form's message text.
fn message_field(form: &HtmlFormElement) -> Option<HtmlTextAreaElement> {
    form.query_selector("textarea")
        .ok()?
        .and_then(|field| field.dyn_into().ok())
}

/// "Posting as Ada · change" once a name is known, otherwise the name input. The input is
/// only hidden while the name is known, so the form always sends it; it already holds any
/// name learnt later, since that name was typed into it.
#[component]
fn NameField(remembered: RwSignal<Option<String>>) -> impl IntoView {
    let editing = RwSignal::new(false);
    let known = move || remembered.with(Option::is_some) && !editing.get();
    view! {
        <p class="posting-as" hidden=move || !known()>
            "Posting as " <strong>{move || remembered.get()}</strong>
            <button type="button" class="link" on:click=move |_| editing.set(true)>"change"</button>
        </p>
        <label class="name-field" hidden=known>
            "Your name"
            <input
                name="author"
                value=remembered.get_untracked().unwrap_or_default()
                maxlength=MAX_NAME_CHARS
                autocomplete="nickname"
                placeholder="How others see you"
            />
        </label>
    }
}
