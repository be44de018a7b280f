//! The tab that holds the browser's stream: one `EventSource` for the union of the topics
//! every tab wants (one per [`MAX_TOPICS`] of them), resumed from the oldest cursor any of
//! those tabs has, rebuilt when the union changes, the network comes back, or the browser
//! gives up on it. It hands each event to its own page and passes it on to the others.
//! Without sharing (see `tabs.rs`) every tab leads itself alone.
//!
//! What it keeps count of — which topics the streams are for (`wants.rs`), where they
//! resume each and what may have missed events (`streams.rs`) — is plain bookkeeping that
//! native tests reach; this file does what that bookkeeping decides, in the browser.

use std::cell::RefCell;
use std::rc::Rc;
use std::task::Poll;

use futures::future::poll_fn;
use futures::stream::StreamExt;
use gloo_net::eventsource::State;
use gloo_net::eventsource::futures::EventSource;
use leptos::ev;
use leptos::prelude::*;
use leptos::task::spawn_local_scoped_with_cancellation;
use wasm_bindgen::JsCast;

use super::connection::{catch_up, cursor_of, deliver, fire_all, is_online};
use super::hooks::{LiveContext, LiveStatus};
use super::streams::Streams;
use super::tabs::{Channel, Message};
use super::wants::{self, Next, Tab, Wants};
use super::{MAX_TOPICS, RESYNC_EVENT, STREAM_PATH};

/// Longest wait between attempts to rebuild a stream the browser gave up on.
const MAX_BACKOFF_MS: f64 = 30_000.0;
/// How long a new set of topics waits for more before connecting: the tabs' answers to a
/// new leader's `hello` arrive within it, so a take-over costs one connection.
const SETTLE_MS: u32 = 20;
/// How long topics no tab wants any more stay on the streams: a tab that navigates leaves
/// and comes back wanting something else within it, one reconnect.
const SHRINK_MS: u64 = 1_000;
/// How often the leader looks for tabs that went without saying so (crashed, discarded).
const PRUNE_MS: u64 = 10_000;

pub(super) struct Leader {
    live: LiveContext,
    tab: Tab,
    channel: Option<Rc<Channel>>,
    /// What the streams are for.
    wants: RefCell<Wants>,
    /// What they are asked for and carry.
    streams: RefCell<Streams>,
    /// Bumped to rebuild the streams: the union changed, or the network came back.
    rebuild: RwSignal<u32>,
}

impl Leader {
    /// Leads from now on: connects for the union of every tab's wants. `took_over` when
    /// another tab led before (its streams' last events may not have reached every tab).
    pub(super) fn start(
        live: LiveContext,
        tab: Tab,
        channel: Option<Rc<Channel>>,
        took_over: bool,
    ) -> Rc<Self> {
        let leader = Rc::new(Self {
            live,
            tab,
            channel,
            wants: RefCell::default(),
            streams: RefCell::new(Streams::new(took_over)),
            rebuild: RwSignal::new(0),
        });
        if took_over {
            leader.set_status(LiveStatus::Reconnecting);
        }
        leader.post(&Message::Hello);
        if let Some(channel) = &leader.channel {
            let (this, channel) = (Rc::downgrade(&leader), Rc::clone(channel));
            let prune = set_interval_with_handle(
                move || {
                    if let Some(this) = this.upgrade() {
                        channel.open_tabs(move |open| {
                            let next = this.wants.borrow_mut().keep(this.tab, &open);
                            this.carry_out(next);
                        });
                    }
                },
                std::time::Duration::from_millis(PRUNE_MS),
            );
            on_cleanup(move || prune.into_iter().for_each(|prune| prune.clear()));
        }
        let rebuild = leader.rebuild;
        let online = window_event_listener(ev::online, move |_| rebuild.update(|n| *n += 1));
        on_cleanup(move || online.remove());
        let this = Rc::clone(&leader);
        Effect::new(move |_| {
            rebuild.track();
            // The streams before are cancelled now: one set of streams at a time.
            let topics = this.wants.borrow().union().to_vec();
            this.streams.borrow_mut().rebuild(&topics);
            // Untracked, so that nothing the streams read rebuilds them. Cancelled when the
            // effect runs again.
            untrack(|| {
                for topics in topics.chunks(MAX_TOPICS) {
                    let this = Rc::clone(&this);
                    spawn_local_scoped_with_cancellation(hold(this, topics.to_vec()));
                }
            });
        });
        leader
    }

    /// `tab` now wants `topics` (each with its newest cursor). A topic a stream was asked
    /// for from further on than the tab has is asked for again from the tab's cursor, so
    /// that the tab gets what it missed as a replay (the others drop what they have).
    pub(super) fn want(self: &Rc<Self>, tab: Tab, topics: Vec<(String, Option<i64>)>) {
        let behind = self.streams.borrow_mut().want(&topics);
        let names = topics.into_iter().map(|(topic, _)| topic).collect();
        let next = self.wants.borrow_mut().want(tab, names);
        // A new tab learns the state of the connection it now shares.
        self.post(&Message::Status(self.live.status.get_untracked()));
        self.carry_out(next);
        if behind {
            self.rebuild.update(|n| *n += 1);
        }
    }

    /// `tab` has gone.
    pub(super) fn leave(self: &Rc<Self>, tab: Tab) {
        let next = self.wants.borrow_mut().leave(tab);
        self.carry_out(next);
    }

    /// Does what a change to the wants asks for: rebuilds the streams at once, or checks
    /// again after [`SHRINK_MS`] for topics no tab wants.
    fn carry_out(self: &Rc<Self>, next: Next) {
        match next {
            Next::Nothing => {}
            Next::Rebuild => self.rebuild.update(|n| *n += 1),
            Next::ShrinkLater => {
                let this = Rc::clone(self);
                set_timeout(
                    move || {
                        let next = this.wants.borrow_mut().shrink();
                        this.carry_out(next);
                    },
                    std::time::Duration::from_millis(SHRINK_MS),
                );
            }
        }
    }

