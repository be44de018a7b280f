//! A bus shared by several instances through PostgreSQL `LISTEN/NOTIFY`.
//!
//! Each instance hands an event published here to its own subscribers and sends it, as a
//! notification on one channel, to every other instance, which hands it to theirs. The
//! database, not the bus, is the log, so nothing the bus loses or reorders is lost silently:
//!
//! - **Order.** Notifications are sent after their write commits, so they can cross: a
//!   change committed second, on one instance, may be heard before the one committed first
//!   on another. An event with a cursor says which change comes before it
//!   ([`LiveEvent::following`]); one that follows a change not yet passed on has what is
//!   missing read back from the store (the app's [`History`]) first — once per instance,
//!   not per subscriber — and the late one is dropped when it comes. Each instance thus
//!   passes a topic's events on in cursor order. (Streams check the same chain: see
//!   [`super::replay`].)
//! - **Loss.** A listener whose connection drops misses what is sent meanwhile. Once it
//!   listens again, every subscriber here is told it lagged (so it resyncs) and watchers
//!   hear that anything may have changed. A connection that dies without a word is noticed
//!   too: each instance pings every few seconds, and a listener that hears nothing, not
//!   even its own pings, for longer counts as lost. Each instance numbers its
//!   notifications, so one that never arrives (refused by the database) is noticed and
//!   handled alike; sending goes on after it.
//! - **Size.** A notification carries the event itself (topic, name, cursor, payload,
//!   audience) as compact JSON, under Postgres' 8,000-byte limit. An event too big for one
//!   goes without its payload and audience: with a cursor it is read back from the store;
//!   without one, its topic's subscribers resync.
//! - **Cost.** NOTIFY takes a database-wide lock at commit, so the writes' own
//!   transactions never notify: one connection per instance sends what has queued since
//!   its last send, as one statement.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock, RwLock};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use sqlx::postgres::PgListener;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

use super::bus::{Bus, InProcessBus, Subscription, Watcher};
use super::event::LiveEvent;
use super::replay::{History, catch_up, read_back};

/// The channel every instance listens on.
const CHANNEL: &str = "live_loader";
/// The largest notification sent with its payload (Postgres refuses 8,000 bytes).
const MAX_NOTIFICATION: usize = 7_900;
/// The most notifications sent in one statement.
const MAX_BATCH: usize = 256;
/// The longest wait between two tries to reach the database again.
const MAX_BACKOFF: Duration = Duration::from_secs(2);
/// How often each instance notifies, if only a ping: what its own listener hears to know
/// its connection works.
const PING_EVERY: Duration = Duration::from_secs(5);
/// How long a listener may hear nothing, not even its own pings, before it counts as lost.
const SILENT_FOR: Duration = Duration::from_secs(15);
/// The topic of pings; no subscriber's.
const PING_TOPIC: &str = "#ping";

/// A bus shared with the other instances on one PostgreSQL database; cheap to share.
pub struct PostgresBus {
    /// This instance's subscribers.
    local: Arc<InProcessBus>,
    /// To the sequencer: events to pass on here, in order.
    arrivals: UnboundedSender<Arrival>,
    /// To the notifier: events to send the others.
    outgoing: UnboundedSender<LiveEvent>,
    shared: Arc<Shared>,
}

/// What the bus's tasks share with it.
#[derive(Default)]
struct Shared {
    watchers: RwLock<Vec<Watcher>>,
    history: OnceLock<Arc<dyn History>>,
}

impl Shared {
    fn tell_watchers(&self, event: Option<&LiveEvent>) {
        for watcher in self.watchers.read().expect("watchers lock poisoned").iter() {
            watcher(event);
        }
    }
}

/// Something for the sequencer to pass on.
enum Arrival {
    /// Published here.
    Local(LiveEvent),
    /// Heard from another instance.
    Remote(LiveEvent),
    /// Heard from another instance without its payload, too big to send.
    Unsent {
        topic: Arc<str>,
        name: Arc<str>,
        id: Option<i64>,
    },
    /// Notifications may have been missed.
    Lost,
}

