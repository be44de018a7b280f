//! The event bus: publishers hand it an event after their write commits; every stream
//! subscribed to the event's topic receives it.
//!
//! [`InProcessBus`] serves a single server process; a bus shared by several instances
//! (Postgres `LISTEN/NOTIFY`) implements the same [`Bus`] trait.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::broadcast;

/// One event on one topic. Cloning it is cheap: the payload is serialized once and shared.
#[derive(Clone, Debug)]
pub struct LiveEvent {
    /// Which topic it belongs to, e.g. `room:lobby`.
    pub topic: Arc<str>,
    /// The SSE `event:` name on streams dedicated to one topic, e.g. `message`.
    pub name: &'static str,
    /// The SSE `id:` — a cursor into the topic's history — if the event has one.
    pub id: Option<i64>,
    /// The payload: one line of JSON.
    pub data: Arc<str>,
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
        LiveEvent {
            topic: topic.into(),
            name: "message",
            id: None,
            data: data.into(),
        }
    }

    #[tokio::test]
    async fn a_subscriber_receives_the_events_of_its_topic_only() {
        let bus = InProcessBus::new(8);
        let mut lobby = bus.subscribe("room:lobby");
        bus.publish(event("room:other", "no"));
        bus.publish(event("room:lobby", "yes"));
        assert_eq!(&*lobby.recv().await.unwrap().data, "yes");
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
