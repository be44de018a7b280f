//! The top bar's bell: how many notifications are unread, and the list of them, live in
//! every tab of the signed-in person.
//!
//! This is the plain live-resource pattern: the list is a resource keyed on the version of
//! the person's topic, re-read from the JSON API each time the topic fires (a new
//! notification, some read in another tab, one taken back) — no event payload is applied.
//! Opening the list marks everything in it read; so does the "Mark all read" form, which
//! also works without JavaScript.

use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos::task::spawn_local;
use leptos_router::hooks::use_location;
use live_loader::use_live;
use serde::{Deserialize, Serialize};
use web_sys::{Element, HtmlFormElement};

use super::server_fns::{ReadNotifications, load_inbox};
use super::{Notification, user_topic};
use crate::accounts::signed_in;
use crate::clock::Ago;
use crate::fetch::{get_json, submit};
use crate::island::{Seed, plant, seed};
use crate::js::from_js_fields;

/// The bell for the signed-in caller (server render only); nothing signed out. Opening a
/// room counts as reading its notifications, so a room page's count already leaves them out
/// (unless another site opened it: see `load_inbox`).
#[component]
pub fn Inbox() -> impl IntoView {
    if signed_in().is_none() {
        return ().into_any();
    }
    let path = use_location().pathname.get_untracked();
    let opened = path.strip_prefix("/rooms/").map(str::to_owned);
    let inbox = load_inbox(opened);
    view! {
        {Suspend::new(async move {
            match inbox.await {
                Ok(Some(seed)) => view! { {plant(seed)} <Bell/> }.into_any(),
                _ => ().into_any(),
            }
        })}
    }
    .into_any()
}

/// What [`Bell`] starts from: whose it is, the cursor of their topic when rendered, and
/// their newest notifications.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InboxSeed {
    pub username: String,
    pub cursor: i64,
    pub notifications: Vec<Notification>,
}

impl Seed for InboxSeed {
    const ID: &'static str = "inbox-seed";
}

from_js_fields!(InboxSeed {
    username,
    cursor,
    notifications
});

#[island]
fn Bell() -> impl IntoView {
    let InboxSeed {
        username,
        cursor,
        notifications,
    } = seed();
    let topic = use_live(move || user_topic(&username));
    topic.seen(cursor);
    // Re-read whenever the topic fires; the render's list until the first change.
    let fetched = LocalResource::new(move || {
        let changed = topic.version() > 0;
        async move {
            match changed {
                true => get_json::<Vec<Notification>>("/api/notifications")
                    .await
                    .ok(),
                false => None,
            }
        }
    });
    // Read in the browser only: a local resource read during the server render would hold
    // the Suspense around the bell at its fallback.
    let list = Memo::new(move |shown: Option<&Vec<Notification>>| {
        let fresh = cfg!(feature = "hydrate").then(|| fetched.get()).flatten();
        match (fresh.flatten(), shown) {
            (Some(fresh), _) => fresh,
            (None, Some(shown)) => shown.clone(),
            (None, None) => notifications.clone(),
        }
    });
    let unread = move || list.with(|list| list.iter().filter(|n| !n.read).count());
    let newest = move || list.with(|list| list.first().map_or(0, |n| n.id));
    let form = NodeRef::<leptos::html::Form>::new();
    // Opening the list reads it: its own form, sent with `fetch`.
    let toggled = move |event: leptos::ev::Event| {
        let opened = event_target::<Element>(&event).has_attribute("open");
        if let (true, true, Some(form)) = (opened, unread() > 0, form.get_untracked()) {
            read_all(form);
        }
    };
    view! {
        <details class="inbox" on:toggle=toggled>
            <summary aria-label=move || format!("Notifications, {} unread", unread())>
                "🔔"
                <span class="unread-count" class:none=move || unread() == 0>{unread}</span>
            </summary>
            <div class="inbox-panel">
                <ul class="notifications" aria-label="Notifications">
                    // Rebuilt whole when it changes: a short list of links, nothing typed in it.
                    {move || list.get().into_iter().map(|n| view! { <NotificationItem n/> }).collect_view()}
                </ul>
                <p class="muted empty">"Nobody has mentioned you yet."</p>
                <form method="post" action=ReadNotifications::PATH node_ref=form>
                    <input type="hidden" name="up_to" value=newest/>
                    <button type="submit" class="link">"Mark all read"</button>
                </form>
            </div>
        </details>
    }
}

fn read_all(form: HtmlFormElement) {
    spawn_local(async move {
        let _ = submit::<()>(&form).await;
    });
}

#[component]
fn NotificationItem(n: Notification) -> impl IntoView {
    let href = format!("/rooms/{}#m{}", n.room, n.message_id);
    view! {
        <li class="notification" class:unread=!n.read>
            <a href=href>
                <span class="who"><strong>{n.from}</strong>" in #"{n.room}</span>
                <span class="excerpt">{n.excerpt}</span>
                <Ago at=n.created_at/>
            </a>
        </li>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::island::planted;
    use crate::time::Timestamp;

    #[test]
    fn the_bells_seed_reads_back_in_the_browser_as_the_server_planted_it() {
        let notification = |id, read| Notification {
            id,
            room: "lobby".into(),
            message_id: 40 + id,
            from: "bob".into(),
            excerpt: "hi @ada </script> …".into(),
            read,
            created_at: Timestamp(1_795_000_000_000 + id),
        };
        let notifications = vec![notification(2, false), notification(1, true)];
        let username = "ada".to_owned();
        for notifications in [notifications, vec![]] {
            let seed = InboxSeed {
                username: username.clone(),
                cursor: 9,
                notifications,
            };
            assert_eq!(planted(&seed), Some(seed));
        }
    }
}
