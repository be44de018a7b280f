//! The live list of rooms, shown as the directory and as the room page's sidebar.

use leptos::prelude::*;
use leptos_router::components::A;

use super::DIRECTORY_TOPIC;
use super::clock::Ago;
use super::domain::RoomSummary;
use super::server_fns::list_rooms;
use crate::error::AppError;
use crate::live::{coalesce, use_live};

/// Every room, re-fetched whenever any room changes.
pub fn use_rooms() -> Resource<Result<Vec<RoomSummary>, AppError>> {
    let directory = use_live(|| DIRECTORY_TOPIC.to_owned());
    let (version, done) = coalesce(move || directory.version());
    Resource::new(
        move || version.get(),
        move |_| async move {
            let rooms = list_rooms().await;
            done.call();
            rooms
        },
    )
}

/// The rooms with their message counts and last activity; `current` is highlighted.
#[component]
pub fn RoomList(
    rooms: Resource<Result<Vec<RoomSummary>, AppError>>,
    #[prop(optional, into)] current: Signal<String>,
) -> impl IntoView {
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading rooms…"</p> }>
            {move || Suspend::new(async move {
                match rooms.await {
                    Ok(rooms) => view! {
                        <ul class="room-list" aria-label="Rooms">
                            <For each=move || rooms.clone() key=|room| (room.slug.clone(), room.message_count) let(room)>
                                <RoomLink room current/>
                            </For>
                        </ul>
                    }
                    .into_any(),
                    Err(error) => view! { <p class="error">{error.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn RoomLink(room: RoomSummary, current: Signal<String>) -> impl IntoView {
    let href = format!("/rooms/{}", room.slug);
    let is_current = {
        let slug = room.slug.clone();
        move || current.get() == slug
    };
    let count = match room.message_count {
        1 => "1 message".to_owned(),
        n => format!("{n} messages"),
    };
    view! {
        <li class="room-link" class:current=is_current>
            <A href=href>
                <span class="room-title">{room.title}</span>
                <span class="room-slug">"#"{room.slug}</span>
                <span class="room-count" data-count=room.message_count>{count}</span>
                <Ago at=room.last_activity/>
            </A>
        </li>
    }
}
