//! One message in the list: its author and time (unless it continues the message before),
//! its text with links, whether it was edited, or "message deleted" in its place — and,
//! for who may, a `⋯` menu to edit or delete it. The menu and the forms are plain HTML:
//! without JavaScript, "Edit" links to the room with the message's edit form in place
//! (`?edit=<id>`), and the forms post to the server functions and come back to the room.
//! With it, one set of handlers on the whole list (`message_actions.rs`) opens the form in
//! place and sends both with `fetch` — rather than handlers on every message.

use leptos::either::{Either, EitherOf3};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;

use super::domain::Message;
use super::links::to_html;
use super::server_fns::{DeleteMessage, EditMessage};
use crate::clock::Ago;

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
    /// The first of the messages the reader hadn't read when they opened the room.
    first_new: bool,
    actions: Actions,
    slug: String,
    /// Which message is being edited, if any (one at a time).
    editing: RwSignal<Option<i64>>,
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
    let header = (!continues || first_new).then(|| {
        view! {
            <div class="meta">
                <span class="author">{author}</span>
                <Ago at=created_at/>
            </div>
        }
    });
    let text = move |body: &str| {
        view! {
            <p class="body">
                <span inner_html=to_html(body)></span>
                {edited_at.map(|_| view! { <span class="edited">" (edited)"</span> })}
            </p>
        }
    };
    // Only the reader's own messages can turn into an edit form; the rest are fixed text.
    let content = match (deleted_at, actions) {
        (Some(_), _) => EitherOf3::A(view! { <p class="body deleted">"message deleted"</p> }),
        (None, Actions::Own) => {
            let (slug, body) = (slug.clone(), body.clone());
            EitherOf3::B(move || match editing.get() == Some(id) {
                true => Either::Left(edit_form(&slug, id, body.clone())),
                false => Either::Right(text(&body)),
            })
        }
        (None, _) => EitherOf3::C(text(&body)),
    };
    let tools = (actions != Actions::None).then(|| {
        let edit = (actions == Actions::Own).then(|| {
            view! { <a href=format!("?edit={id}#m{id}") data-edit=id>"Edit message"</a> }
        });
        view! {
            <details class="actions">
                <summary title="Message actions">"⋯"</summary>
                {edit}
                <form method="post" action=DeleteMessage::PATH>
                    <input type="hidden" name="slug" value=slug/>
                    <input type="hidden" name="id" value=id/>
                    <button type="submit" class="danger">"Delete message"</button>
                    <p class="error" role="alert"></p>
                </form>
            </details>
        }
    });
    view! {
        <li class="message" class:continues=continues id=format!("m{id}") data-id=id>
            {first_new.then(|| view! { <div class="new-divider" role="separator" aria-label="New messages">"New"</div> })}
            {header}
            {content}
            {tools}
        </li>
    }
}

/// The message's text in a box to change it: Save (or Enter) sends it, Cancel (or Escape)
/// leaves it as it was.
fn edit_form(slug: &str, id: i64, body: String) -> impl IntoView + use<> {
    view! {
        <form method="post" action=EditMessage::PATH class="edit-form">
            <input type="hidden" name="slug" value=slug.to_owned()/>
            <input type="hidden" name="id" value=id/>
            <textarea name="body" rows="2" aria-label="Edit message" autofocus>{body}</textarea>
            <div class="edit-buttons">
                <a href=format!("/rooms/{slug}#m{id}") data-cancel="">"Cancel"</a>
                <button type="submit">"Save"</button>
            </div>
            <p class="error" role="alert"></p>
        </form>
    }
}
