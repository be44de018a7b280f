//! The message composer: a plain form posting to the `post_message` server function, so it
//! works without JavaScript; with it, Enter sends, and the text clears and keeps focus.

use leptos::ev::KeyboardEvent;
use leptos::html::Textarea;
use leptos::prelude::*;

use super::domain::MAX_NAME_CHARS;
use super::server_fns::{PostMessage, display_name};

/// The form under a room's messages. The display name is asked once, then remembered.
#[component]
pub fn Composer(slug: String, post: ServerAction<PostMessage>) -> impl IntoView {
    let textarea = NodeRef::<Textarea>::new();
    let remembered = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        if let Some(Ok(message)) = post.value().get() {
            remembered.set(Some(message.author));
            if let Some(textarea) = textarea.get() {
                textarea.set_value("");
                let _ = textarea.focus();
            }
        }
    });
    let error = move || match (post.pending().get(), post.value().get()) {
        (false, Some(Err(error))) => Some(error.to_string()),
        _ => None,
    };
    let send_on_enter = move |event: KeyboardEvent| {
        if event.key() == "Enter" && !event.shift_key() && !event.is_composing() {
            event.prevent_default();
            if let Some(form) = textarea.get().and_then(|textarea| textarea.form()) {
                let _ = form.request_submit();
            }
        }
    };
    view! {
        <ActionForm action=post attr:class="composer">
            <input type="hidden" name="slug" value=slug.clone()/>
            <NameField remembered/>
            <div class="compose-row">
                <textarea
                    name="body"
                    node_ref=textarea
                    rows="2"
                    aria-label="Message"
                    placeholder=format!("Message #{slug}")
                    on:keydown=send_on_enter
                ></textarea>
                <button type="submit">"Send"</button>
            </div>
            <p class="error" role="alert">{error}</p>
        </ActionForm>
    }
}

/// "Posting as Ada · change", or a name input when none is known yet.
#[component]
fn NameField(remembered: RwSignal<Option<String>>) -> impl IntoView {
    let saved = Resource::new(|| (), |()| display_name());
    let editing = RwSignal::new(false);
    view! {
        <Transition fallback=|| view! { <NameInput value=String::new()/> }>
            {move || Suspend::new(async move {
                let saved = saved.await.ok().flatten();
                match remembered.get().or(saved) {
                    Some(name) if !editing.get() => view! {
                        <p class="posting-as">
                            "Posting as " <strong>{name.clone()}</strong>
                            <button type="button" class="link" on:click=move |_| editing.set(true)>"change"</button>
                            <input type="hidden" name="author" value=name/>
                        </p>
                    }
                    .into_any(),
                    name => view! { <NameInput value=name.unwrap_or_default()/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn NameInput(value: String) -> impl IntoView {
    view! {
        <label class="name-field">
            "Your name"
            <input name="author" value=value maxlength=MAX_NAME_CHARS autocomplete="nickname" placeholder="How others see you"/>
        </label>
    }
}
