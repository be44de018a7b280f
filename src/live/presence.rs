//! Presence: who has a topic open right now, read off the open streams themselves.
//!
//! While a stream carries a tracked topic it holds a [`Here`] for it. A signed-in person
//! counts once however many streams (tabs) they hold; signed-out readers count once per
//! client address. A stream's leave takes effect only after a grace period, so a reload or
//! a brief reconnect (a new stream opens before the old one's leave is due) changes nothing.
//!
//! Changes are published on the topic itself as [`PRESENCE_EVENT`] events carrying the
//! whole set (`{"users":[…],"anonymous":n}`), with no cursor: never stored, replayed or
//! moving `Last-Event-ID`. A burst of joins and leaves is coalesced into at most one event
//! per [`COALESCE`] per topic, so a thousand readers arriving cost a handful of events, not
//! a thousand. A new stream gets the set first, then the changes.
//!
//! # Across instances
//! Each instance knows only its own streams. To merge them, each instance publishes its
//! own set of a topic on the shared bus (tagged with its instance id) whenever it changes,
//! and again every heartbeat (say 10 s). Every instance keeps the latest set heard from
//! each instance, forgets one not refreshed within three heartbeats (an instance that
//! died), and answers — and publishes to its streams — the union: users united, anonymous
//! counts summed. Grace periods stay where the streams are, so a reload that lands on
//! another instance can flap for one heartbeat at most.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use tokio::time::Instant;

use super::bus::Bus;
use super::event::LiveEvent;
use super::state::Subscriber;

/// The name of the events that say who is here.
pub const PRESENCE_EVENT: &str = "presence";
/// The shortest time between two presence events of one topic.
pub const COALESCE: Duration = Duration::from_millis(200);

/// Who has a topic open: what the API answers and each presence event carries.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Present {
    /// Signed-in readers' usernames, in order.
    pub users: Vec<String>,
    /// Signed-out readers (one per client address).
    pub anonymous: u32,
}

/// Who is on which tracked topic, for one server; cheap to clone.
#[derive(Clone)]
pub struct Presence(Arc<Inner>);

struct Inner {
    bus: Arc<dyn Bus>,
    grace: Duration,
    tracks: fn(&str) -> bool,
    topics: Mutex<HashMap<Arc<str>, Topic>>,
}

/// One reader as presence counts them.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Reader {
    User(Arc<str>),
    Anonymous(IpAddr),
}

#[derive(Default)]
struct Topic {
    /// Each reader with how many of their streams are here (or leaving, within grace).
    streams: HashMap<Reader, usize>,
    /// What the last presence event said.
    published: Present,
    flush_due: bool,
    /// Whether someone joined who waits for the due event to learn who is here.
    newcomers: bool,
    last_flush: Option<Instant>,
}

impl Topic {
    fn present(&self) -> Present {
        let mut present = Present::default();
        for reader in self.streams.keys() {
            match reader {
                Reader::User(name) => present.users.push(name.to_string()),
                Reader::Anonymous(_) => present.anonymous += 1,
            }
        }
        present.users.sort_unstable();
        present
    }
}

impl Presence {
    /// Presence on the topics `tracks` picks, published on `bus`, a leave counting `grace`
    /// after its stream ends.
    pub fn new(bus: Arc<dyn Bus>, grace: Duration, tracks: fn(&str) -> bool) -> Self {
        Self(Arc::new(Inner {
            bus,
            grace,
            tracks,
            topics: Mutex::default(),
        }))
    }

    /// Who is on `topic` now.
    pub fn of(&self, topic: &str) -> Present {
        self.lock()
            .get(topic)
            .map(Topic::present)
            .unwrap_or_default()
    }