impl PostgresBus {
    /// A bus on `pool`'s database, keeping `capacity` events per topic for slow subscribers
    /// here. Listening has begun when this returns.
    ///
    /// # Errors
    /// If the database can't be reached.
    pub async fn connect(pool: &PgPool, capacity: usize) -> Result<Arc<Self>, sqlx::Error> {
        let listener = listen(pool).await?;
        let origin = getrandom::u64().expect("the OS provides randomness");
        let local = Arc::new(InProcessBus::new(capacity));
        let shared = Arc::new(Shared::default());
        let (arrivals, arrived) = unbounded_channel();
        let (outgoing, to_send) = unbounded_channel();
        tokio::spawn(hear(pool.clone(), listener, origin, arrivals.clone()));
        tokio::spawn(send(pool.clone(), origin, to_send));
        let sequencer = Sequencer {
            local: Arc::clone(&local),
            shared: Arc::clone(&shared),
            passed: HashMap::new(),
        };
        tokio::spawn(sequencer.run(arrived));
        Ok(Arc::new(Self {
            local,
            arrivals,
            outgoing,
            shared,
        }))
    }

    /// Where events that arrive ahead of their predecessors are read back from: the app's
    /// history, once it is built. Until then such events make their topics resync.
    pub fn read_back_from(&self, history: Arc<dyn History>) {
        let _ = self.shared.history.set(history);
    }

    /// This instance's own bus: for events that stay here.
    pub fn local(&self) -> Arc<InProcessBus> {
        Arc::clone(&self.local)
    }
}

impl Bus for PostgresBus {
    fn publish(&self, event: LiveEvent) {
        let _ = self.outgoing.send(event.clone());
        let _ = self.arrivals.send(Arrival::Local(event));
    }

    fn subscribe(&self, topic: &str) -> Subscription {
        self.local.subscribe(topic)
    }

    fn revocations(&self) -> u64 {
        self.local.revocations()
    }

    fn topics(&self) -> usize {
        self.local.topics()
    }

    fn deliveries(&self) -> u64 {
        self.local.deliveries()
    }

    fn close(&self) {
        self.local.close();
    }

    fn watch(&self, watcher: Watcher) {
        let mut watchers = self
            .shared
            .watchers
            .write()
            .expect("watchers lock poisoned");
        watchers.push(watcher);
    }
}

/// Passes events on to this instance's subscribers, each topic's in cursor order.
struct Sequencer {
    local: Arc<InProcessBus>,
    shared: Arc<Shared>,
    /// The newest cursor passed on, per topic with subscribers here.
    passed: HashMap<Arc<str>, i64>,
}

impl Sequencer {
    async fn run(mut self, mut arrivals: UnboundedReceiver<Arrival>) {
        while let Some(arrival) = arrivals.recv().await {
            match arrival {
                Arrival::Local(event) => self.pass(event).await,
                Arrival::Remote(event) => {
                    self.shared.tell_watchers(Some(&event));
                    self.pass(event).await;
                }
                Arrival::Unsent { topic, name, id } => {
                    let unsent = LiveEvent::new(&topic, &name, id, "{}");
                    self.shared.tell_watchers(Some(&unsent));
                    match (id, self.passed.get(&topic).copied()) {
                        (Some(_), Some(passed)) => self.read_back(&topic, passed, None).await,
                        _ => self.local.lag(&topic),
                    }
                }
                // What each topic has passed on stays: the next event shows what is missing.
                Arrival::Lost => {
                    self.shared.tell_watchers(None);
                    self.local.lag_all();
                }
            }
        }
    }

    async fn pass(&mut self, event: LiveEvent) {
        let Some(id) = event.id else {
            return self.local.publish(event);
        };
        if !self.local.has(&event.topic) {
            // Nobody here listens: nothing to keep in order.
            self.passed.remove(&event.topic);
            return;
        }
        match self.passed.get(&event.topic).copied() {
            Some(passed) if id <= passed => {}
            Some(passed) if event.after.is_some_and(|after| after > passed) => {
                let topic = Arc::clone(&event.topic);
                self.read_back(&topic, passed, Some(event)).await;
            }
            _ => {
                self.passed.insert(Arc::clone(&event.topic), id);
                self.local.publish(event);
            }
        }
    }

