//! The browser side of the protocol: one `EventSource` per tab, opened with the tab's cursor
//! for each topic, rebuilt when the page's topics change, the network comes back, or the
//! browser gives up on it. Events at or below a topic's cursor are replays the tab already
//! has, and are dropped.

use futures::future::poll_fn;
use futures::stream::StreamExt;
use gloo_net::eventsource::State;
use gloo_net::eventsource::futures::EventSource;
use leptos::ev;
use leptos::prelude::*;
use leptos::task::spawn_local_scoped_with_cancellation;
use std::task::Poll;

use super::hooks::{LiveContext, LiveStatus, entry};
use super::{RESYNC_EVENT, STREAM_PATH};

/// Longest wait between attempts to rebuild a stream the browser gave up on.
const MAX_BACKOFF_MS: f64 = 30_000.0;

/// Keeps the tab's connection in step with the topics its components need.
pub(super) fn start(live: LiveContext) {
    let topics = Memo::new(move |_| {
        live.topics.with(|topics| {
            topics
                .iter()
                .filter(|topic| topic.users > 0)
                .map(|topic| topic.name.clone())
                .collect::<Vec<_>>()
        })
    });
    Effect::new(move |_| super::indicator::show(live.status.get()));
    // Bumped to force a fresh connection, e.g. when the network comes back.
    let restart = RwSignal::new(0u32);
    Effect::new(move |_| {
        let topics = topics.get();
        restart.track();
        // Cancelled when the effect runs again: one connection at a time. Untracked, so
        // that nothing the connection reads restarts it.
        if !topics.is_empty() {
            untrack(|| spawn_local_scoped_with_cancellation(run(live, topics)));
        }
    });

    let online = window_event_listener(ev::online, move |_| restart.update(|n| *n += 1));
    // A tab coming back to the foreground may have been frozen: catch up.
    let visible = window_event_listener(ev::visibilitychange, move |_| {
        if document().visibility_state() == web_sys::VisibilityState::Visible {
            fire_all(live);
        }
    });
    let offline = window_event_listener(ev::offline, move |_| live.status.set(LiveStatus::Offline));
    on_cleanup(move || {
        online.remove();
        visible.remove();
        offline.remove();
    });
}

/// Listens until aborted, rebuilding the stream with backoff whenever the browser closes it.
async fn run(live: LiveContext, topics: Vec<String>) {
    // Let the rest of the page register its topics and cursors first: one connection.
    gloo_timers::future::TimeoutFuture::new(0).await;
    let mut failures = 0;
    // The first open needs no catch-up (the stream resumes from the rendered cursors);
    // after a drop, topics without cursors may have missed something.
    let mut opened_before = false;
    loop {
        listen(live, &topics, &mut opened_before, &mut failures).await;
        live.status.set(if is_online() {
            LiveStatus::Reconnecting
        } else {
            LiveStatus::Offline
        });
        gloo_timers::future::TimeoutFuture::new(backoff_ms(failures)).await;
        failures += 1;
    }
}

/// `/live?topic=…`, each topic with the tab's cursor for it, so the stream resumes there.
fn stream_url(live: LiveContext, topics: &[String]) -> String {
    let query: Vec<String> = topics
        .iter()
        .map(|topic| match live.with_topic(topic, |known| known.cursor) {
            Some(cursor) if cursor >= 0 => format!("topic={topic}@{cursor}"),
            _ => format!("topic={topic}"),
        })
        .collect();
    format!("{STREAM_PATH}?{}", query.join("&"))
}

/// Runs one `EventSource` until the browser gives up on it for good.
async fn listen(
    live: LiveContext,
    topics: &[String],
    opened_before: &mut bool,
    failures: &mut u32,
) {
    let Ok(mut source) = EventSource::new(&stream_url(live, topics)) else {
        return;
    };
    let mut subscriptions = Vec::with_capacity(topics.len() + 3);
    let events = [
        ("open", Kind::Open),
        ("error", Kind::Error),
        (RESYNC_EVENT, Kind::Resync),
    ];
    let topic_events = topics.iter().map(|topic| (topic.as_str(), Kind::Topic));
    for (event, kind) in events.into_iter().chain(topic_events) {
        let Ok(subscription) = source.subscribe(event) else {
            return;
        };
        subscriptions.push((kind, subscription));
    }

    // The browser's last event id before the current event: an event without an id of its
    // own (presence, typing, "read") repeats it, and is news however old that id is.
    let mut previous_id = String::new();
    loop {
        // The next event of any subscription; `None` once the source is gone.
        let next = poll_fn(|cx| {
            for (kind, subscription) in &mut subscriptions {
                if let Poll::Ready(item) = subscription.poll_next_unpin(cx) {
                    return Poll::Ready(item.map(|item| (*kind, item)));
                }
            }
            Poll::Pending
        });
        let Some((kind, item)) = next.await else {
            return;
        };
        match (kind, item) {
            (Kind::Open, Ok(_)) => {
                live.status.set(LiveStatus::Live);
                if *opened_before {
                    fire_all(live);
                }
                *opened_before = true;
                *failures = 0;
            }
            // `open` and `error` arrive as plain events; every subscription also reports
            // the source closing as an error, which the `error` one stands for.
            (Kind::Error, _) => match source.state() {
                State::Connecting if is_online() => live.status.set(LiveStatus::Reconnecting),
                State::Connecting => live.status.set(LiveStatus::Offline),
                State::Closed => return,
                State::Open => {}
            },
            (Kind::Resync, Ok(_)) => fire_all(live),
            (Kind::Topic, Ok((topic, message))) => {
                let id = message.last_event_id();
                let own_id = id != previous_id;
                let data = message.data().as_string().unwrap_or_default();
                let news = !own_id || is_news(live, &topic, &id);
                previous_id = id;
                if news && !apply(live, &topic, &data) {
                    fire(live, &topic);
                }
            }
            (_, Err(_)) => {}
        }
    }
}

/// Which event a subscription listens for.
#[derive(Clone, Copy)]
enum Kind {
    Open,
    Error,
    Resync,
    Topic,
}

/// Whether an event is news: it has no cursor of its topic, or a newer one than the tab
/// has (a replay after a reconnect may repeat what the tab already shows).
fn is_news(live: LiveContext, topic: &str, id: &str) -> bool {
    match id.split_once('@') {
        Some((of, cursor)) if of == topic => cursor
            .parse()
            .map_or(true, |cursor| live.advance(topic, cursor)),
        _ => true,
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

/// Marks `topic` as changed: resources keyed on it re-run.
fn fire(live: LiveContext, topic: &str) {
    live.topics
        .update(|topics| entry(topics, topic).version += 1);
}

/// Marks every topic in use as changed, after a gap in what the tab may have seen.
fn fire_all(live: LiveContext) {
    live.topics.update(|topics| {
        for topic in topics.iter_mut().filter(|topic| topic.users > 0) {
            topic.version += 1;
        }
    });
}

fn is_online() -> bool {
    web_sys::window().is_none_or(|window| window.navigator().on_line())
}

/// Exponential backoff from 0.5 s up to 30 s, with half of it random so that many tabs
/// don't come back in lockstep.
fn backoff_ms(failures: u32) -> u32 {
    let base = (500.0 * 2f64.powi(failures.min(16) as i32)).min(MAX_BACKOFF_MS);
    (base * (0.5 + js_sys::Math::random() / 2.0)) as u32
}
