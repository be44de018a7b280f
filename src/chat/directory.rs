//! `/`: every room, live, and a form to start a new one.

use leptos::prelude::*;
use leptos_meta::Title;

use super::domain::{MAX_SLUG_CHARS, MAX_TITLE_CHARS};
use super::room_list::{RoomList, use_rooms};
use super::server_fns::CreateRoom;

/// The room directory.
#[component]
pub fn DirectoryPage() -> impl IntoView {
    let rooms = use_rooms();
    view! {
        <Title text="Rooms"/>
        <main class="page directory">
            <section class="card">
                <h1>"Rooms"</h1>
                <RoomList rooms/>
            </section>
            <NewRoomForm/>
        </main>
    }
}

#[component]
fn NewRoomForm() -> impl IntoView {
    let create = ServerAction::<CreateRoom>::new();
    let error = move || match (create.pending().get(), create.value().get()) {
        (false, Some(Err(error))) => Some(error.to_string()),
        _ => None,
    };
    view! {
        <ActionForm action=create attr:class="card new-room">
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
            <button type="submit">"Create room"</button>
            <p class="error" role="alert">{error}</p>
        </ActionForm>
    }
}
