//! The message composer: a plain form posting to the `post_message` server function, so it
//! works without JavaScript; with it, the form is sent with `fetch`, Enter sends, and the
//! text clears and keeps focus. Signed out, it is a link to sign in.

use leptos::either::Either;
use leptos::ev::{KeyboardEvent, SubmitEvent};
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;
use web_sys::{HtmlFormElement, HtmlTextAreaElement};

use super::domain::Message;
use crate::fetch::submit;

/// The form under a room's messages, posting as `me`; `error` is a refused post to show.
/// Without an account, "Sign in to post" in its place.
#[component]
pub fn Composer(
    slug: String,
    me: Option<String>,
    error: Option<String>,
    #[prop(into)] on_posted: Callback<Message>,
) -> impl IntoView {
    let Some(me) = me else {
        let next = format!("/signin?next=/rooms/{slug}");
        return Either::Left(view! {
            <p class="composer sign-in-to-post"><a href=next>"Sign in to post"</a></p>
        });
    };
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
    Either::Right(view! {
        <form method="post" action="/api/post_message" class="composer" on:submit=on_submit>
            <input type="hidden" name="slug" value=slug.clone()/>
            <p class="posting-as">"Posting as " <strong>{me}</strong></p>
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
    })
}

/// The form's message text.
fn message_field(form: &HtmlFormElement) -> Option<HtmlTextAreaElement> {
    form.query_selector("textarea")
        .ok()?
        .and_then(|field| field.dyn_into().ok())
}
