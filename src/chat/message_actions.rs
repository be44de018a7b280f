//! What makes the messages' plain edit and delete forms (`message_item.rs`) work in place,
//! as handlers on the whole list rather than on each message: "Edit" opens the form in the
//! message (focused; Enter saves, Escape or "Cancel" leaves), and both forms are sent with
//! `fetch`, their refusal shown under them. The handlers only run in the browser.

use leptos::ev::{KeyboardEvent, MouseEvent, SubmitEvent};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlFormElement, HtmlTextAreaElement};

use super::composer::send_on_enter;
use super::domain::Message;
use super::server_fns::DeleteMessage;
use crate::fetch::submit;

/// A message's form was submitted: sends it, then `replace`s the edited message or
/// `delete`s the deleted one.
pub fn submitted(
    event: SubmitEvent,
    editing: RwSignal<Option<i64>>,
    replace: impl Fn(Message) + 'static,
    delete: impl Fn(i64) + 'static,
) {
    let form = event_target::<HtmlFormElement>(&event);
    let Some(id) = message_id(&form) else {
        return;
    };
    event.prevent_default();
    let deleting = form.action().ends_with(DeleteMessage::PATH);
    spawn_local(async move {
        let done = match deleting {
            true => submit::<()>(&form).await.map(|()| delete(id)),
            false => submit::<Message>(&form).await.map(|message| {
                editing.set(None);
                replace(message);
            }),
        };
        if let (Err(refused), Ok(Some(alert))) = (done, form.query_selector("[role=alert]")) {
            alert.set_text_content(Some(&refused.to_string()));
        }
    });
}

/// A click in the list: "Edit message" opens the message's form, "Cancel" closes it.
pub fn clicked(event: MouseEvent, editing: RwSignal<Option<i64>>) {
    let Some(target) = event.target().and_then(|t| t.dyn_into::<Element>().ok()) else {
        return;
    };
    if let Ok(Some(link)) = target.closest("a[data-edit]") {
        event.prevent_default();
        if let Ok(Some(menu)) = link.closest("details") {
            let _ = menu.remove_attribute("open");
        }
        editing.set(message_id(&link));
        let item = link.closest("li").ok().flatten();
        request_animation_frame(move || {
            let field = item.and_then(|item| item.query_selector("textarea").ok().flatten());
            if let Some(field) = field.and_then(|f| f.dyn_into::<HtmlTextAreaElement>().ok()) {
                let _ = field.focus();
            }
        });
    } else if let Ok(Some(_)) = target.closest("a[data-cancel]") {
        event.prevent_default();
        editing.set(None);
    }
}

/// A key in an edit box: Enter saves (Shift+Enter is a new line), Escape leaves.
pub fn key_pressed(event: KeyboardEvent, editing: RwSignal<Option<i64>>) {
    let in_edit_box = event
        .target()
        .is_some_and(|target| target.has_type::<HtmlTextAreaElement>());
    match event.key().as_str() {
        _ if !in_edit_box => {}
        "Escape" => editing.set(None),
        _ => send_on_enter(&event),
    }
}

/// The id of the message `element` is in.
fn message_id(element: &Element) -> Option<i64> {
    let item = element.closest("li[data-id]").ok()??;
    item.get_attribute("data-id")?.parse().ok()
}
