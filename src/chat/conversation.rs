//! The live conversation of a room: its messages, the composer, and what keeps them current
//! (an island). It starts from the server-rendered latest page; afterwards it takes each
//! change from the room's events — a new message, an edit, a deletion — and re-reads the
//! messages it shows only when it may have missed some.

use leptos::prelude::*;
use live_loader::use_live;
use serde::Serialize;

use super::composer::Composer;
use super::domain::{Message, Page};
use super::message_actions;
use super::message_item::{Actions, MessageItem};
use super::older::OlderMessages;
use super::read_marker::ReadMarker;
use super::reread;
use super::room_topic;
use super::scroll::{NewBelow, Scroll};
use super::timeline::{self, RoomChange, grouped, insert};
use super::typists::{TypingLine, Typists, here_line};
use crate::error::AppError;
use crate::fetch::get_json;
use crate::island::{Seed, seed};
use crate::js::{self, from_js_fields};
use crate::time::Timestamp;

/// What [`Conversation`] starts from: the room, its latest page, who is signed in (if
/// anyone), whether they created the room (and may delete any message), and a refused
/// form post to show.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub(super) struct ConversationSeed {
    pub slug: String,
    pub latest: Vec<Message>,
    pub me: Option<String>,
    /// Where the reader had read up to when they opened the room (signed in).
    pub last_read: Option<i64>,
    /// Whether opening the room read it; if not (another site opened it), the page reads
    /// it once the reader is at the bottom with the tab in view.
    pub read_when_opened: bool,
    pub moderator: bool,
    /// The message whose edit form is open (`?edit=<id>`, without JavaScript).
    pub editing: Option<i64>,
    pub error: Option<String>,
    /// In a thread's frame, which signs in with a form of its own: no link to Murmur's
    /// sign-in page for a reader signed out.
    pub in_frame: bool,
}

impl ConversationSeed {
    /// A thread's comments (room `slug`) in its frame, from its `latest` page, for `me`
    /// (and as a moderator of threads, or not).
    pub fn in_frame(
        slug: String,
        latest: Vec<Message>,
        me: Option<String>,
        moderator: bool,
    ) -> Self {
        Self {
            slug,
            latest,
            me,
            last_read: None,
            read_when_opened: true,
            moderator,
            editing: None,
            error: None,
            in_frame: true,
        }
    }
}

impl Seed for ConversationSeed {
    const ID: &'static str = "conversation-seed";
}

from_js_fields!(ConversationSeed {
    slug,
    latest,
    me,
    last_read,
    read_when_opened,
    moderator,
    editing,
    error,
    in_frame
});

