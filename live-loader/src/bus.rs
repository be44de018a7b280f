//! The event bus: publishers hand it an event after their write commits; every stream
//! subscribed to the event's topic receives it.
//!
//! [`InProcessBus`] serves a single server process; a bus shared by several instances
//! ([`super::PostgresBus`]) implements the same [`Bus`] trait, and hands its events to an
//! `InProcessBus` of its own for this process's subscribers.

use std::collections::{HashMap, VecDeque};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::task::{Context, Poll};

use futures::Stream;
use futures::task::AtomicWaker;

use super::event::LiveEvent;

/// Delivers events to the streams subscribed to their topic.
pub trait Bus: Send + Sync + 'static {
    /// Sends `event` to every current subscriber of its topic. Never blocks; a subscriber
    /// that has fallen too far behind receives [`Lagged`] and must resync.
    fn publish(&self, event: LiveEvent);

    /// Starts receiving the events published on `topic` from now on.
    fn subscribe(&self, topic: &str) -> Subscription;

    /// How many topics that streams may carry this process's subscribers are subscribed
    /// to: what the bus holds in memory for them (the app's own, such as `#presence`, are
    /// not counted).
    fn topics(&self) -> usize;

    /// How many deliveries this process's subscribers have been handed since it started:
    /// each event counts once per subscription of its topic here (an event meant for some
    /// users only counts for every subscription all the same).
    fn deliveries(&self) -> u64;

    /// How many revocations ([`LiveEvent::revoke`]) this process's subscribers have been
    /// sent: a stream admitted before the count changed asks its gate again.
    fn revocations(&self) -> u64;

    /// Ends every subscription, and those made from now on: the server is shutting down,
    /// and each stream ends once it has sent what it has.
    fn close(&self);

    /// Calls `watcher` with each event another instance publishes, before this instance's
    /// subscribers receive it, and with `None` when events from elsewhere may have been
    /// missed: what this instance keeps in memory of what others change can follow. A
    /// bus inside one process has no others, and never calls it.
    fn watch(&self, watcher: Watcher) {
        let _ = watcher;
    }
}

/// See [`Bus::watch`].
pub type Watcher = Box<dyn Fn(Option<&LiveEvent>) + Send + Sync>;

/// A subscriber missed events: more were published than its topic keeps while it was away.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lagged;

/// A bus inside one process: one `Topic` per topic that has subscribers, forgotten when its
/// last subscriber goes.
pub struct InProcessBus {
    topics: Arc<Topics>,
    /// Events kept per topic for subscribers that are behind.
    capacity: usize,
    /// See [`Bus::revocations`].
    revocations: AtomicU64,
    /// See [`Bus::deliveries`].
    deliveries: AtomicU64,
}

/// The topics that have subscribers, by name; `None` once the bus is closed.
type Topics = Mutex<Option<HashMap<Arc<str>, Arc<Topic>>>>;

impl InProcessBus {
    /// A bus that keeps up to `capacity` events per topic for slow subscribers.
    pub fn new(capacity: usize) -> Self {
        Self {
            topics: Arc::new(Mutex::new(Some(HashMap::new()))),
            capacity: capacity.max(1),
            revocations: AtomicU64::new(0),
            deliveries: AtomicU64::new(0),
        }
    }

    /// Tells every subscriber of `topic` that it lagged: something was missed.
    pub fn lag(&self, topic: &str) {
        self.append(topic, Kind::Gap);
    }

    /// Tells every subscriber of every topic that it lagged.
    pub fn lag_all(&self) {
        for topic in self.names() {
            self.lag(&topic);
        }
    }

