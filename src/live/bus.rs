//! The event bus: publishers hand it an event after their write commits; every stream
//! subscribed to the event's topic receives it.
//!
//! [`InProcessBus`] serves a single server process; a bus shared by several instances
//! (Postgres `LISTEN/NOTIFY`) implements the same [`Bus`] trait.

use std::collections::HashMap;
use std::fmt::Write;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use tokio::sync::broadcast;

/// One event on one topic, with its SSE frames written once, when it is made. Cloning it
/// only counts references: every subscriber sends the very same bytes.
#[derive(Clone, Debug)]
pub struct LiveEvent {
    /// Which topic it belongs to, e.g. `room:lobby`.
    pub topic: Arc<str>,
    /// A cursor into the topic's history, if the event has one.
    pub id: Option<i64>,
    /// The frame on a stream dedicated to the topic: `event: <name>`, `id: <id>`, `data:`.
    pub topic_frame: Bytes,
    /// The frame on the multi-topic stream: `event: <topic>`, `id: <topic>@<id>`, `data:`.
    pub live_frame: Bytes,
}

impl LiveEvent {
    /// An event named `name` on `topic`, with cursor `id` and payload `data`.
    pub fn new(topic: &str, name: &str, id: Option<i64>, data: &str) -> Self {
        Self {
            topic: topic.into(),
            id,
            topic_frame: frame(name, id.map(|id| id.to_string()), data),
            live_frame: frame(topic, id.map(|id| format!("{topic}@{id}")), data),
        }
    }
}

/// An SSE frame; a payload with line breaks becomes several `data:` lines.
fn frame(event: &str, id: Option<String>, data: &str) -> Bytes {
    let mut frame = format!("event: {event}\n");
    if let Some(id) = id {
        let _ = writeln!(frame, "id: {id}");
    }
    for line in data.split('\n') {
        let _ = writeln!(frame, "data: {line}");
    }
    frame.push('\n');
    Bytes::from(frame)
}

/// Delivers events to the streams subscribed to their topic.
pub trait Bus: Send + Sync + 'static {
    /// Sends `event` to every current subscriber of its topic. Never blocks; a subscriber
    /// that has fallen too far behind sees `Lagged` and must resync.
    fn publish(&self, event: LiveEvent);

    /// Starts receiving the events published on `topic` from now on.
    fn subscribe(&self, topic: &str) -> broadcast::Receiver<LiveEvent>;
}

/// A bus inside one process: one broadcast channel per topic that has subscribers.
pub struct InProcessBus {
    channels: Mutex<HashMap<Arc<str>, broadcast::Sender<LiveEvent>>>,
    /// Events buffered per topic for a subscriber that is behind.
    capacity: usize,
}

impl InProcessBus {
    /// A bus that buffers up to `capacity` events per topic for slow subscribers.
    pub fn new(capacity: usize) -> Self {
        Self {
            channels: Mutex::default(),
            capacity,
        }
    }
}

impl Bus for InProcessBus {
    fn publish(&self, event: LiveEvent) {
        let mut channels = self.channels.lock().expect("bus lock poisoned");
        let Some(sender) = channels.get(&event.topic) else {
            return;
        };
        if sender.send(event.clone()).is_err() {
            // Nobody listens any more: forget the channel.
            channels.remove(&event.topic);
        }
    }

    fn subscribe(&self, topic: &str) -> broadcast::Receiver<LiveEvent> {
        let mut channels = self.channels.lock().expect("bus lock poisoned");
        channels
            .entry(Arc::from(topic))
            .or_insert_with(|| broadcast::channel(self.capacity).0)
            .subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(topic: &str, data: &str) -> LiveEvent {
        LiveEvent::new(topic, "message", None, data)
    }

    #[test]
    fn an_event_is_framed_once_for_each_kind_of_stream() {
        let event = LiveEvent::new("room:a", "message", Some(7), "{\"x\":1}");
        assert_eq!(
            &event.topic_frame[..],
            b"event: message\nid: 7\ndata: {\"x\":1}\n\n"
        );
        assert_eq!(
            &event.live_frame[..],
            b"event: room:a\nid: room:a@7\ndata: {\"x\":1}\n\n"
        );
        let two_lines = LiveEvent::new("t", "note", None, "a\nb");
        assert_eq!(
            &two_lines.topic_frame[..],
            b"event: note\ndata: a\ndata: b\n\n"
        );
    }

    #[tokio::test]
    async fn a_subscriber_receives_the_events_of_its_topic_only() {
        let bus = InProcessBus::new(8);
        let mut lobby = bus.subscribe("room:lobby");
        bus.publish(event("room:other", "no"));
        bus.publish(event("room:lobby", "yes"));
        assert!(
            lobby
                .recv()
                .await
                .unwrap()
                .topic_frame
                .ends_with(b"data: yes\n\n")
        );
        assert!(lobby.try_recv().is_err());
    }

    #[tokio::test]
    async fn a_subscriber_that_falls_behind_is_told_it_lagged() {
        let bus = InProcessBus::new(2);
        let mut slow = bus.subscribe("t");
        for n in 0..5 {
            bus.publish(event("t", &n.to_string()));
        }
        assert!(matches!(
            slow.recv().await,
            Err(broadcast::error::RecvError::Lagged(3))
        ));
    }

    #[test]
    fn a_topic_without_subscribers_keeps_no_channel() {
        let bus = InProcessBus::new(2);
        drop(bus.subscribe("t"));
        bus.publish(event("t", "x"));
        assert!(bus.channels.lock().unwrap().is_empty());
    }
}