/// The room's messages, live, and the composer.
#[island]
pub(super) fn Conversation() -> impl IntoView {
    let ConversationSeed {
        slug,
        latest,
        me,
        last_read,
        read_when_opened,
        moderator,
        editing,
        error,
        in_frame,
    } = seed();
    let editing = RwSignal::new(editing);
    // The first message by someone else after where the reader had read when they opened
    // the room is marked "new"; the mark stays there while they read on.
    let first_new = last_read.and_then(|read| {
        let by_others = |m: &&Message| m.id > read && me.as_ref() != Some(&m.author);
        latest.iter().find(by_others).map(|m| m.id)
    });
    let full_page = latest.len() == Page::DEFAULT_LIMIT as usize;
    let messages = RwSignal::new(latest);
    let scroll = Scroll::new();
    let topic = use_live({
        let slug = slug.clone();
        move || room_topic(&slug)
    });
    let newest = move || messages.with_untracked(|m| m.last().map_or(0, |m| m.id));
    // The stream resumes after what was rendered, so nothing changed since is missed.
    topic.seen(newest());
    // Reading to the bottom reads the room; opening it read what it showed then, unless
    // another site opened it: then what it shows is read here, once in view.
    let marker = me.is_some().then(|| {
        let read = if read_when_opened { newest() } else { 0 };
        ReadMarker::new(slug.clone(), read)
    });
    let read_to_bottom = move || {
        if let (Some(marker), true) = (marker, scroll.mark().at_bottom()) {
            marker.reached(newest());
        }
    };
    if !read_when_opened {
        Effect::new(move |_| read_to_bottom());
    }
    let _ = window_event_listener(leptos::ev::visibilitychange, move |_| read_to_bottom());

    // New messages: the reader's own (from the composer) or from the stream.
    let add = move |arrived: Vec<Message>, mine: bool| {
        let mark = scroll.mark();
        let mut added = 0;
        messages.update(|shown| added = insert(shown, arrived));
        scroll.arrived(mark, added, mine);
        if let (Some(marker), true, false) = (marker, mark.at_bottom(), mine) {
            marker.reached(newest());
        }
    };
    let replace =
        move |changed: Message| messages.update(|shown| timeline::replace(shown, changed));
    let delete =
        move |id: i64| messages.update(|shown| timeline::delete(shown, id, Timestamp::now()));
    let typists = Typists::new();
    let here = RwSignal::new(String::new());
    let myself = me.clone();
    topic.apply(move |data| {
        let Some(change) = js::parse::<RoomChange>(data) else {
            return false;
        };
        match change {
            RoomChange::New(message) => {
                typists.posted(&message.author);
                add(vec![message], false);
            }
            RoomChange::Typing(name) if myself.as_ref() != Some(&name) => typists.typing(name),
            RoomChange::Typing(_) => {}
            RoomChange::Edited(message) => replace(message),
            RoomChange::Deleted(id) => delete(id),
            RoomChange::Presence(users, anonymous) => here.set(here_line(&users, anonymous)),
        }
        true
    });
    // After a reconnect or resync, re-read every message shown (edits and deletions may
    // have been missed, not only new ones). When the room is gone (the reader was removed
    // from it), go to the room list: a tab that kept asking for it would be refused its
    // whole live stream.
    topic.refetch({
        let slug = slug.clone();
        move || {
            let slug = slug.clone();
            async move {
                let oldest = messages.with_untracked(|m| m.first().map_or(0, |m| m.id - 1));
                let slug = &slug;
                match reread::read_after(oldest, |after| page_after(slug, after)).await {
                    Ok(current) => {
                        let mark = scroll.mark();
                        let mut added = 0;
                        messages.update(|shown| added = reread::merge(shown, current, oldest));
                        scroll.arrived(mark, added, false);
                    }
                    Err(error) if error.status() == 404 => {
                        let _ = window().location().replace("/");
                    }
                    Err(_) => {}
                }
            }
        }
    });

    let reader = me.clone();
    let actions = move |message: &Message| match reader.as_deref() {
        _ if message.deleted_at.is_some() => Actions::None,
        Some(me) if me == message.author => Actions::Own,
        Some(_) if moderator => Actions::Moderate,
        _ => Actions::None,
    };
    let room = slug.clone();
    view! {
        <p class="here" role="note" aria-label="Here now" aria-live="polite">{here}</p>
        <div class="viewport">
            <div class="scroller" node_ref=scroll.node on:scroll=move |_| {
                scroll.moved();
                read_to_bottom();
            }>
                <div class="scroll-content">
                    <OlderMessages slug=slug.clone() messages full_page/>
                    <ol
                        class="messages"
                        aria-label="Messages"
                        on:submit=move |event| message_actions::submitted(event, editing, replace, delete)
                        on:click=move |event| message_actions::clicked(event, editing)
                        on:keydown=move |event| message_actions::key_pressed(event, editing)
                    >
                        // Keyed, so a message keeps its element (and an edit being typed in
                        // it) while others arrive, change or go.
                        <For each=move || messages.with(|m| grouped(m)) key=|(m, continues)| (m.id, m.edited_at, m.deleted_at.is_some(), *continues) let((message, continues))>
                            <MessageItem
                                actions=actions(&message)
                                first_new=first_new == Some(message.id)
                                message
                                continues
                                slug=room.clone()
                                editing
                            />
                        </For>
                    </ol>
                    // Shown by the stylesheet while the list is empty.
                    <p class="muted empty">"No messages yet. Say hello!"</p>
                </div>
            </div>
            <NewBelow scroll/>
        </div>
        <TypingLine typists/>
        <Composer slug=slug.clone() me error sign_in_link=!in_frame on_posted=move |message| add(vec![message], true)/>
    }
}

/// A page of room `slug`'s messages from the JSON API.
pub(super) async fn messages_page(slug: &str, cursor: &str) -> Result<Vec<Message>, AppError> {
    get_json(&format!("/api/rooms/{slug}/messages?{cursor}")).await
}

/// The page of room `slug`'s messages after `after`.
async fn page_after(slug: &str, after: i64) -> Result<Vec<Message>, AppError> {
    messages_page(slug, &format!("after={after}")).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::island::planted;

    #[test]
    fn the_conversations_seed_reads_back_in_the_browser_as_the_server_planted_it() {
        let message = |id, edited_at, deleted_at| Message {
            id,
            room: "lobby".into(),
            author: "ada".into(),
            body: "</script><script>alert(1)</script>\n\"ü\"".into(),
            created_at: Timestamp(1_795_000_000_000 + id),
            edited_at,
            deleted_at,
        };
        let latest = vec![
            message(1, None, None),
            message(2, Some(Timestamp(1_795_000_060_000)), None),
            message(3, None, Some(Timestamp(1_795_000_120_000))),
        ];
        let signed_in = ConversationSeed {
            slug: "lobby".into(),
            latest,
            me: Some("ada".into()),
            last_read: Some(2),
            read_when_opened: true,
            moderator: true,
            editing: Some(1),
            error: Some("the message is empty".into()),
            in_frame: false,
        };
        let signed_out = ConversationSeed {
            slug: "lobby".into(),
            latest: vec![],
            me: None,
            last_read: None,
            read_when_opened: false,
            moderator: false,
            editing: None,
            error: None,
            in_frame: false,
        };
        let framed =
            ConversationSeed::in_frame("thread-x".into(), vec![], Some("ada".into()), true);
        for seed in [signed_in, signed_out, framed] {
            assert_eq!(planted(&seed), Some(seed));
        }
    }
}
