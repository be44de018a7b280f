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
//! Each instance knows only its own streams. Built with [`Presence::across`], instances
//! merge what they know (see `presence/shared.rs`): each answers, and publishes to its
//! streams, the union of every instance's readers. Grace periods stay where the streams
//! are, so a reload that lands on another instance shows no leave either.

mod shared;

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use self::shared::{HEARTBEAT, Others};
use super::bus::Bus;
use super::event::LiveEvent;
use super::state::Subscriber;

/// The name of the events that say who is here.
pub const PRESENCE_EVENT: &str = "presence";
/// The shortest time between two presence events of one topic.
pub const COALESCE: Duration = Duration::from_millis(200);

/// Who has a topic open: what the API answers and each presence event carries.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
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
    /// The other instances' readers, when there are other instances.
    others: Option<Others>,
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
    /// What the other instances were last told of this instance's readers.
    told: Present,
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
            others: None,
        }))
    }

    /// Presence as [`Self::new`] makes it, publishing on this instance's own bus `local`,
    /// merged with that of the other instances through `shared`, the bus they all share.
    pub fn across(
        local: Arc<dyn Bus>,
        shared: Arc<dyn Bus>,
        grace: Duration,
        tracks: fn(&str) -> bool,
    ) -> Self {
        let presence = Self(Arc::new(Inner {
            bus: local,
            grace,
            tracks,
            topics: Mutex::default(),
            others: Some(Others::new(shared)),
        }));
        presence.share();
        presence
    }

    /// Who is on `topic` now.
    pub fn of(&self, topic: &str) -> Present {
        let here = self.lock().get(topic).map(Topic::present);
        self.with_others(topic, here.unwrap_or_default())
    }

    /// How many readers are on `topic` now (signed in or not), without listing them.
    pub fn count(&self, topic: &str) -> u32 {
        if self.0.others.is_some() {
            let present = self.of(topic);
            return present.users.len() as u32 + present.anonymous;
        }
        self.lock()
            .get(topic)
            .map_or(0, |topic| topic.streams.len() as u32)
    }

    /// `here`, with the other instances' readers of `topic` if there are other instances.
    fn with_others(&self, topic: &str, here: Present) -> Present {
        match &self.0.others {
            Some(others) => others.with_others(topic, here),
            None => here,
        }
    }

    /// While this presence lives and the bus is open: keeps the other instances' sets as they come, and every
    /// heartbeat tells them this one's again and forgets those that fell silent.
    fn share(&self) {
        let Some(others) = &self.0.others else {
            return;
        };
        let mut heard = others.subscribe();
        let presence = Arc::downgrade(&self.0);
        tokio::spawn(async move {
            let mut heartbeat = tokio::time::interval(HEARTBEAT);
            loop {
                let heard = tokio::select! {
                    heard = heard.next() => match heard {
                        Some(heard) => heard.ok(),
                        // The bus closed: the server is shutting down.
                        None => return,
                    },
                    _ = heartbeat.tick() => None,
                };
                let Some(presence) = presence.upgrade().map(Presence) else {
                    return;
                };
                let others = presence.0.others.as_ref().expect("shared presence");
                let changed = match heard {
                    Some(event) => others.heard(&event).into_iter().collect(),
                    None => {
                        let sets: Vec<_> = (presence.lock().iter())
                            .map(|(name, topic)| (Arc::clone(name), topic.present()))
                            .collect();
                        for (name, present) in sets {
                            others.tell(&name, &present);
                        }
                        others.forget_silent()
                    }
                };
                for name in changed {
                    presence.touch(&name);
                }
            }
        });
    }

    /// Schedules a presence event for `name` if anyone here reads it.
    fn touch(&self, name: &Arc<str>) {
        if let Some(topic) = self.lock().get_mut(name) {
            self.changed(name, topic);
        }
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
            false => Some(self.with_others(&name, entry.present()).event(&name)),
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

    /// Publishes who is on `name` now, if that is news, and tells the other instances of a
    /// change in who is here; forgets a topic nobody here is on.
    fn flush(&self, name: &Arc<str>) {
        let (event, told) = {
            let mut topics = self.lock();
            let Some(topic) = topics.get_mut(name) else {
                return;
            };
            topic.flush_due = false;
            topic.last_flush = Some(Instant::now());
            let here = topic.present();
            let told = (self.0.others.is_some() && here != topic.told).then(|| here.clone());
            if let Some(told) = &told {
                topic.told = told.clone();
            }
            let present = self.with_others(name, here);
            let news = present != topic.published || std::mem::take(&mut topic.newcomers);
            let event = news.then(|| present.event(name));
            topic.published = present;
            if topic.streams.is_empty() {
                topics.remove(name);
            }
            (event, told)
        };
        if let (Some(others), Some(told)) = (&self.0.others, told) {
            others.tell(name, &told);
        }
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

impl Present {
    /// The event that says so on `topic`: [`PRESENCE_EVENT`], with no cursor.
    pub fn event(&self, topic: &str) -> LiveEvent {
        let data = serde_json::to_string(self).expect("presence serializes");
        LiveEvent::new(topic, PRESENCE_EVENT, None, &data)
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use futures::{FutureExt, StreamExt};

    use super::*;
    use crate::bus::InProcessBus;

    fn subscriber(who: Option<&str>, last_octet: u8) -> Subscriber {
        Subscriber {
            who: who.map(Arc::from),
            session: None,
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

    #[tokio::test(start_paused = true)]
    async fn instances_that_share_a_bus_count_each_reader_once() {
        let shared: Arc<dyn Bus> = Arc::new(InProcessBus::new(64));
        let instance = || {
            let local = Arc::new(InProcessBus::new(8));
            let presence = Presence::across(local.clone(), shared.clone(), Duration::ZERO, rooms);
            (local, presence)
        };
        let ((a_bus, a), (_, b)) = (instance(), instance());
        let mut on_a = a_bus.subscribe("room:x");
        let _ada_on_a = a.join("room:x", &subscriber(Some("ada"), 1));
        let _ada_on_b = b.join("room:x", &subscriber(Some("ada"), 2));
        let bob_on_b = b.join("room:x", &subscriber(Some("bob"), 3));
        let both = r#"{"users":["ada","bob"],"anonymous":0}"#;
        while &*on_a.next().await.unwrap().unwrap().data != both {}
        assert_eq!(a.count("room:x"), 2, "ada once, though on both");
        assert_eq!(b.of("room:x").users, ["ada", "bob"]);
        drop(bob_on_b);
        let ada_only = r#"{"users":["ada"],"anonymous":0}"#;
        while &*on_a.next().await.unwrap().unwrap().data != ada_only {}
        assert_eq!(b.count("room:x"), 1);
    }
}
