//! Resuming a topic after a cursor: first the history the client missed, read from durable
//! storage (so it survives a restart), then live events — with no gap and no duplicate at
//! the seam between the two.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use async_trait::async_trait;
use futures::stream::{self, Stream, StreamExt};

use super::bus::{Bus, Lagged, Subscription};
use super::event::LiveEvent;
use super::gate::Gate;

/// The most events replayed on resume; a client further behind is told to resync.
pub const MAX_REPLAY: u32 = 1_000;

/// Where the events of topics with cursors can be read back from.
#[async_trait]
pub trait History: Send + Sync + 'static {
    /// Up to `limit` events of `topic` after `cursor`, oldest first. `None` when the topic
    /// keeps no history, `cursor` is not one of its cursors, or the history can't be read.
    async fn after(&self, topic: &str, cursor: i64, limit: u32) -> Option<Vec<LiveEvent>>;

    /// The cursor of `topic`'s newest event (0 before the first); `None` when it keeps no
    /// history or can't be read.
    async fn latest(&self, topic: &str) -> Option<i64> {
        let _ = topic;
        None
    }
}

/// What a stream sends.
#[derive(Clone, Debug)]
pub enum Item {
    Event(LiveEvent),
    /// Something may have been missed: re-read everything.
    Resync,
    /// The subscriber may no longer see the topic: sent as a resync, and the last item.
    Revoked,
}

/// `topic`'s events after `cursor` (or from now, without one), as `who` (a username, or
/// `None` signed out) may see them: replayed history, then live events newer than what was
/// replayed, leaving out those meant for others. A cursor that is unknown or too far
/// behind, and a subscriber that falls behind the bus, each become [`Item::Resync`]. An
/// event that revokes `who`'s access becomes a resync too, and ends the stream — and since a
/// subscriber that fell behind may have skipped a revocation, `gate` is asked again then.
///
/// Subscribes before reading history, so an event committed meanwhile is in one or the
/// other; those in both are sent once. The history is read before this returns.
/// (Subscribing first is also what makes a revocation published after an access check
/// reach the stream that passed it.) A live event that
/// follows a change the stream has not sent (see [`LiveEvent::following`]) — one whose
/// publish was overtaken, on another instance — has what is missing read back first.
/// Without a cursor, the stream starts from where the topic is when this returns (read
/// before the response is sent): what commits after that reaches it, whatever its way.
pub async fn resume(
    bus: &dyn Bus,
    history: Arc<dyn History>,
    gate: Arc<dyn Gate>,
    topic: &str,
    cursor: Option<i64>,
    who: Option<Arc<str>>,
) -> impl Stream<Item = Item> + Send + 'static {
    let subscription = bus.subscribe(topic);
    let topic: Arc<str> = topic.into();
    // Read before this returns, so that whoever opens the stream can still check, after
    // the read, that no revocation came meanwhile.
    let (replayed, last) = match cursor {
        None => (Vec::new(), history.latest(&topic).await),
        Some(cursor) => match read_back(&*history, &topic, cursor).await {
            Some(events) => {
                let last = events.last().and_then(|event| event.id).unwrap_or(cursor);
                (events.into_iter().map(Item::Event).collect(), Some(last))
            }
            None => (vec![Item::Resync], None),
        },
    };
    let live = Follow {
        subscription,
        history,
        gate,
        topic,
        who,
        last,
        pending: VecDeque::new(),
    };
    let items = stream::iter(replayed).chain(live.into_stream());
    UntilRevoked {
        items: Some(Box::pin(items)),
    }
}

/// The events of `topic` after `cursor`, if there are at most [`MAX_REPLAY`] of them.
pub(super) async fn read_back(
    history: &dyn History,
    topic: &str,
    cursor: i64,
) -> Option<Vec<LiveEvent>> {
    let events = history.after(topic, cursor, MAX_REPLAY + 1).await?;
    (events.len() <= MAX_REPLAY as usize).then_some(events)
}

/// A stream's live part: the subscription's events for its subscriber, after the last
/// cursor it sent.
struct Follow {
    subscription: Subscription,
    history: Arc<dyn History>,
    gate: Arc<dyn Gate>,
    topic: Arc<str>,
    who: Option<Arc<str>>,
    /// The newest cursor sent; `None` before the first.
    last: Option<i64>,
    /// Items to send before the next event: what a read-back found.
    pending: VecDeque<Item>,
}