    /// Passes on what `topic` has after cursor `passed`, read back from the store, then
    /// `early` (which arrived before some of it) unless the read has it; if the store
    /// can't say, the topic's subscribers resync.
    async fn read_back(&mut self, topic: &Arc<str>, passed: i64, early: Option<LiveEvent>) {
        let missed = match self.shared.history.get() {
            Some(history) => read_back(&**history, topic, passed).await,
            None => None,
        };
        let Some(missed) = missed else {
            self.local.lag(topic);
            if let Some(event) = early {
                self.passed
                    .insert(Arc::clone(topic), event.id.unwrap_or(passed));
                self.local.publish(event);
            }
            return;
        };
        let (events, newest) = match early {
            Some(event) => catch_up(missed, passed, event.after.unwrap_or(passed), event),
            None => {
                let newest = missed.iter().filter_map(|event| event.id).max();
                (missed, newest.unwrap_or(passed).max(passed))
            }
        };
        self.passed.insert(Arc::clone(topic), newest);
        for event in events {
            self.local.publish(event);
        }
    }
}

/// An event as a notification carries it: `o` the sending instance and `n` its number
/// there, then the event; `d` is left out when it doesn't fit.
#[derive(Serialize, Deserialize)]
struct Wire<'a> {
    o: u64,
    n: u64,
    #[serde(borrow)]
    t: Cow<'a, str>,
    #[serde(borrow)]
    e: Cow<'a, str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    i: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    a: Option<i64>,
    #[serde(borrow, skip_serializing_if = "Option::is_none")]
    d: Option<Cow<'a, str>>,
    #[serde(borrow, skip_serializing_if = "Option::is_none")]
    u: Option<Vec<Cow<'a, str>>>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    r: bool,
}

impl<'a> Wire<'a> {
    fn of(event: &'a LiveEvent, origin: u64, number: u64) -> Self {
        Self {
            o: origin,
            n: number,
            t: Cow::Borrowed(&event.topic),
            e: Cow::Borrowed(&event.name),
            i: event.id,
            a: event.after,
            d: Some(Cow::Borrowed(&event.data)),
            u: (event.audience.as_ref()).map(|names| {
                names
                    .iter()
                    .map(|name| Cow::Borrowed(name.as_str()))
                    .collect()
            }),
            r: event.revokes,
        }
    }

    fn encode(mut self) -> String {
        let text = serde_json::to_string(&self).expect("a notification serializes");
        if text.len() <= MAX_NOTIFICATION {
            return text;
        }
        // Without its payload it is read back, or its topic resyncs: who it is for comes
        // with that, so the audience goes too. What is left is a few hundred bytes.
        (self.d, self.u) = (None, None);
        serde_json::to_string(&self).expect("a notification serializes")
    }

    /// What arrived: the event, or what is known of one sent without its payload.
    fn arrival(self) -> Arrival {
        let Some(data) = self.d else {
            return Arrival::Unsent {
                topic: self.t.into(),
                name: self.e.into(),
                id: self.i,
            };
        };
        let audience: Option<Vec<String>> =
            (self.u).map(|names| names.into_iter().map(Cow::into_owned).collect());
        let mut event = match (self.r, audience) {
            (true, Some(names)) => LiveEvent::revoke(&self.t, names.first().map_or("", |n| n)),
            (_, audience) => {
                let event = LiveEvent::new(&self.t, &self.e, self.i, &data);
                match audience {
                    Some(names) => event.only_for(names),
                    None => event,
                }
            }
        };
        if let Some(after) = self.a {
            event = event.following(after);
        }
        Arrival::Remote(event)
    }
}

/// Sends each event published here to the other instances, numbered, in order, batching
/// what queued meanwhile, and a ping when there was nothing to send for a while. A batch
/// that can't be sent is tried again until the database answers; one it refuses is sent
/// one by one, and a notification refused alone is left out — its number is skipped, so
/// the others notice.
async fn send(pool: PgPool, origin: u64, mut events: UnboundedReceiver<LiveEvent>) {
    let mut number = 0;
    let mut batch = Vec::new();
    let mut ping = tokio::time::interval(PING_EVERY);
    loop {
        let first = tokio::select! {
            event = events.recv() => match event {
                Some(event) => event,
                None => return,
            },
            _ = ping.tick() => LiveEvent::new(PING_TOPIC, "ping", None, "{}"),
        };
        ping.reset();
        let queued = std::iter::from_fn(|| events.try_recv().ok());
        for event in std::iter::once(first).chain(queued).take(MAX_BATCH) {
            number += 1;
            batch.push(Wire::of(&event, origin, number).encode());
        }
        notify(&pool, &batch).await;
        batch.clear();
    }
}

