//! Live resources: the Rust counterpart of Remix's `useLiveLoader`.
//!
//! A component says "this data depends on topic X"; when the server publishes on X, every
//! browser showing that component re-runs the resource. The crate knows nothing of any app:
//! topics are plain strings chosen by the feature that uses them.
//!
//! # API
//! - [`provide_live`] once, near the root of the app, for server renders.
//! - [`use_live`]`(|| topic)` in a component (in the browser: an island) returns a
//!   [`LiveTopic`]. Its `version()` changes each time the topic fires; re-read the data when
//!   it does, e.g. key a `Resource` on it: `Resource::new(move || (slug(), topic.version()), …)`.
//! - [`LiveTopic::seen`]`(cursor)` says what the page already shows, so the stream resumes
//!   after it (closing the gap between server render and subscribe).
//! - [`LiveTopic::apply`]`(|payload| …)` takes new events' payloads directly, without a
//!   re-run; the version then changes only for a payload no component took, or when
//!   something may have been missed. Several components may apply one topic.
//! - [`LiveTopic::refetch`]`(|| async { … })` re-reads after each change, one run at a time:
//!   a burst of changes costs one run in flight plus one after it.
//! - [`LiveIndicator`] shows whether the connection is live, reconnecting or offline;
//!   [`use_live_status`] says it to an island.
//! - On the server: build one [`LiveState`] with [`LiveState::builder`] from a [`Bus`] and
//!   a [`Gate`] (who may subscribe to what), adding a [`History`] (for topics whose events
//!   carry cursors), stream caps ([`StreamLimits`]) and a shutdown signal as needed; publish
//!   a [`LiveEvent`] on the bus after the write commits — to everyone, `only_for` some
//!   users, or as a `revoke` that ends a topic for someone who lost access; serve the stream
//!   at [`STREAM_PATH`] with [`LiveState::router`], or open it yourself with
//!   [`LiveState::open_live`] (and, for fewer bytes per subscriber, put
//!   [`direct::DirectListener`] in front of the HTTP server). A stream that can't be opened
//!   is a [`Refusal`] (the request's, the gate's or the caps'), answered in its default
//!   words or the app's own, with the status the protocol below gives it.
//! - Presence comes with the streams: give `LiveState` a [`Presence`] that tracks some
//!   topics, and each stream of one counts its subscriber as here (see `presence.rs`, also
//!   for merging presence across instances); ask it `of(topic)` for the set.
//!
//! # Server-side rendering and islands
//! During SSR nothing connects: versions are `0` and the status is `Connecting`. In the
//! browser all islands of a page share one context per tab, made when the first one asks;
//! the tab's share of the connection starts then, for the topics every island has
//! registered.
//!
//! # One connection per browser
//! Browsers allow six HTTP/1.1 connections per host across all tabs, so the tabs of a
//! browser share one stream: one tab leads and holds it for the union of every tab's
//! topics, and hands each event to the others over a `BroadcastChannel`; when it closes,
//! navigates or crashes, another takes over and resumes every topic from the oldest cursor
//! any tab has (`tabs.rs` says how, and why Web Locks). Components can't tell: `use_live`
//! and the indicator work alike in every tab. [`LiveIndicator`]'s `scope` keeps the tabs of
//! different sign-ins apart. Where the browser can't share, each tab holds its own stream.

//! # Protocol
//! A browser holds ONE `EventSource` (up to [`MAX_TOPICS`] topics each), for the topics its
//! tabs' pages need:
//!
//! ```text
//! GET /live?topic=room:lobby&topic=rooms
//! 200  Content-Type: text/event-stream   Cache-Control: no-cache   X-Accel-Buffering: no
//!
//! retry: 1000
//!
//! event: room:lobby          ← the SSE event name is the topic
//! id: room:lobby@42          ← topic@cursor, for events that have a cursor
//! data: {"kind":"message",…} ← the publisher's payload, one line of JSON, with the
//!                               event's name (`message` on the topic's own stream) as
//!                               its first field
//!
//! : keep-alive               ← a comment after 10 s of silence
//!
//! event: resync              ← something may have been missed: re-run every live resource
//! data: {}
//!
//! event: resync              ← the same, because the subscriber lost access to a topic:
//! data: {"revoked":"room:a"}    the stream carries it no more, and a client stops asking
//!
//! event: room:lobby          ← on a topic that tracks presence: who is here, first thing
//! data: {"kind":"presence","users":["ada"],"anonymous":2}   and whenever it changes; no id
//! ```
//!
//! Topics match `[a-z0-9:_-]{1,64}`; a request may carry up to 16 of them, otherwise `400`.
//! The app's gate admits each topic before anything is subscribed, read, sent or replayed
//! (a refused topic refuses the whole stream: `404` for a topic whose existence must not
//! leak or that no feature has, `403`); each client address may open streams at a limited
//! rate (`429` with `Retry-After`) and hold a capped number (`429`), the server a capped
//! total (`503`). A topic is kept on the bus only while some stream carries it. A stream
//! opened with a session ends when the session does (signed out anywhere, or expired), and
//! sends nothing after that. An event may be meant for some subscribers only: the others never see it. When
//! someone loses access to a topic, their streams get `resync` and stop carrying it.
//! A stream asked for on a new connection is served by [`direct`], off the HTTP stack: its
//! response also says `Connection: close`, and the body ends when the connection does.
//!
//! **Resuming.** Events with a cursor are commit-ordered within their topic: whoever has seen
//! cursor N of a topic has seen all of it up to N. A topic asked for as `topic=room:lobby@42`
//! (or named in the `Last-Event-ID` the browser sends when it reconnects) first gets every
//! event after 42, read back from storage through [`replay::History`], then live events, none
//! twice. A cursor that is unknown or more than [`replay::MAX_REPLAY`] events behind, and a
//! subscriber that falls behind the bus, get `resync` instead — never a silent gap.
//! When a tab needs a topic the stream doesn't carry, the leader reconnects with the new set
//! (cursors kept); topics without cursors that it carried before re-run, since they may have
//! missed something meanwhile. After a drop or a take-over every tab re-runs every live
//! resource. If the browser gives up on the stream for good (a non-200
//! answer, a wrong content type), the client rebuilds it with jittered exponential backoff.

