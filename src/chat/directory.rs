//! `/`: every room, live, and a form to start a new one.

use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos::task::spawn_local;
use leptos_meta::Title;
use serde::Serialize;
use web_sys::HtmlFormElement;

use super::domain::{MAX_SLUG_CHARS, MAX_TITLE_CHARS, RoomSummary};
use super::room_list::Rooms;
use super::server_fns::CreateRoom;
use crate::accounts::signed_in;
use crate::fetch::submit;
use crate::island::{Seed, plant, seed};
use crate::js::from_js_fields;

/// The room directory.
#[component]
pub fn DirectoryPage() -> impl IntoView {
    // With JavaScript off, a failed form post comes back here with its error in the URL.
    let refused = ServerAction::<CreateRoom>::new();
    let error = refused.value().get_untracked().and_then(Result::err);
    let new_room = match signed_in() {
        Some(_) => view! {
            {plant(NewRoomSeed { error: error.map(|e| e.to_string()) })}
            <NewRoomForm/>
        }
        .into_any(),
        None => view! {
            <section class="card new-room">
                <h2>"Start a room"</h2>
                <p><a href="/signin?next=/">"Sign in"</a>" to start a room or to post."</p>
            </section>
        }
        .into_any(),
    };
    view! {
        <Title text="Rooms"/>
        <main class="page directory">
            <section class="card">
                <h1>"Rooms"</h1>
                <Rooms/>
                <p class="muted"><a href="/threads">"Comment threads"</a>" under other sites’ pages are listed apart."</p>
            </section>
            {new_room}
        </main>
    }
}

/// What [`NewRoomForm`] starts from: a refused form post to show.
#[derive(Clone, Debug, PartialEq, Serialize)]
struct NewRoomSeed {
    error: Option<String>,
}

impl Seed for NewRoomSeed {
    const ID: &'static str = "new-room-seed";
}

from_js_fields!(NewRoomSeed { error });

/// A plain form posting to `create_room`; in the browser it is sent with `fetch`, so an
/// error shows next to it and success goes straight to the new room.
#[island]
fn NewRoomForm() -> impl IntoView {
    let NewRoomSeed { error } = seed();
    let error = RwSignal::new(error);
    let pending = RwSignal::new(false);
    let on_submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let form = event_target::<HtmlFormElement>(&event);
        pending.set(true);
        spawn_local(async move {
            match submit::<RoomSummary>(&form).await {
                Ok(room) => {
                    let _ = window()
                        .location()
                        .set_href(&format!("/rooms/{}", room.slug));
                }
                Err(refused) => error.set(Some(refused.to_string())),
            }
            pending.set(false);
        });
    };
    view! {
        <form method="post" action=CreateRoom::PATH class="card new-room" on:submit=on_submit>
            <h2>"Start a room"</h2>
            <label>
                "Title"
                <input name="title" required maxlength=MAX_TITLE_CHARS placeholder="Weekend plans"/>
            </label>
            <label>
                "Address"
                <span class="slug-field">
                    <span class="muted">"/rooms/"</span>
                    <input
                        name="slug"
                        required
                        maxlength=MAX_SLUG_CHARS
                        pattern="[a-z0-9\\-]+"
                        title="lowercase letters, digits and hyphens"
                        placeholder="weekend-plans"
                    />
                </span>
            </label>
            <label class="check">
                <input type="checkbox" name="private" value="on"/>
                "Private: only people I add can see it"
            </label>
            <button type="submit" disabled=move || pending.get()>"Create room"</button>
            <p class="error" role="alert">{move || error.get()}</p>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::island::planted;

    #[test]
    fn the_room_forms_seed_reads_back_in_the_browser_as_the_server_planted_it() {
        let refused = Some("the room “<a>” already exists".to_owned());
        for seed in [NewRoomSeed { error: None }, NewRoomSeed { error: refused }] {
            assert_eq!(planted(&seed), Some(seed));
        }
    }
}