/// Sends `batch`: see [`send`].
async fn notify(pool: &PgPool, batch: &[String]) {
    let mut backoff = Backoff::default();
    loop {
        let sent = sqlx::query("SELECT pg_notify($1, n) FROM unnest($2::text[]) AS n")
            .bind(CHANNEL)
            .bind(batch)
            .execute(pool)
            .await;
        match sent {
            Ok(_) => return,
            Err(sqlx::Error::Database(error)) => {
                tracing::error!(%error, "the database refuses a notification");
                for one in batch {
                    let sent = sqlx::query("SELECT pg_notify($1, $2)")
                        .bind(CHANNEL)
                        .bind(one)
                        .execute(pool)
                        .await;
                    if let Err(error) = sent {
                        tracing::error!(%error, "a notification is left out; others resync");
                    }
                }
                return;
            }
            Err(error) => {
                tracing::warn!(%error, "notifying the other instances failed; trying again");
                backoff.wait().await;
            }
        }
    }
}

/// A connection listening on [`CHANNEL`].
async fn listen(pool: &PgPool) -> Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

/// Hands what the other instances send to the sequencer. When the connection is lost it
/// listens again on a new one, then says so: whatever was sent meanwhile is missed.
async fn hear(
    pool: PgPool,
    mut listener: PgListener,
    origin: u64,
    arrivals: UnboundedSender<Arrival>,
) {
    // The number of the last notification heard from each instance.
    let mut heard: HashMap<u64, u64> = HashMap::new();
    loop {
        loop {
            let next = tokio::time::timeout(SILENT_FOR, listener.try_recv()).await;
            let notification = match next {
                Ok(Ok(Some(notification))) => notification,
                Ok(Ok(None)) => break,
                Ok(Err(error)) => {
                    tracing::warn!(%error, "listening to the other instances failed");
                    break;
                }
                Err(_silent) => {
                    tracing::warn!("the listener heard nothing, not even itself: listening anew");
                    break;
                }
            };
            let Ok(wire) = serde_json::from_str::<Wire>(notification.payload()) else {
                tracing::warn!("a notification that is not an event: ignored");
                continue;
            };
            if wire.o == origin {
                continue;
            }
            let last = heard.insert(wire.o, wire.n);
            if last.is_some_and(|last| wire.n != last + 1) {
                let _ = arrivals.send(Arrival::Lost);
            }
            let _ = arrivals.send(wire.arrival());
        }
        drop(listener);
        listener = listen_again(&pool).await;
        heard.clear();
        let _ = arrivals.send(Arrival::Lost);
    }
}

/// The wait between two tries to reach the database: 50 ms, doubling up to
/// [`MAX_BACKOFF`].
struct Backoff(Duration);

impl Default for Backoff {
    fn default() -> Self {
        Self(Duration::from_millis(50))
    }
}

impl Backoff {
    async fn wait(&mut self) {
        tokio::time::sleep(self.0).await;
        self.0 = (self.0 * 2).min(MAX_BACKOFF);
    }
}