    /// Whether `topic` has subscribers.
    pub fn has(&self, topic: &str) -> bool {
        self.lock()
            .as_ref()
            .is_some_and(|topics| topics.contains_key(topic))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<HashMap<Arc<str>, Arc<Topic>>>> {
        lock_topics(&self.topics)
    }

    fn names(&self) -> Vec<Arc<str>> {
        self.lock()
            .iter()
            .flat_map(|topics| topics.keys().cloned())
            .collect()
    }

    /// Appends an event, a gap or the end to `topic`'s chain.
    fn append(&self, name: &str, kind: Kind) {
        if let Some(topic) = self.topic(name) {
            topic.publish(kind, self.capacity);
        }
    }

    /// The topic called `name`, if it has subscribers.
    fn topic(&self, name: &str) -> Option<Arc<Topic>> {
        self.lock().as_ref()?.get(name).cloned()
    }
}

fn lock_topics(
    topics: &Topics,
) -> std::sync::MutexGuard<'_, Option<HashMap<Arc<str>, Arc<Topic>>>> {
    topics.lock().expect("bus lock poisoned")
}

impl Bus for InProcessBus {
    fn publish(&self, event: LiveEvent) {
        if event.revokes {
            // Counted before it is sent: whoever subscribes after it was sent sees the count.
            self.revocations.fetch_add(1, Ordering::SeqCst);
        }
        let Some(topic) = self.topic(&event.topic) else {
            return;
        };
        // One add per event, not per subscriber: the count is the topic's.
        let subscribers = topic.subscribers.load(Ordering::Relaxed) as u64;
        self.deliveries.fetch_add(subscribers, Ordering::Relaxed);
        topic.publish(Kind::Event(event), self.capacity);
    }

    fn deliveries(&self) -> u64 {
        self.deliveries.load(Ordering::Relaxed)
    }

    fn revocations(&self) -> u64 {
        self.revocations.load(Ordering::SeqCst)
    }

    fn topics(&self) -> usize {
        let topics = self.lock();
        let names = topics.iter().flat_map(HashMap::keys);
        names.filter(|name| super::is_valid_topic(name)).count()
    }

    fn subscribe(&self, topic: &str) -> Subscription {
        let mut topics = self.lock();
        let Some(topics) = topics.as_mut() else {
            return Subscription::ended();
        };
        let bus = Arc::downgrade(&self.topics);
        let topic = topics
            .entry(Arc::from(topic))
            .or_insert_with_key(|name| Topic::new(Arc::clone(name), bus));
        // Counted under the bus's lock, so the last subscriber to go can't forget the
        // topic while this one joins it.
        topic.subscribers.fetch_add(1, Ordering::Relaxed);
        Topic::subscribe(topic)
    }

    fn close(&self) {
        let Some(topics) = self.lock().take() else {
            return;
        };
        for topic in topics.values() {
            topic.publish(Kind::End, self.capacity);
        }
    }
}

/// One topic's fan-out. A publisher appends the event to a chain of the newest events and
/// wakes each subscriber; a subscriber follows the chain on its own, with atomic reads
/// only: no lock, queue or copy of the event per subscriber. The topic's lock is taken once
/// per event, and per subscriber only to join, or to skip ahead after it lagged.
struct Topic {
    state: Mutex<TopicState>,
    name: Arc<str>,
    /// Its subscriptions that have not been dropped; the last one to go forgets the topic.
    subscribers: AtomicUsize,
    /// The bus that holds it; none for a topic outside any bus.
    bus: Weak<Topics>,
}

struct TopicState {
    /// The newest events, oldest first: what keeps them alive for subscribers that are
    /// behind. The first may be the empty link a topic starts with.
    recent: VecDeque<Arc<Link>>,
    /// Whom to wake after a publish; pruned of those gone.
    listeners: Vec<Weak<AtomicWaker>>,
}

impl TopicState {
    /// The newest link: where a subscriber joins, and the one a publish links onward.
    fn newest(&self) -> &Arc<Link> {
        self.recent.back().expect("a topic has a link")
    }
}

/// One event in a topic's chain, and the way to the next once there is one. The way is weak
/// so that a subscriber far behind holds only its own link, not the chain after it.
struct Link {
    kind: Kind,
    next: OnceLock<Weak<Link>>,
}

/// What a link holds.
enum Kind {
    Event(LiveEvent),
    /// The empty link a topic starts with, which no link leads to, or a gap: a subscriber
    /// that reaches one learns it lagged.
    Gap,
    /// The bus closed: the last link a subscriber reaches.
    End,
}