    /// How many readers are on `topic` now (signed in or not), without listing them.
    pub fn count(&self, topic: &str) -> u32 {
        self.lock()
            .get(topic)
            .map_or(0, |topic| topic.streams.len() as u32)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Arc<str>, Topic>> {
        self.0.topics.lock().expect("presence lock poisoned")
    }

    /// Counts `subscriber` on `topic` while the returned [`Here`] lives. Their stream,
    /// subscribed to the topic already, hears who is here (themselves included) from the
    /// topic's next presence event if one is due, or else from the event answered here;
    /// `None` for a topic that is not tracked.
    pub(super) fn join(
        &self,
        topic: &str,
        subscriber: &Subscriber,
    ) -> Option<(Here, Option<LiveEvent>)> {
        if !(self.0.tracks)(topic) {
            return None;
        }
        let reader = match &subscriber.who {
            Some(name) => Reader::User(Arc::clone(name)),
            None => Reader::Anonymous(subscriber.addr),
        };
        let mut topics = self.lock();
        let name: Arc<str> = topics
            .get_key_value(topic)
            .map_or_else(|| topic.into(), |(name, _)| Arc::clone(name));
        let entry = topics.entry(Arc::clone(&name)).or_default();
        let streams = entry.streams.entry(reader.clone()).or_default();
        *streams += 1;
        if *streams == 1 {
            self.changed(&name, entry);
        }
        // The event due is sent even if it turns out to be no news: the newcomer needs it.
        let now = match entry.flush_due {
            true => {
                entry.newcomers = true;
                None
            }
            false => Some(presence_event(&name, &entry.present())),
        };
        let here = Here {
            presence: self.clone(),
            topic: name,
            reader: Some(reader),
        };
        Some((here, now))
    }

    /// One of `reader`'s streams of `topic` has gone (and its grace is over).
    fn leave(&self, topic: &Arc<str>, reader: &Reader) {
        let mut topics = self.lock();
        let Some(entry) = topics.get_mut(topic) else {
            return;
        };
        if let Some(streams) = entry.streams.get_mut(reader) {
            *streams -= 1;
            if *streams == 0 {
                entry.streams.remove(reader);
                self.changed(topic, entry);
            }
        }
    }

    /// Schedules the topic's next presence event, unless one is due already.
    fn changed(&self, name: &Arc<str>, topic: &mut Topic) {
        if std::mem::replace(&mut topic.flush_due, true) {
            return;
        }
        let due = topic
            .last_flush
            .map_or_else(Instant::now, |last| last + COALESCE);
        let (presence, name) = (self.clone(), Arc::clone(name));
        tokio::spawn(async move {
            tokio::time::sleep_until(due).await;
            presence.flush(&name);
        });
    }

    /// Publishes who is on `name` now, if that is news; forgets a topic nobody is on.
    fn flush(&self, name: &Arc<str>) {
        let event = {
            let mut topics = self.lock();
            let Some(topic) = topics.get_mut(name) else {
                return;
            };
            topic.flush_due = false;
            topic.last_flush = Some(Instant::now());
            let present = topic.present();
            let news = present != topic.published || std::mem::take(&mut topic.newcomers);
            let event = news.then(|| presence_event(name, &present));
            topic.published = present;
            if topic.streams.is_empty() {
                topics.remove(name);
            }
            event
        };
        if let Some(event) = event {
            self.0.bus.publish(event);
        }
    }
}

/// A stream's place in a topic's presence: dropped when the stream stops carrying the topic,
/// it leaves after the grace period.
pub(super) struct Here {
    presence: Presence,
    topic: Arc<str>,
    reader: Option<Reader>,
}

impl Drop for Here {
    fn drop(&mut self) {
        let (presence, topic) = (self.presence.clone(), Arc::clone(&self.topic));
        let reader = self.reader.take().expect("a stream leaves once");
        let grace = presence.0.grace;
        // Without a runtime (the server is gone) there is nobody left to tell.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                tokio::time::sleep(grace).await;
                presence.leave(&topic, &reader);
            });
        }
    }
}

fn presence_event(topic: &str, present: &Present) -> LiveEvent {
    let data = serde_json::to_string(present).expect("presence serializes");
    LiveEvent::new(topic, PRESENCE_EVENT, None, &data)
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use futures::{FutureExt, StreamExt};

    use super::*;
    use crate::live::bus::InProcessBus;

    fn subscriber(who: Option<&str>, last_octet: u8) -> Subscriber {
        Subscriber {
            who: who.map(Arc::from),
            addr: IpAddr::V4(Ipv4Addr::new(127, 0, 0, last_octet)),
        }
    }

    fn rooms(topic: &str) -> bool {
        topic.starts_with("room:")
    }

    #[tokio::test(start_paused = true)]
    async fn a_person_counts_once_and_signed_out_readers_once_per_address() {
        let bus = Arc::new(InProcessBus::new(8));
        let presence = Presence::new(bus, Duration::from_secs(10), rooms);
        let ada = subscriber(Some("ada"), 1);
        let _tabs: Vec<_> = (0..3).map(|_| presence.join("room:a", &ada)).collect();
        let _anonymous = [
            presence.join("room:a", &subscriber(None, 2)),
            presence.join("room:a", &subscriber(None, 2)),
            presence.join("room:a", &subscriber(None, 3)),
        ];
        let present = presence.of("room:a");
        assert_eq!(present.users, ["ada"]);
        assert_eq!(present.anonymous, 2);
        assert_eq!(presence.count("room:a"), 3, "ada and two addresses");
        assert!(presence.join("rooms", &ada).is_none());
    }

    #[tokio::test(start_paused = true)]
    async fn a_leave_counts_after_the_grace_period_and_a_return_within_it_is_no_change() {
        let bus = Arc::new(InProcessBus::new(8));
        let mut events = bus.subscribe("room:a");
        let presence = Presence::new(bus, Duration::from_secs(10), rooms);
        let ada = subscriber(Some("ada"), 1);
        let first = presence.join("room:a", &ada);
        let joined = events.next().await.unwrap().unwrap();
        assert_eq!(&*joined.data, r#"{"users":["ada"],"anonymous":0}"#);
        drop(first);
        tokio::time::sleep(Duration::from_secs(5)).await;
        let again = presence.join("room:a", &ada);
        tokio::time::sleep(Duration::from_secs(20)).await;
        assert_eq!(presence.of("room:a").users, ["ada"]);
        assert!(
            events.next().now_or_never().is_none(),
            "no leave, no second join"
        );
        drop(again);
        let left = events.next().await.unwrap().unwrap();
        assert_eq!(&*left.data, r#"{"users":[],"anonymous":0}"#);
        assert!(left.id.is_none());
    }
}
