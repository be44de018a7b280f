//! Resuming a topic after a cursor: first the history the client missed, read from durable
//! storage (so it survives a restart), then live events — with no gap and no duplicate at
//! the seam between the two.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use async_trait::async_trait;
use futures::future::{Either, ready};
use futures::stream::{self, Stream, StreamExt};

use super::bus::Bus;
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
/// other; those in both are sent once. (Subscribing first is also what makes a revocation
/// published after an access check reach the stream that passed it.)
pub fn resume(
    bus: &dyn Bus,
    history: Arc<dyn History>,
    gate: Arc<dyn Gate>,
    topic: &str,
    cursor: Option<i64>,
    who: Option<Arc<str>>,
) -> impl Stream<Item = Item> + Send + 'static {
    let subscription = bus.subscribe(topic);
    let topic: Arc<str> = topic.into();
    let items = stream::once(async move {
        let (replayed, seam) = match cursor {
            None => (Vec::new(), None),
            Some(cursor) => match history.after(&topic, cursor, MAX_REPLAY + 1).await {
                Some(events) if events.len() <= MAX_REPLAY as usize => {
                    let seam = events.last().and_then(|event| event.id).unwrap_or(cursor);
                    (events.into_iter().map(Item::Event).collect(), Some(seam))
                }
                _ => (vec![Item::Resync], None),
            },
        };
        let live = subscription.filter_map(move |received| match received {
            Ok(event) => Either::Left(ready(match event {
                event if !event.reaches(who.as_deref()) => None,
                event if event.revokes => Some(Item::Revoked),
                event if event.id.zip(seam).is_some_and(|(id, seam)| id <= seam) => None,
                event => Some(Item::Event(event)),
            })),
            Err(_lagged) => {
                let (gate, who, topic) = (Arc::clone(&gate), who.clone(), Arc::clone(&topic));
                Either::Right(async move {
                    let admitted = gate.admit(who.as_deref(), &topic).await.is_ok();
                    Some(if admitted {
                        Item::Resync
                    } else {
                        Item::Revoked
                    })
                })
            }
        });
        stream::iter(replayed).chain(live)
    })
    .flatten();
    UntilRevoked {
        items: Some(Box::pin(items)),
    }
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
mod tests {
    use futures::FutureExt;

    use super::*;
    use crate::error::AppError;
    use crate::live::bus::InProcessBus;

    /// A topic without history: these tests resume from now.
    struct NoHistory;

    #[async_trait]
    impl History for NoHistory {
        async fn after(&self, _: &str, _: i64, _: u32) -> Option<Vec<LiveEvent>> {
            None
        }
    }

    /// Admits only `ada`.
    struct OnlyAda;

    #[async_trait]
    impl Gate for OnlyAda {
        async fn admit(&self, who: Option<&str>, _: &str) -> Result<(), AppError> {
            match who {
                Some("ada") => Ok(()),
                _ => Err(AppError::RoomNotFound("t".into())),
            }
        }
    }

    fn resume_as(bus: &InProcessBus, who: &str) -> futures::stream::BoxStream<'static, Item> {
        resume(
            bus,
            Arc::new(NoHistory),
            Arc::new(OnlyAda),
            "t",
            None,
            Some(who.into()),
        )
        .boxed()
    }

    #[tokio::test]
    async fn a_stream_that_falls_behind_the_bus_resyncs_then_goes_on_live() {
        let bus = InProcessBus::new(2);
        let mut stream = resume_as(&bus, "ada");
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
        let mut stream = resume_as(&bus, "eve");
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
        let mut ada = resume_as(&bus, "ada");
        let mut eve = resume_as(&bus, "eve");
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