impl Link {
    fn new(kind: Kind) -> Arc<Self> {
        Arc::new(Self {
            kind,
            next: OnceLock::new(),
        })
    }
}

impl Topic {
    fn new(name: Arc<str>, bus: Weak<Topics>) -> Arc<Self> {
        Arc::new(Self {
            state: Mutex::new(TopicState {
                recent: VecDeque::from([Link::new(Kind::Gap)]),
                listeners: Vec::new(),
            }),
            name,
            subscribers: AtomicUsize::new(0),
            bus,
        })
    }

    /// One of its subscriptions is dropped: the last one forgets the topic, and the
    /// events it keeps, unless someone subscribed meanwhile.
    fn leave(self: &Arc<Self>) {
        if self.subscribers.fetch_sub(1, Ordering::AcqRel) != 1 {
            return;
        }
        let Some(bus) = self.bus.upgrade() else {
            return;
        };
        let mut topics = lock_topics(&bus);
        let Some(topics) = topics.as_mut() else {
            return;
        };
        let this = topics
            .get(&self.name)
            .is_some_and(|kept| Arc::ptr_eq(kept, self));
        if this && self.subscribers.load(Ordering::Acquire) == 0 {
            topics.remove(&self.name);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, TopicState> {
        self.state.lock().expect("topic lock poisoned")
    }

    /// The newest link, where a subscriber starts over after it lagged.
    fn newest(&self) -> Arc<Link> {
        Arc::clone(self.lock().newest())
    }

    fn subscribe(topic: &Arc<Self>) -> Subscription {
        let waker = Arc::new(AtomicWaker::new());
        let mut state = topic.lock();
        if state.listeners.len() == state.listeners.capacity() {
            // Before growing, make room from those gone since the last publish.
            state
                .listeners
                .retain(|listener| listener.strong_count() > 0);
        }
        state.listeners.push(Arc::downgrade(&waker));
        Subscription {
            at: Arc::clone(state.newest()),
            topic: Arc::clone(topic),
            waker,
        }
    }

    /// Appends `kind`, keeping `capacity` links, and wakes every subscriber.
    fn publish(&self, kind: Kind, capacity: usize) {
        let link = Link::new(kind);
        let mut state = self.lock();
        // Only the newest link is ever linked onward, under the lock: this is the first set.
        let _ = state.newest().next.set(Arc::downgrade(&link));
        state.recent.push_back(link);
        while state.recent.len() > capacity {
            state.recent.pop_front();
        }
        state.listeners.retain(|listener| match listener.upgrade() {
            Some(waker) => {
                waker.wake();
                true
            }
            None => false,
        });
    }
}

/// A subscriber's place in its topic: the stream of the events published after it joined,
/// until the bus closes; after [`Lagged`], it goes on from the topic's newest event.
pub struct Subscription {
    /// The link of the last event taken.
    at: Arc<Link>,
    topic: Arc<Topic>,
    waker: Arc<AtomicWaker>,
}

impl Subscription {
    /// A subscription that has ended: made once the bus is closed.
    fn ended() -> Self {
        let topic = Topic::new(Arc::from(""), Weak::new());
        topic.subscribers.fetch_add(1, Ordering::Relaxed);
        Self {
            at: Link::new(Kind::End),
            topic,
            waker: Arc::default(),
        }
    }

    /// The item after the last one taken, if it has been published; `Some(None)` at the
    /// end.
    fn advance(&mut self) -> Option<Option<Result<LiveEvent, Lagged>>> {
        if matches!(self.at.kind, Kind::End) {
            return Some(None);
        }
        let next = self.at.next.get()?;
        let Some(next) = next.upgrade() else {
            // Dropped from the topic's recent events before this subscriber got to it.
            self.at = self.topic.newest();
            return Some(Some(Err(Lagged)));
        };
        self.at = next;
        Some(match &self.at.kind {
            Kind::Event(event) => Some(Ok(event.clone())),
            Kind::Gap => Some(Err(Lagged)),
            Kind::End => None,
        })
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.topic.leave();
    }
}

impl Stream for Subscription {
    type Item = Result<LiveEvent, Lagged>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if let Some(item) = this.advance() {
            return Poll::Ready(item);
        }
        // Registered before looking again, so a publish in between is not missed.
        this.waker.register(cx.waker());
        match this.advance() {
            Some(item) => Poll::Ready(item),
            None => Poll::Pending,
        }
    }
}

#[cfg(test)]
mod tests {
    use futures::task::ArcWake;
    use futures::{FutureExt, StreamExt};