impl Follow {
    fn into_stream(self) -> impl Stream<Item = Item> + Send {
        stream::unfold(self, |mut follow| async move {
            let item = follow.next_item().await?;
            Some((item, follow))
        })
    }

    async fn next_item(&mut self) -> Option<Item> {
        loop {
            if let Some(item) = self.pending.pop_front() {
                return Some(item);
            }
            let event = match self.subscription.next().await? {
                Ok(event) => event,
                Err(Lagged) => return Some(self.readmit().await),
            };
            if !event.reaches(self.who.as_deref()) {
                continue;
            }
            if event.revokes {
                return Some(Item::Revoked);
            }
            let Some(id) = event.id else {
                return Some(Item::Event(event));
            };
            match (self.last, event.after) {
                (Some(last), _) if id <= last => {}
                (Some(last), Some(after)) if after > last => self.fill(last, after, event).await,
                _ => {
                    self.last = Some(id);
                    return Some(Item::Event(event));
                }
            }
        }
    }

    /// After a lag: a resync if the gate still admits the subscriber, else the end. What
    /// it sent stays its place: the next event shows what it missed, which is read back.
    async fn readmit(&mut self) -> Item {
        match self.gate.admit(self.who.as_deref(), &self.topic).await {
            Ok(()) => Item::Resync,
            Err(_) => Item::Revoked,
        }
    }

    /// Queues what was committed between `last` (sent) and `event`, which follows `after`.
    async fn fill(&mut self, last: i64, after: i64, event: LiveEvent) {
        match read_back(&*self.history, &self.topic, last).await {
            Some(missed) => {
                let (events, newest) = catch_up(missed, last, after, event);
                self.pending.extend(events.into_iter().map(Item::Event));
                self.last = Some(newest);
            }
            None => {
                self.last = event.id;
                self.pending.extend([Item::Resync, Item::Event(event)]);
            }
        }
    }
}

/// What to pass on after cursor `passed` when `event`, which follows cursor `after`,
/// arrives early: the events `missed` (read back after `passed`) that are newer, then
/// `event` unless what was read has it (or a later change of the same thing). Answers
/// them, and the newest cursor passed on with them.
pub fn catch_up(
    missed: Vec<LiveEvent>,
    passed: i64,
    after: i64,
    event: LiveEvent,
) -> (Vec<LiveEvent>, i64) {
    let mut newest = passed;
    let mut events: Vec<LiveEvent> = missed
        .into_iter()
        .filter(|missed| {
            let newer = missed.id.is_some_and(|id| id > newest);
            newest = missed.id.filter(|_| newer).unwrap_or(newest);
            newer
        })
        .collect();
    // `after` committed before `event` was made, so the read has everything up to it.
    newest = newest.max(after);
    if let Some(id) = event.id.filter(|id| *id > newest) {
        newest = id;
        events.push(event);
    }
    (events, newest)
}

/// A topic's items up to and including a revocation: it ends right after one, without
/// waiting for another item (and costs nothing per item before that).
struct UntilRevoked<S> {
    items: Option<Pin<Box<S>>>,
}

impl<S: Stream<Item = Item>> Stream for UntilRevoked<S> {
    type Item = Item;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Item>> {
        let Some(items) = self.items.as_mut() else {
            return Poll::Ready(None);
        };
        let item = ready!(items.as_mut().poll_next(cx));
        if matches!(item, None | Some(Item::Revoked)) {
            self.items = None;
        }
        Poll::Ready(item)
    }
}

#[cfg(test)]
pub(super) mod tests {
    use futures::FutureExt;

    use super::*;
    use crate::Refusal;
    use crate::bus::InProcessBus;

    /// A topic without history: these tests resume from now.
    struct NoHistory;

    #[async_trait]
    impl History for NoHistory {
        async fn after(&self, _: &str, _: i64, _: u32) -> Option<Vec<LiveEvent>> {
            None
        }
    }

    /// What a store holds of topic `t`, committed in order.
    #[derive(Default)]
    pub struct Kept(pub std::sync::Mutex<Vec<LiveEvent>>);

    #[async_trait]
    impl History for Kept {
        async fn after(&self, _: &str, cursor: i64, limit: u32) -> Option<Vec<LiveEvent>> {
            let kept = self.0.lock().unwrap();
            let after = kept.iter().filter(|event| event.id > Some(cursor));
            Some(after.take(limit as usize).cloned().collect())
        }
    }

