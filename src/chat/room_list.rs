//! The live list of rooms, shown as the directory and as the room page's sidebar.

use leptos::prelude::*;
use live_loader::use_live;
use serde::Serialize;

use super::DIRECTORY_TOPIC;
use super::domain::{RoomSummary, UNREAD_CAP};
use super::server_fns::list_rooms;
use crate::accounts::signed_in;
use crate::clock::Ago;
use crate::fetch::get_json;
use crate::inbox::user_topic;
use crate::island::{Seed, plant, seed};
use crate::js::{self, FromJs, Json, field, from_js_fields};

/// The rooms, loaded during the server render and live from then on; `current` is
/// highlighted.
#[component]
pub fn Rooms(#[prop(optional, into)] current: Option<String>) -> impl IntoView {
    let rooms = list_rooms();
    view! {
        {Suspend::new({
            let current = current.clone();
            async move {
                match rooms.await {
                    Ok(rooms) => view! {
                        {plant(RoomListSeed { rooms, current, me: signed_in().map(|a| a.username) })}
                        <RoomList/>
                    }
                    .into_any(),
                    Err(error) => view! { <p class="error">{error.to_string()}</p> }.into_any(),
                }
            }
        })}
    }
}

/// What [`RoomList`] starts from: the rooms, which one is open, and who reads them.
#[derive(Clone, Debug, PartialEq, Serialize)]
struct RoomListSeed {
    rooms: Vec<RoomSummary>,
    current: Option<String>,
    me: Option<String>,
}

impl Seed for RoomListSeed {
    const ID: &'static str = "room-list-seed";
}

from_js_fields!(RoomListSeed { rooms, current, me });

/// Every room, live: a room's event carries its new summary, which is merged in place;
/// the list is re-read only after something may have been missed. For a signed-in reader,
/// new messages in rooms other than the open one count as unread, and the list is re-read
/// when their own topic fires (they read a room in another tab, or were mentioned).
#[island]
fn RoomList() -> impl IntoView {
    let RoomListSeed { rooms, current, me } = seed();
    let rooms = RwSignal::new(rooms);
    let directory = use_live(|| DIRECTORY_TOPIC.to_owned());
    let (open, counting) = (current.clone(), me.is_some());
    // A room's new summary, or `{"gone": slug}` when the reader lost access to it.
    directory.apply(move |data| {
        if let Some(room) = js::parse::<RoomSummary>(data) {
            let reading = open.as_deref() == Some(room.slug.as_str());
            rooms.update(|list| merge(list, room, counting, reading));
        } else if let Some(Gone { gone }) = js::parse::<Gone>(data) {
            rooms.update(|list| list.retain(|room| room.slug != gone));
        } else {
            return false;
        }
        true
    });
    let reread = move || async move {
        if let Ok(list) = get_json::<Vec<RoomSummary>>("/api/rooms").await {
            rooms.set(list);
        }
    };
    directory.refetch(reread);
    if let Some(me) = me {
        let own = use_live(move || user_topic(&me));
        // They read a room, in this tab or another: nothing there is unread. Anything else
        // on their topic (a mention, say) re-reads the list.
        own.apply(move |data| {
            let Some(RoomRead { room }) = js::parse::<RoomRead>(data) else {
                return false;
            };
            rooms.update(|list| {
                let read = list.iter_mut().filter(|known| known.slug == room);
                read.for_each(|known| known.unread = known.unread.map(|_| 0));
            });
            true
        });
        own.refetch(reread);
    }
    view! {
        <ul class="room-list" aria-label="Rooms">
            // Keyed, so a link keeps its room while the list reorders under the pointer.
            <For each=move || rooms.get() key=|room| (room.slug.clone(), room.message_count, room.unread, room.here) let(room)>
                <RoomLink current=current.as_deref() == Some(room.slug.as_str()) room/>
            </For>
        </ul>
    }
}

/// The reader read room `room` (a `room-read` event of their own topic).
#[derive(Debug, PartialEq)]
pub(super) struct RoomRead {
    pub(super) room: String,
}

impl FromJs for RoomRead {
    fn from_js<J: Json>(value: &J) -> Option<Self> {
        let kind = field::<String>(value, "kind")?;
        let room = field(value, "room")?;
        (kind == "room-read").then_some(Self { room })
    }
}

/// A room the reader may no longer see.
#[derive(Debug, PartialEq)]
pub(super) struct Gone {
    pub(super) gone: String,
}

from_js_fields!(Gone { gone });

