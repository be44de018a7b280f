//! The live list of rooms, shown as the directory and as the room page's sidebar.

use leptos::prelude::*;
use leptos_router::components::A;

use super::DIRECTORY_TOPIC;
use super::clock::Ago;
use super::domain::RoomSummary;
use super::server_fns::list_rooms;
use crate::error::AppError;
use crate::live::{coalesce, use_live};

/// Every room, live: a room's event carries its new summary, which is merged in place;
/// the list is re-fetched only after something may have been missed.
pub fn use_rooms() -> Resource<Result<Vec<RoomSummary>, AppError>> {
    let directory = use_live(|| DIRECTORY_TOPIC.to_owned());
    let (version, done) = coalesce(move || directory.version());
    let rooms = Resource::new(
        move || version.get(),
        move |_| async move {
            let rooms = list_rooms().await;
            done.call();
            rooms
        },
    );
    directory.apply(move |data| {
        let Ok(room) = serde_json::from_str::<RoomSummary>(data) else {
            return false;
        };
        let mut merged = false;
        rooms.update(|loaded| {
            if let Some(Ok(list)) = loaded {
                merge(list, room);
                merged = true;
            }
        });
        merged
    });
    rooms
}

/// Puts `room` into the list, most recently active first. Summaries of one room can arrive
/// out of order (posts publish them concurrently); an older one never replaces a newer.
fn merge(list: &mut Vec<RoomSummary>, room: RoomSummary) {
    let newer = |a: &RoomSummary, b: &RoomSummary| {
        (a.message_count, a.last_activity) > (b.message_count, b.last_activity)
    };
    match list.iter().position(|known| known.slug == room.slug) {
        Some(at) if !newer(&room, &list[at]) => return,
        Some(at) => list[at] = room,
        None => list.push(room),
    }
    list.sort_by_key(|room| std::cmp::Reverse(room.last_activity));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::time::Timestamp;

    fn room(slug: &str, count: i64, at: i64) -> RoomSummary {
        RoomSummary {
            slug: slug.into(),
            title: slug.into(),
            message_count: count,
            last_activity: Timestamp(at),
        }
    }

    #[test]
    fn a_summary_updates_its_room_and_moves_it_to_the_top() {
        let mut list = vec![room("a", 1, 20), room("b", 1, 10)];
        merge(&mut list, room("b", 2, 30));
        assert_eq!(list, [room("b", 2, 30), room("a", 1, 20)]);
    }

    #[test]
    fn a_new_room_is_added_and_a_stale_summary_is_ignored() {
        let mut list = vec![room("a", 5, 50)];
        merge(&mut list, room("a", 4, 40));
        merge(&mut list, room("new", 0, 60));
        assert_eq!(list, [room("new", 0, 60), room("a", 5, 50)]);
    }
}