    /// Event `n` of topic `t`.
    pub fn numbered(n: i64) -> LiveEvent {
        LiveEvent::new("t", "message", Some(n), &n.to_string())
    }

    #[tokio::test]
    async fn a_live_event_after_one_the_stream_has_not_sent_has_the_missing_read_back_first() {
        let bus = InProcessBus::new(8);
        let kept = Arc::new(Kept::default());
        kept.0.lock().unwrap().push(numbered(1));
        let stream = resume(&bus, kept.clone(), Arc::new(OnlyAda), "t", Some(1), None);
        let mut stream = Box::pin(stream.await);
        assert!(
            stream.next().now_or_never().is_none(),
            "nothing after 1 yet"
        );
        // 2 and 3 commit in that order, but 3 is published first (from another instance).
        kept.0.lock().unwrap().extend([numbered(2), numbered(3)]);
        bus.publish(numbered(3).following(2));
        bus.publish(numbered(2).following(1));
        bus.publish(numbered(4).following(3));
        for n in 2..=4 {
            let Some(Item::Event(event)) = stream.next().await else {
                panic!("event {n}");
            };
            assert_eq!(event.id, Some(n), "each once, in order");
        }
        assert!(
            stream.next().now_or_never().is_none(),
            "2 is not sent twice"
        );
    }

    /// Admits only `ada`.
    struct OnlyAda;

    #[async_trait]
    impl Gate for OnlyAda {
        async fn admit(&self, who: Option<&str>, _: &str) -> Result<(), Refusal> {
            match who {
                Some("ada") => Ok(()),
                _ => Err(Refusal::NotFound("no t".into())),
            }
        }
    }

    async fn resume_as(bus: &InProcessBus, who: &str) -> futures::stream::BoxStream<'static, Item> {
        let history = Arc::new(NoHistory);
        let stream = resume(bus, history, Arc::new(OnlyAda), "t", None, Some(who.into()));
        stream.await.boxed()
    }

    #[tokio::test]
    async fn a_stream_that_falls_behind_the_bus_resyncs_then_goes_on_live() {
        let bus = InProcessBus::new(2);
        let mut stream = resume_as(&bus, "ada").await;
        assert!(stream.next().now_or_never().is_none(), "nothing yet");
        for n in 1..=5 {
            bus.publish(LiveEvent::new("t", "message", Some(n), "{}"));
        }
        assert!(matches!(stream.next().await, Some(Item::Resync)));
        bus.publish(LiveEvent::new("t", "message", Some(6), "{}"));
        assert!(matches!(stream.next().await, Some(Item::Event(event)) if event.id == Some(6)));
    }

    #[tokio::test]
    async fn a_stream_skips_events_for_others_and_ends_when_its_access_is_revoked() {
        let bus = InProcessBus::new(8);
        let mut stream = resume_as(&bus, "eve").await;
        assert!(stream.next().now_or_never().is_none(), "nothing yet");
        bus.publish(LiveEvent::new("t", "message", Some(1), "{}").only_for(vec!["ada".into()]));
        bus.publish(LiveEvent::revoke("t", "ada"));
        bus.publish(LiveEvent::new("t", "message", Some(2), "{}"));
        bus.publish(LiveEvent::revoke("t", "eve"));
        bus.publish(LiveEvent::new("t", "message", Some(3), "{}"));
        assert!(matches!(stream.next().await, Some(Item::Event(event)) if event.id == Some(2)));
        assert!(matches!(stream.next().await, Some(Item::Revoked)));
        assert!(
            stream.next().await.is_none(),
            "nothing after the revocation"
        );
    }

    #[tokio::test]
    async fn a_stream_that_falls_behind_is_let_go_on_only_if_the_gate_still_admits_it() {
        let bus = InProcessBus::new(2);
        let mut ada = resume_as(&bus, "ada").await;
        let mut eve = resume_as(&bus, "eve").await;
        assert!(ada.next().now_or_never().is_none() && eve.next().now_or_never().is_none());
        // Eve's revocation is among the events both streams fall too far behind to see.
        bus.publish(LiveEvent::revoke("t", "eve"));
        for n in 1..=4 {
            bus.publish(LiveEvent::new("t", "message", Some(n), "{}"));
        }
        assert!(matches!(ada.next().await, Some(Item::Resync)));
        assert!(
            matches!(eve.next().await, Some(Item::Revoked)),
            "asked again, refused"
        );
        assert!(eve.next().await.is_none());
    }
}
