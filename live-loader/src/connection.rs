//! The browser side of the protocol, for one tab. The tabs of a browser share one
//! connection: one of them leads (see `leader.rs`) and holds the stream for every tab's
//! topics, the others follow over a channel (see `tabs.rs`); where the browser can't share,
//! each tab leads itself alone. Either way a tab takes each event the same way: events at or
//! below a topic's cursor are replays the tab already has, and are dropped.

use std::cell::RefCell;
use std::rc::Rc;

use leptos::ev;
use leptos::prelude::*;

use super::hooks::{LiveContext, LiveStatus, entry};
use super::leader::Leader;
use super::streams::Gap;
use super::tabs::{self, Channel, Message};
use super::wants::Tab;

/// What this tab is to the others.
enum Role {
    /// Listens to the leader over the channel.
    Following(Rc<Channel>),
    Leading(Rc<Leader>),
}

/// Keeps the tab's share of the browser's connection in step with the topics its
/// components need.
pub(super) fn start(live: LiveContext) {
    Effect::new(move |_| super::indicator::show(live.status.get()));
    let wanted = Memo::new(move |_| {
        live.topics.with(|topics| {
            topics
                .iter()
                .filter(|topic| topic.users > 0)
                .map(|topic| topic.name.clone())
                .collect::<Vec<_>>()
        })
    });
    let tab = (js_sys::Math::random() * f64::from(u32::MAX)) as Tab;
    let scope = super::indicator::scope();
    let channel = Channel::open(&scope);
    tabs::follow_scope(scope);
    let role = match channel {
        None => Rc::new(RefCell::new(Role::Leading(Leader::start(
            live, tab, None, false,
        )))),
        Some(channel) => {
            channel.hold_tab_lock(tab);
            let role = Rc::new(RefCell::new(Role::Following(Rc::clone(&channel))));
            channel.on_message({
                let role = Rc::clone(&role);
                move |message| receive(live, tab, &role.borrow(), message, wanted)
            });
            let owner = Owner::current().expect("the tab's owner");
            channel.when_leader({
                let (role, channel) = (Rc::clone(&role), Rc::clone(&channel));
                move |took_over| {
                    let leader = owner.with(|| Leader::start(live, tab, Some(channel), took_over));
                    *role.borrow_mut() = Role::Leading(leader);
                    announce(live, tab, &role.borrow(), &wanted.get_untracked());
                }
            });
            let gone = window_event_listener(ev::pagehide, {
                let role = Rc::clone(&role);
                move |_| {
                    if let Role::Following(channel) = &*role.borrow() {
                        channel.post(&Message::Bye { tab });
                    }
                }
            });
            // Back from the back-forward cache: it said bye when it went.
            let back = window_event_listener(ev::pageshow, {
                let role = Rc::clone(&role);
                move |event: web_sys::PageTransitionEvent| {
                    if event.persisted() {
                        announce(live, tab, &role.borrow(), &wanted.get_untracked());
                    }
                }
            });
            on_cleanup(move || {
                gone.remove();
                back.remove();
            });
            role
        }
    };
    Effect::new(move |_| announce(live, tab, &role.borrow(), &wanted.get()));

    // A tab coming back to the foreground may have been frozen: catch up.
    let visible = window_event_listener(ev::visibilitychange, move |_| {
        if document().visibility_state() == web_sys::VisibilityState::Visible {
            fire_all(live);
        }
    });
    let offline = window_event_listener(ev::offline, move |_| live.status.set(LiveStatus::Offline));
    on_cleanup(move || {
        visible.remove();
        offline.remove();
    });
}

/// Tells the leader which topics this tab wants, each with the newest cursor it has.
fn announce(live: LiveContext, tab: Tab, role: &Role, topics: &[String]) {
    let topics = topics
        .iter()
        .map(|topic| {
            let cursor = live.with_topic(topic, |known| known.cursor);
            (topic.clone(), cursor.filter(|cursor| *cursor >= 0))
        })
        .collect();
    match role {
        Role::Leading(leader) => leader.want(tab, topics),
        Role::Following(channel) => channel.post(&Message::Want { tab, topics }),
    }
}

/// A message from another tab.
fn receive(live: LiveContext, tab: Tab, role: &Role, message: Message, wanted: Memo<Vec<String>>) {
    match (role, message) {
        (Role::Leading(leader), Message::Want { tab, topics }) => leader.want(tab, topics),
        (Role::Leading(leader), Message::Bye { tab }) => leader.leave(tab),
        (Role::Following(_), Message::Hello) => announce(live, tab, role, &wanted.get_untracked()),
        (Role::Following(_), Message::Event { topic, id, data }) => {
            deliver(live, &topic, id.as_deref(), &data);
        }
        (Role::Following(_), Message::Status(status)) => live.status.set(status),
        (Role::Following(_), Message::Open(gap)) => catch_up(live, &gap),
        (Role::Following(_), Message::Resync) => fire_all(live),
        _ => {}
    }
}

/// Takes an event of `topic` with its own `id` (if it has one), if the tab wants the topic.
pub(super) fn deliver(live: LiveContext, topic: &str, id: Option<&str>, data: &str) {
    if live.with_topic(topic, |known| known.users).unwrap_or(0) == 0 {
        return;
    }
    let news = id.is_none_or(|id| is_news(live, topic, id));
    if news && !apply(live, topic, data) {
        fire(live, topic);
    }
}

/// Whether an event is news: it has no cursor of its topic, or a newer one than the tab
/// has (a replay after a reconnect may repeat what the tab already shows).
fn is_news(live: LiveContext, topic: &str, id: &str) -> bool {
    cursor_of(topic, id).is_none_or(|cursor| live.advance(topic, cursor))
}

/// The cursor of `topic` an event id (`topic@cursor`) names, if it names one.
pub(super) fn cursor_of(topic: &str, id: &str) -> Option<i64> {
    let (of, cursor) = id.split_once('@')?;
    if of == topic {
        cursor.parse().ok()
    } else {
        None
    }
}

/// Hands the payload to each of the topic's appliers; whether any took it.
fn apply(live: LiveContext, topic: &str, data: &str) -> bool {
    let appliers = live
        .with_topic(topic, |known| known.appliers.clone())
        .unwrap_or_default();
    // Every applier sees the payload, even after one took it: each keeps its own view.
    let mut taken = false;
    for apply in &appliers {
        taken |= apply(data);
    }
    taken
}

/// Re-runs what may have missed events while no stream carried them.
pub(super) fn catch_up(live: LiveContext, gap: &Gap) {
    match gap {
        Gap::All => fire_all(live),
        Gap::Topics(topics) => {
            for topic in topics {
                if live.with_topic(topic, |known| known.users > 0) == Some(true) {
                    fire(live, topic);
                }
            }
        }
    }
}

/// Marks `topic` as changed: resources keyed on it re-run.
fn fire(live: LiveContext, topic: &str) {
    live.topics
        .update(|topics| entry(topics, topic).version += 1);
}

/// Marks every topic in use as changed, after a gap in what the tab may have seen.
pub(super) fn fire_all(live: LiveContext) {
    live.topics.update(|topics| {
        for topic in topics.iter_mut().filter(|topic| topic.users > 0) {
            topic.version += 1;
        }
    });
}

pub(super) fn is_online() -> bool {
    web_sys::window().is_none_or(|window| window.navigator().on_line())
}
