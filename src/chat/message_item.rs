//! One message in the list: its author and time (unless it continues the message before),
//! its text with links, whether it was edited, or "message deleted" in its place — and,
//! for who may, a `⋯` menu to edit or delete it. Without JavaScript these are plain: "Edit"
//! links to the room with the message's edit form in place (`?edit=<id>`), and the forms
//! post to the server functions and come back to the room. With it, the form opens in
//! place and both are sent with `fetch`.

use leptos::ev::{KeyboardEvent, MouseEvent, SubmitEvent};
use leptos::html::Details;
use leptos::prelude::*;
use leptos::task::spawn_local;
use web_sys::HtmlFormElement;

use super::clock::Ago;
use super::composer::send_on_enter;
use super::domain::Message;
use super::links::MessageText;
use crate::fetch::submit;

/// What the reader may do to a message.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Actions {
    None,
    /// Their own: edit or delete.
    Own,
    /// In a room they created: delete.
    Moderate,
}

#[component]
pub fn MessageItem(
    message: Message,
    continues: bool,
    actions: Actions,
    slug: String,
    /// Which message is being edited, if any (one at a time).
    editing: RwSignal<Option<i64>>,
    #[prop(into)] on_edited: Callback<Message>,
    #[prop(into)] on_deleted: Callback<i64>,
) -> impl IntoView {
    let Message {
        id,
        author,
        body,
        created_at,
        edited_at,
        deleted_at,
        ..
    } = message;
    let header = (!continues).then(|| {
        view! {
            <div class="meta">
                <span class="author">{author}</span>
                <Ago at=created_at/>
            </div>
        }
    });
    let text = {
        let (slug, body) = (slug.clone(), body.clone());
        move || match (deleted_at, editing.get() == Some(id)) {
            (Some(_), _) => view! { <p class="body deleted">"message deleted"</p> }.into_any(),
            (None, true) => {
                let (slug, body) = (slug.clone(), body.clone());
                view! { <EditForm slug id body editing on_edited/> }.into_any()
            }
            (None, false) => view! {
                <p class="body">
                    <MessageText text=body.clone()/>
                    {edited_at.map(|_| view! { <span class="edited">" (edited)"</span> })}
                </p>
            }
            .into_any(),
        }
    };
    let menu = NodeRef::<Details>::new();
    let tools = (actions != Actions::None).then(|| {
        // Without JavaScript, a link to the room showing this message's edit form.
        let edit = (actions == Actions::Own).then(|| {
            let start = move |event: MouseEvent| {
                event.prevent_default();
                editing.set(Some(id));
                if let Some(menu) = menu.get_untracked() {
                    menu.set_open(false);
                }
            };
            view! { <a href=format!("?edit={id}#m{id}") class="edit-link" on:click=start>"Edit message"</a> }
        });
        view! {
            <details class="actions" node_ref=menu>
                <summary title="Message actions">"⋯"</summary>
                {edit}
                <DeleteForm slug id on_deleted/>
            </details>
        }
    });
    view! {
        <li class="message" class:continues=continues id=format!("m{id}") data-id=id>
            {header}
            {text}
            {tools}
        </li>
    }
}

/// The message's text in a box to change it: Save (or Enter) sends it, Cancel (or Escape)
/// leaves it as it was.
#[component]
fn EditForm(
    slug: String,
    id: i64,
    body: String,
    editing: RwSignal<Option<i64>>,
    on_edited: Callback<Message>,
) -> impl IntoView {
    let error = RwSignal::new(None::<String>);
    let on_submit = move |event: SubmitEvent| {
        event.prevent_default();
        let form = event_target::<HtmlFormElement>(&event);
        spawn_local(async move {
            match submit::<Message>(&form).await {
                Ok(message) => {
                    editing.set(None);
                    on_edited.run(message);
                }
                Err(refused) => error.set(Some(refused.to_string())),
            }
        });
    };
    let keys = move |event: KeyboardEvent| match event.key().as_str() {
        "Escape" => editing.set(None),
        _ => send_on_enter(&event),
    };
    let cancel = move |event: MouseEvent| {
        event.prevent_default();
        editing.set(None);
    };
    view! {
        <form method="post" action="/api/edit_message" class="edit-form" on:submit=on_submit>
            <input type="hidden" name="slug" value=slug.clone()/>
            <input type="hidden" name="id" value=id/>
            <textarea name="body" rows="2" aria-label="Edit message" autofocus on:keydown=keys>{body}</textarea>
            <div class="edit-buttons">
                <a href=format!("/rooms/{slug}#m{id}") on:click=cancel>"Cancel"</a>
                <button type="submit">"Save"</button>
            </div>
            <p class="error" role="alert">{move || error.get()}</p>
        </form>
    }
}

/// A button that deletes the message.
#[component]
fn DeleteForm(slug: String, id: i64, on_deleted: Callback<i64>) -> impl IntoView {
    let error = RwSignal::new(None::<String>);
    let on_submit = move |event: SubmitEvent| {
        event.prevent_default();
        let form = event_target::<HtmlFormElement>(&event);
        spawn_local(async move {
            match submit::<()>(&form).await {
                Ok(()) => on_deleted.run(id),
                Err(refused) => error.set(Some(refused.to_string())),
            }
        });
    };
    view! {
        <form method="post" action="/api/delete_message" class="delete-form" on:submit=on_submit>
            <input type="hidden" name="slug" value=slug/>
            <input type="hidden" name="id" value=id/>
            <button type="submit" class="danger">"Delete message"</button>
            <p class="error" role="alert">{move || error.get()}</p>
        </form>
    }
}