    use super::*;

    fn event(topic: &str, data: &str) -> LiveEvent {
        LiveEvent::new(topic, "message", None, data)
    }

    #[tokio::test]
    async fn a_subscriber_receives_the_events_of_its_topic_only() {
        let bus = InProcessBus::new(8);
        let mut lobby = bus.subscribe("room:lobby");
        bus.publish(event("room:other", "no"));
        bus.publish(event("room:lobby", "yes"));
        let received = lobby.next().await.unwrap().unwrap();
        assert!(received.topic_frame.ends_with(b"data: yes\n\n"));
        assert!(lobby.next().now_or_never().is_none());
    }

    #[tokio::test]
    async fn every_subscriber_receives_every_event_in_order_and_the_same_bytes() {
        let bus = InProcessBus::new(8);
        let mut first = bus.subscribe("t");
        let mut second = bus.subscribe("t");
        for n in 0..3 {
            bus.publish(event("t", &n.to_string()));
        }
        for n in 0..3 {
            let a = first.next().await.unwrap().unwrap();
            let b = second.next().await.unwrap().unwrap();
            assert!(a.topic_frame.ends_with(format!("data: {n}\n\n").as_bytes()));
            assert_eq!(
                a.topic_frame.as_ptr(),
                b.topic_frame.as_ptr(),
                "shared, not copied"
            );
        }
    }

    /// Counts how often it is woken.
    #[derive(Default)]
    struct Wakes(AtomicUsize);