    /// A stream of `topics` opened; `after_gap` when it follows one that dropped.
    fn opened(&self, topics: &[String], after_gap: bool) {
        let gap = self.streams.borrow_mut().opened(topics, after_gap);
        self.set_status(LiveStatus::Live);
        catch_up(self.live, &gap);
        self.post(&Message::Open(gap));
    }

    /// An event of `topic`: to this page and to the others.
    fn deliver(&self, topic: &str, id: Option<&str>, data: &str) {
        if let Some(cursor) = id.and_then(|id| cursor_of(topic, id)) {
            self.streams.borrow_mut().delivered(topic, cursor);
        }
        deliver(self.live, topic, id, data);
        self.post(&Message::Event {
            topic: topic.to_owned(),
            id: id.map(str::to_owned),
            data: data.to_owned(),
        });
    }

    /// A resync; one that says the person lost access to a topic (`{"revoked":"room:a"}`)
    /// leaves the topic out of the streams from now on.
    fn resync(self: &Rc<Self>, data: &str) {
        if let Some(topic) = wants::revoked(data) {
            self.refuse(topic);
        }
        fire_all(self.live);
        self.post(&Message::Resync);
    }

    /// Leaves `topic` out of the streams while a tab wants it: the server refuses it.
    fn refuse(self: &Rc<Self>, topic: &str) {
        let next = self.wants.borrow_mut().refuse(topic);
        self.carry_out(next);
    }

    fn set_status(&self, status: LiveStatus) {
        self.live.status.set(status);
        self.post(&Message::Status(status));
    }

    fn post(&self, message: &Message) {
        if let Some(channel) = &self.channel {
            channel.post(message);
        }
    }
}

/// Holds one stream for `topics` until cancelled, rebuilding it with backoff whenever the
/// browser closes it.
async fn hold(leader: Rc<Leader>, topics: Vec<String>) {
    gloo_timers::future::TimeoutFuture::new(SETTLE_MS).await;
    let (leader, topics) = (&leader, &topics[..]);
    let mut failures = 0;
    // After a drop or a take-over, topics without cursors may have missed something.
    let mut opened_before = leader.streams.borrow().took_over();
    loop {
        let opened = listen(leader, topics, &mut opened_before, &mut failures).await;
        leader.streams.borrow_mut().dropped(topics);
        // Refused as a whole before it opened: some tab may want a topic this person may no
        // longer read (its revocation came while no stream carried it). Ask for each topic
        // alone, and leave out the refused (which rebuilds the streams, ending this).
        if !opened && topics.len() > 1 {
            for topic in topics {
                if matches!(status_of(topic).await, Some(403 | 404)) {
                    leader.refuse(topic);
                }
            }
        }
        leader.set_status(if is_online() {
            LiveStatus::Reconnecting
        } else {
            LiveStatus::Offline
        });
        gloo_timers::future::TimeoutFuture::new(backoff_ms(failures)).await;
        failures += 1;
    }
}

/// The status the server answers a stream of `topic` alone with; the stream is closed as
/// soon as the answer's head arrives.
async fn status_of(topic: &str) -> Option<u16> {
    let controller = web_sys::AbortController::new().ok()?;
    let init = web_sys::RequestInit::new();
    init.set_signal(Some(&controller.signal()));
    let url = format!("{STREAM_PATH}?topic={topic}");
    let answer = web_sys::window()?.fetch_with_str_and_init(&url, &init);
    let answer = wasm_bindgen_futures::JsFuture::from(answer).await.ok()?;
    controller.abort();
    Some(answer.unchecked_into::<web_sys::Response>().status())
}

/// Runs one `EventSource` until the browser gives up on it for good; whether it opened.
async fn listen(
    leader: &Rc<Leader>,
    topics: &[String],
    opened_before: &mut bool,
    failures: &mut u32,
) -> bool {
    let mut opened = false;
    let url = leader.streams.borrow_mut().url(topics);
    let Ok(mut source) = EventSource::new(&url) else {
        return opened;
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
            return opened;
        };
        subscriptions.push((kind, subscription));
    }

    // The browser's last event id before the current event: an event without an id of its
    // own (presence, typing, "read") repeats it.
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
            return opened;
        };
        match (kind, item) {
            (Kind::Open, Ok(_)) => {
                opened = true;
                leader.opened(topics, *opened_before);
                *opened_before = true;
                *failures = 0;
            }
            // `open` and `error` arrive as plain events; every subscription also reports
            // the source closing as an error, which the `error` one stands for.
            (Kind::Error, _) => match source.state() {
                State::Connecting if is_online() => leader.set_status(LiveStatus::Reconnecting),
                State::Connecting => leader.set_status(LiveStatus::Offline),
                State::Closed => return opened,
                State::Open => {}
            },
            (Kind::Resync, Ok((_, message))) => {
                leader.resync(&message.data().as_string().unwrap_or_default());
            }
            (Kind::Topic, Ok((topic, message))) => {
                let id = message.last_event_id();
                let data = message.data().as_string().unwrap_or_default();
                let own_id = (id != previous_id).then_some(id.as_str());
                leader.deliver(&topic, own_id, &data);
                previous_id = id;
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

/// Exponential backoff from 0.5 s up to 30 s, with half of it random so that many tabs
/// don't come back in lockstep.
fn backoff_ms(failures: u32) -> u32 {
    let base = (500.0 * 2f64.powi(failures.min(16) as i32)).min(MAX_BACKOFF_MS);
    (base * (0.5 + js_sys::Math::random() / 2.0)) as u32
}