/// Listens again, trying until the database answers.
async fn listen_again(pool: &PgPool) -> PgListener {
    let mut backoff = Backoff::default();
    loop {
        match listen(pool).await {
            Ok(listener) => return listener,
            Err(error) => {
                tracing::warn!(%error, "cannot listen to the other instances yet");
                backoff.wait().await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use futures::{FutureExt, StreamExt};

    use super::*;
    use crate::replay::tests::{Kept, numbered};

    /// A sequencer for one instance whose store holds `kept`, and a channel to it.
    fn sequencer(kept: &Arc<Kept>) -> (Sequencer, Arc<InProcessBus>) {
        let local = Arc::new(InProcessBus::new(8));
        let shared = Arc::new(Shared::default());
        let _ = shared.history.set(Arc::clone(kept) as Arc<dyn History>);
        let sequencer = Sequencer {
            local: Arc::clone(&local),
            shared,
            passed: HashMap::new(),
        };
        (sequencer, local)
    }

    #[tokio::test]
    async fn events_that_arrive_out_of_order_are_passed_on_in_order_each_once() {
        let kept = Arc::new(Kept::default());
        let (mut sequencer, local) = sequencer(&kept);
        let mut subscriber = local.subscribe("t");
        sequencer.pass(numbered(1)).await;
        // 2 commits on one instance, then 3 on another, whose notification is heard first.
        kept.0
            .lock()
            .unwrap()
            .extend([numbered(1), numbered(2), numbered(3)]);
        sequencer.pass(numbered(3).following(2)).await;
        sequencer.pass(numbered(2).following(1)).await;
        sequencer.pass(numbered(4).following(3)).await;
        for n in 1..=4 {
            let event = subscriber.next().await.unwrap().unwrap();
            assert_eq!(event.id, Some(n));
        }
        assert!(
            subscriber.next().now_or_never().is_none(),
            "2 is not passed on twice"
        );
    }

    #[tokio::test]
    async fn a_lost_listener_makes_every_subscriber_resync_and_watchers_forget() {
        let kept = Arc::new(Kept::default());
        let (sequencer, local) = sequencer(&kept);
        let forgotten = Arc::new(AtomicUsize::new(0));
        let count = Arc::clone(&forgotten);
        sequencer
            .shared
            .watchers
            .write()
            .unwrap()
            .push(Box::new(move |event| {
                if event.is_none() {
                    count.fetch_add(1, Ordering::SeqCst);
                }
            }));
        let mut subscriber = local.subscribe("t");
        let (arrivals, arrived) = unbounded_channel();
        arrivals.send(Arrival::Lost).unwrap();
        arrivals.send(Arrival::Remote(numbered(5))).unwrap();
        drop(arrivals);
        sequencer.run(arrived).await;
        assert!(subscriber.next().await.unwrap().is_err(), "lagged");
        assert_eq!(subscriber.next().await.unwrap().unwrap().id, Some(5));
        assert_eq!(forgotten.load(Ordering::SeqCst), 1);
    }

    fn round_trip(event: &LiveEvent) -> Arrival {
        let text = Wire::of(event, 1, 1).encode();
        assert!(text.len() <= MAX_NOTIFICATION);
        serde_json::from_str::<Wire>(&text).unwrap().arrival()
    }

    #[test]
    fn an_event_arrives_as_it_was_published() {
        let event = LiveEvent::new("user:ada", "notification", Some(7), "{\"x\":\"é\\n\"}")
            .following(5)
            .only_for(vec!["ada".into()]);
        let Arrival::Remote(heard) = round_trip(&event) else {
            panic!("not an event");
        };
        assert_eq!(
            (
                heard.id,
                heard.after,
                &*heard.data,
                heard.live_frame.clone()
            ),
            (Some(7), Some(5), &*event.data, event.live_frame.clone())
        );
        assert!(heard.reaches(Some("ada")) && !heard.reaches(Some("eve")));
        let Arrival::Remote(revoked) = round_trip(&LiveEvent::revoke("room:a", "eve")) else {
            panic!("not an event");
        };
        assert!(revoked.revokes && revoked.reaches(Some("eve")) && !revoked.reaches(None));
    }

    #[test]
    fn an_event_too_big_to_notify_goes_without_its_payload() {
        let big = format!("\"{}\"", "€".repeat(3_000));
        let event = LiveEvent::new("room:a", "message", Some(9), &big);
        let Arrival::Unsent { topic, name, id } = round_trip(&event) else {
            panic!("sent with its payload");
        };
        assert_eq!((&*topic, &*name, id), ("room:a", "message", Some(9)));
        let crowd = (0..2_000).map(|n| format!("member{n}")).collect();
        let private = LiveEvent::new("rooms", "room", None, "{}").only_for(crowd);
        assert!(
            matches!(round_trip(&private), Arrival::Unsent { id: None, .. }),
            "an audience too big goes too"
        );
    }
}
