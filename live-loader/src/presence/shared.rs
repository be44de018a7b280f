//! Presence across instances. Each instance tells the others, on the shared bus, who reads
//! each topic through it — whenever that changes, and again every [`HEARTBEAT`]. Each
//! keeps the latest set heard from every other instance, forgets one not refreshed within
//! three heartbeats (an instance that died), and answers the union: users united,
//! signed-out readers summed. Merged rather than kept in the database: presence changes
//! with every open and close of a stream, and is worth nothing after a restart.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use super::Present;
use crate::bus::Bus;
use crate::event::LiveEvent;

/// The bus topic the instances' sets travel on; not a topic clients may ask for.
pub(super) const SHARE_TOPIC: &str = "#presence";
/// How often each instance tells its sets again, so that the others can forget a dead one.
pub(super) const HEARTBEAT: Duration = Duration::from_secs(10);

/// One instance's readers of one topic, as the bus carries it.
#[derive(Serialize, Deserialize)]
pub(super) struct Share {
    instance: u64,
    topic: String,
    #[serde(flatten)]
    present: Present,
}

/// What this instance knows of the others' readers.
pub(super) struct Others {
    bus: Arc<dyn Bus>,
    /// This instance, as the others know it.
    instance: u64,
    /// Per topic, each other instance's latest set and when it came.
    sets: Mutex<HashMap<Arc<str>, Sets>>,
}

/// Each other instance's latest set of one topic, and when it came.
type Sets = HashMap<u64, (Present, Instant)>;

impl Others {
    /// Presence shared on `bus` (the one all instances share).
    pub(super) fn new(bus: Arc<dyn Bus>) -> Self {
        Self {
            bus,
            instance: getrandom::u64().expect("the OS provides randomness"),
            sets: Mutex::default(),
        }
    }

    /// Where the others' sets arrive.
    pub(super) fn subscribe(&self) -> crate::Subscription {
        self.bus.subscribe(SHARE_TOPIC)
    }

    /// Tells the others who reads `topic` here.
    pub(super) fn tell(&self, topic: &str, present: &Present) {
        let share = Share {
            instance: self.instance,
            topic: topic.to_owned(),
            present: present.clone(),
        };
        let data = serde_json::to_string(&share).expect("presence serializes");
        self.bus
            .publish(LiveEvent::new(SHARE_TOPIC, "share", None, &data));
    }

    /// Keeps what another instance said; answers the topic if that changed its set.
    pub(super) fn heard(&self, event: &LiveEvent) -> Option<Arc<str>> {
        let share: Share = serde_json::from_str(&event.data).ok()?;
        if share.instance == self.instance {
            return None;
        }
        let mut sets = self.lock();
        let name = match sets.get_key_value(share.topic.as_str()) {
            Some((name, _)) => Arc::clone(name),
            None => Arc::from(share.topic),
        };
        let topic = sets.entry(Arc::clone(&name)).or_default();
        let before = topic.insert(share.instance, (share.present.clone(), Instant::now()));
        let changed = before.is_none_or(|(present, _)| present != share.present);
        if share.present == Present::default() {
            topic.remove(&share.instance);
        }
        if topic.is_empty() {
            sets.remove(&name);
        }
        changed.then_some(name)
    }

    /// Forgets the sets of instances not heard from within three heartbeats; answers the
    /// topics whose readers that changed.
    pub(super) fn forget_silent(&self) -> Vec<Arc<str>> {
        let Some(oldest) = Instant::now().checked_sub(HEARTBEAT * 3) else {
            return Vec::new();
        };
        let mut changed = Vec::new();
        self.lock().retain(|name, topic| {
            let before = topic.len();
            topic.retain(|_, (_, heard)| *heard >= oldest);
            if topic.len() != before {
                changed.push(Arc::clone(name));
            }
            !topic.is_empty()
        });
        changed
    }

    /// `here`, with the readers of `topic` on the other instances added.
    pub(super) fn with_others(&self, topic: &str, mut here: Present) -> Present {
        let sets = self.lock();
        let Some(topic) = sets.get(topic) else {
            return here;
        };
        for (present, _) in topic.values() {
            here.users.extend(present.users.iter().cloned());
            here.anonymous += present.anonymous;
        }
        here.users.sort_unstable();
        here.users.dedup();
        here
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Arc<str>, Sets>> {
        self.sets.lock().expect("presence lock poisoned")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bus::InProcessBus;

    fn names(users: &[&str]) -> Vec<String> {
        users.iter().map(|name| name.to_string()).collect()
    }

    fn share(instance: u64, users: &[&str]) -> LiveEvent {
        let share = Share {
            instance,
            topic: "room:x".into(),
            present: Present {
                users: names(users),
                anonymous: 1,
            },
        };
        LiveEvent::new(
            SHARE_TOPIC,
            "share",
            None,
            &serde_json::to_string(&share).unwrap(),
        )
    }

    #[tokio::test(start_paused = true)]
    async fn the_readers_of_an_instance_that_falls_silent_are_forgotten_after_three_heartbeats() {
        let others = Others::new(Arc::new(InProcessBus::new(8)));
        tokio::time::advance(HEARTBEAT * 10).await;
        assert_eq!(others.heard(&share(7, &["bob"])).as_deref(), Some("room:x"));
        assert_eq!(others.heard(&share(7, &["bob"])), None, "no change");
        others.heard(&share(8, &["cy"]));
        let here = Present {
            users: vec!["bob".into()],
            anonymous: 0,
        };
        let all = others.with_others("room:x", here.clone());
        assert_eq!(
            (all.users, all.anonymous),
            (names(&["bob", "cy"]), 2),
            "bob once"
        );
        tokio::time::advance(HEARTBEAT * 2).await;
        others.heard(&share(8, &["cy"]));
        assert!(
            others.forget_silent().is_empty(),
            "both heard within three heartbeats"
        );
        tokio::time::advance(HEARTBEAT * 2).await;
        assert_eq!(others.forget_silent().len(), 1, "7 fell silent");
        let left = others.with_others("room:x", here);
        assert_eq!((left.users, left.anonymous), (names(&["bob", "cy"]), 1));
        assert_eq!(
            others.heard(&share(others.instance, &["me"])),
            None,
            "its own"
        );
    }
}