#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "ssr")]
mod bus;
#[cfg(feature = "ssr")]
mod caps;
#[cfg(feature = "hydrate")]
mod connection;
#[cfg(feature = "ssr")]
pub mod direct;
#[cfg(feature = "ssr")]
mod event;
#[cfg(feature = "ssr")]
mod gate;
mod hooks;
mod indicator;
#[cfg(feature = "hydrate")]
mod leader;
#[cfg(feature = "postgres")]
mod postgres_bus;
#[cfg(feature = "ssr")]
mod presence;
#[cfg(feature = "ssr")]
mod rate;
#[cfg(feature = "ssr")]
mod refusal;
#[cfg(feature = "ssr")]
mod replay;
#[cfg(feature = "ssr")]
mod router;
#[cfg(feature = "ssr")]
mod sessions;
#[cfg(feature = "ssr")]
mod sse;
#[cfg(feature = "ssr")]
mod state;
// The leader tab's bookkeeping: the browser's, compiled for native tests too.
#[cfg(any(feature = "hydrate", test))]
mod streams;
#[cfg(feature = "hydrate")]
mod tabs;
#[cfg(any(feature = "hydrate", test))]
mod wants;

#[cfg(feature = "ssr")]
pub use bus::{Bus, InProcessBus, Lagged, Subscription, Watcher};
#[cfg(feature = "ssr")]
pub use caps::StreamLimits;
#[cfg(feature = "ssr")]
pub use event::{EventData, LiveEvent};
#[cfg(feature = "ssr")]
pub use gate::Gate;
#[cfg(feature = "postgres")]
pub use postgres_bus::PostgresBus;
#[cfg(feature = "ssr")]
pub use presence::{PRESENCE_EVENT, Presence, Present};
#[cfg(feature = "ssr")]
pub use rate::{Rate, TokenBuckets};
#[cfg(feature = "ssr")]
pub use refusal::Refusal;
#[cfg(feature = "ssr")]
pub use replay::{History, MAX_REPLAY};
#[cfg(feature = "ssr")]
pub use sessions::{Session, SessionStreams};
#[cfg(feature = "ssr")]
pub use sse::{Body, Closing, Frame, last_event_id, respond};
#[cfg(feature = "ssr")]
pub use state::{LiveState, Subscriber};

#[cfg(feature = "hydrate")]
pub use hooks::for_the_tab;
pub use hooks::{LiveStatus, LiveTopic, provide_live, use_live, use_live_status};
pub use indicator::LiveIndicator;

/// Where the multi-topic stream is served.
pub const STREAM_PATH: &str = "/live";
/// The most topics one connection may carry.
pub const MAX_TOPICS: usize = 16;
/// The event name that tells clients to re-run everything.
pub const RESYNC_EVENT: &str = "resync";
/// The name of the event that takes a topic from someone who lost access to it; on the
/// multi-topic stream, the field of the `resync` that says which topic it ended.
pub const REVOKED_EVENT: &str = "revoked";

/// Whether `topic` is a well-formed topic name: `[a-z0-9:_-]{1,64}`.
pub fn is_valid_topic(topic: &str) -> bool {
    (1..=64).contains(&topic.len())
        && topic
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b":_-".contains(&b))
        && topic != RESYNC_EVENT
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_are_short_lowercase_names_with_colons_hyphens_and_underscores() {
        assert!(is_valid_topic("room:lobby-2"));
        assert!(is_valid_topic("rooms"));
        assert!(!is_valid_topic(""));
        assert!(!is_valid_topic("Room"));
        assert!(!is_valid_topic("a b"));
        assert!(!is_valid_topic(&"a".repeat(65)));
    }

    #[test]
    fn the_resync_event_name_cannot_be_a_topic() {
        assert!(!is_valid_topic(RESYNC_EVENT));
    }
}