/// Puts `room` into the list, most recently active first. Summaries of one room can arrive
/// out of order (posts publish them concurrently); an older one never replaces a newer.
/// For a reader with counts (`counting`: signed in), its new messages count as unread,
/// unless they are `reading` the room.
fn merge(list: &mut Vec<RoomSummary>, mut room: RoomSummary, counting: bool, reading: bool) {
    let (count, unread) = match list.iter().position(|known| known.slug == room.slug) {
        Some(at) => {
            let known = &list[at];
            if (room.message_count, room.last_activity)
                <= (known.message_count, known.last_activity)
            {
                return;
            }
            let known = list.remove(at);
            (known.message_count, known.unread.unwrap_or(0))
        }
        None => (room.message_count, 0),
    };
    let arrived = room.message_count - count;
    room.unread = counting.then_some(match reading {
        true => 0,
        false => (unread + arrived).min(UNREAD_CAP),
    });
    let at = list.partition_point(|known| known.last_activity >= room.last_activity);
    list.insert(at, room);
}

#[component]
fn RoomLink(room: RoomSummary, current: bool) -> impl IntoView {
    let count = match room.message_count {
        1 => "1 message".to_owned(),
        n => format!("{n} messages"),
    };
    let href = format!("/rooms/{}", room.slug);
    let has_unread = room.unread.is_some_and(|n| n > 0) && !current;
    let unread = room.unread.filter(|_| has_unread).map(|n| {
        let shown = match n {
            n if n >= UNREAD_CAP => format!("{}+", UNREAD_CAP - 1),
            n => n.to_string(),
        };
        view! { <span class="unread" title="Unread messages">{shown}</span> }
    });
    let here = (room.here > 0).then(|| {
        view! { <span class="room-here" title="Reading it now">{room.here}" here"</span> }
    });
    view! {
        <li class="room-link" class:current=current class:has-unread=has_unread>
            <a href=href aria-current=current.then_some("page")>
                <span class="room-title">{room.title} {unread}</span>
                {room.private.then_some(view! { <span class="badge">"private"</span> })}
                <span class="room-slug">"#"{room.slug} {here}</span>
                <span class="room-count" data-count=room.message_count>{count}</span>
                <Ago at=room.last_activity/>
            </a>
        </li>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::island::planted;
    use crate::time::Timestamp;

    fn room(slug: &str, count: i64, at: i64) -> RoomSummary {
        RoomSummary {
            slug: slug.into(),
            title: slug.into(),
            private: false,
            message_count: count,
            last_activity: Timestamp(at),
            creator: None,
            unread: None,
            here: 0,
            thread: None,
        }
    }

    #[test]
    fn a_summary_updates_its_room_and_moves_it_to_the_top() {
        let mut list = vec![room("a", 1, 20), room("b", 1, 10)];
        merge(&mut list, room("b", 2, 30), false, false);
        assert_eq!(list, [room("b", 2, 30), room("a", 1, 20)]);
    }

    #[test]
    fn new_messages_count_as_unread_except_in_the_room_being_read() {
        let unread = |n| RoomSummary {
            unread: Some(n),
            ..room("a", 1, 10)
        };
        let mut list = vec![unread(2), room("open", 1, 5)];
        merge(&mut list, room("a", 4, 20), true, false);
        merge(&mut list, room("open", 3, 30), true, true);
        let counts: Vec<_> = list.iter().map(|r| (r.slug.as_str(), r.unread)).collect();
        assert_eq!(counts, [("open", Some(0)), ("a", Some(5))]);
    }

    #[test]
    fn a_new_room_is_added_and_a_stale_summary_is_ignored() {
        let mut list = vec![room("a", 5, 50)];
        merge(&mut list, room("a", 4, 40), false, false);
        merge(&mut list, room("new", 0, 60), false, false);
        assert_eq!(list, [room("new", 0, 60), room("a", 5, 50)]);
    }

    #[test]
    fn the_room_lists_seed_reads_back_in_the_browser_as_the_server_planted_it() {
        let private = RoomSummary {
            private: true,
            creator: Some("ada".into()),
            unread: Some(3),
            here: 2,
            ..room("</script>", 0, -1)
        };
        let rooms = vec![room("a", 1, 10), private];
        let (current, me) = (Some("a".to_owned()), Some("ada".to_owned()));
        let seeds = [
            RoomListSeed { rooms, current, me },
            RoomListSeed {
                rooms: vec![],
                current: None,
                me: None,
            },
        ];
        for seed in seeds {
            assert_eq!(planted(&seed), Some(seed));
        }
    }
}