    impl ArcWake for Wakes {
        fn wake_by_ref(wakes: &Arc<Self>) {
            wakes.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn deliveries_count_each_event_once_per_subscription_of_its_topic() {
        let bus = InProcessBus::new(8);
        let (a, _b, _c) = (bus.subscribe("t"), bus.subscribe("t"), bus.subscribe("u"));
        bus.publish(event("t", "two"));
        bus.publish(event("u", "one"));
        bus.publish(event("nobody", "none"));
        assert_eq!(bus.deliveries(), 3);
        drop(a);
        bus.publish(event("t", "one more"));
        assert_eq!(bus.deliveries(), 4);
    }

    #[test]
    fn a_waiting_subscriber_is_woken_by_a_publish_of_its_topic() {
        let bus = InProcessBus::new(8);
        let mut waiting = bus.subscribe("t");
        let wakes = Arc::new(Wakes::default());
        let waker = futures::task::waker(Arc::clone(&wakes));
        let mut cx = Context::from_waker(&waker);
        assert!(waiting.poll_next_unpin(&mut cx).is_pending());
        bus.publish(event("other", "no"));
        assert_eq!(wakes.0.load(Ordering::SeqCst), 0);
        bus.publish(event("t", "wake"));
        assert_eq!(wakes.0.load(Ordering::SeqCst), 1);
        let Poll::Ready(Some(Ok(received))) = waiting.poll_next_unpin(&mut cx) else {
            panic!("woken without an event");
        };
        assert!(received.topic_frame.ends_with(b"data: wake\n\n"));
    }

    #[tokio::test]
    async fn a_subscriber_that_falls_behind_is_told_it_lagged_then_gets_new_events() {
        let bus = InProcessBus::new(2);
        let mut slow = bus.subscribe("t");
        for n in 0..5 {
            bus.publish(event("t", &n.to_string()));
        }
        assert_eq!(slow.next().await.unwrap().unwrap_err(), Lagged);
        bus.publish(event("t", "after"));
        let received = slow.next().await.unwrap().unwrap();
        assert!(received.topic_frame.ends_with(b"data: after\n\n"));
    }

    #[tokio::test]
    async fn a_subscriber_behind_by_no_more_than_the_capacity_misses_nothing() {
        let bus = InProcessBus::new(3);
        let mut behind = bus.subscribe("t");
        for n in 0..3 {
            bus.publish(event("t", &n.to_string()));
        }
        for n in 0..3 {
            let received = behind.next().await.unwrap().unwrap();
            assert!(
                received
                    .topic_frame
                    .ends_with(format!("data: {n}\n\n").as_bytes())
            );
        }
    }

    #[tokio::test]
    async fn a_gap_tells_each_subscriber_it_lagged_in_its_place_among_the_events() {
        let bus = InProcessBus::new(8);
        let mut subscriber = bus.subscribe("t");
        bus.publish(event("t", "before"));
        bus.lag_all();
        bus.publish(event("t", "after"));
        let before = subscriber.next().await.unwrap().unwrap();
        assert!(before.topic_frame.ends_with(b"data: before\n\n"));
        assert_eq!(subscriber.next().await.unwrap().unwrap_err(), Lagged);
        let after = subscriber.next().await.unwrap().unwrap();
        assert!(after.topic_frame.ends_with(b"data: after\n\n"));
        assert!(bus.has("t") && !bus.has("other"));
    }

    #[tokio::test]
    async fn closing_the_bus_ends_every_subscription_after_what_it_has() {
        let bus = InProcessBus::new(8);
        let mut waiting = bus.subscribe("t");
        let mut behind = bus.subscribe("t");
        bus.publish(event("t", "before"));
        assert!(waiting.next().await.unwrap().is_ok());
        bus.close();
        assert!(waiting.next().await.is_none());
        assert!(waiting.next().await.is_none(), "and stays ended");
        assert!(
            behind.next().await.unwrap().is_ok(),
            "what was published first"
        );
        assert!(behind.next().await.is_none());
        assert!(
            bus.subscribe("t").next().await.is_none(),
            "subscribed after"
        );
        bus.publish(event("t", "after"));
    }

    #[test]
    fn a_topic_is_forgotten_when_its_last_subscriber_goes_without_waiting_for_a_publish() {
        let bus = InProcessBus::new(2);
        let first = bus.subscribe("t");
        let second = bus.subscribe("t");
        bus.publish(event("t", "x"));
        drop(first);
        assert!(bus.has("t"), "one subscriber is left");
        drop(second);
        assert!(!bus.has("t"));
        assert_eq!(bus.topics(), 0);
    }

    #[test]
    fn a_topic_resubscribed_after_its_last_subscriber_went_is_a_fresh_one() {
        let bus = InProcessBus::new(2);
        drop(bus.subscribe("t"));
        let mut again = bus.subscribe("t");
        bus.publish(event("t", "x"));
        assert!(bus.has("t"));
        let received = again.next().now_or_never().unwrap().unwrap().unwrap();
        assert!(received.topic_frame.ends_with(b"data: x\n\n"));
    }

    #[test]
    fn thousands_of_short_subscriptions_to_made_up_topics_leave_nothing_behind() {
        let bus = InProcessBus::new(2);
        for n in 0..12_000 {
            let subscriptions: Vec<_> = (0..16)
                .map(|t| bus.subscribe(&format!("made-up-{n}-{t}")))
                .collect();
            drop(subscriptions);
        }
        assert_eq!(bus.topics(), 0);
    }

    #[test]
    fn revocations_are_counted_before_they_are_sent() {
        let bus = InProcessBus::new(2);
        bus.publish(event("t", "x"));
        assert_eq!(bus.revocations(), 0);
        bus.publish(LiveEvent::revoke("t", "eve"));
        assert_eq!(bus.revocations(), 1);
    }

    #[test]
    fn subscribers_gone_are_pruned_before_the_list_grows() {
        let bus = InProcessBus::new(2);
        let _stays = bus.subscribe("t");
        for _ in 0..100 {
            drop(bus.subscribe("t"));
        }
        let topic = Arc::clone(&bus.topics.lock().unwrap().as_ref().unwrap()["t"]);
        assert!(topic.lock().listeners.len() <= 2);
        assert_eq!(topic.subscribers.load(Ordering::Relaxed), 1);
    }
}
