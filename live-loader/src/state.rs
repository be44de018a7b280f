//! [`LiveState`]: what the app builds once from a bus, a history, a gate and caps, and
//! opens every stream through — so each stream is capped, admitted and resumed alike.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use futures::stream::{self, StreamExt, select_all};

use super::bus::Bus;
use super::caps::{Permit, StreamCaps, StreamLimits};
use super::event::LiveEvent;
use super::gate::Gate;
use super::presence::Presence;
use super::refusal::Refusal;
use super::replay::{History, resume};
use super::sessions::{Session, SessionStreams};
use super::sse::{
    Body, Closing, Frame, body, framed, frames, last_event_id, parse_topic_cursor, parse_topics,
    respond,
};

/// The live module's server side, as the app wired it; cheap to clone.
#[derive(Clone)]
pub struct LiveState {
    bus: Arc<dyn Bus>,
    history: Arc<dyn History>,
    gate: Arc<dyn Gate>,
    presence: Presence,
    caps: Arc<StreamCaps>,
    sessions: SessionStreams,
}

/// Who opens a stream: their username and session (if signed in), and the address their
/// stream counts against.
#[derive(Clone, Debug)]
pub struct Subscriber {
    /// The subscriber's username; `None` when signed out.
    pub who: Option<Arc<str>>,
    /// The session the subscriber signed in with: the stream ends when it does.
    pub session: Option<Session>,
    /// The client address the stream counts against, in caps, rate limits and presence:
    /// the app gives an IPv6 client's /64, which one host can fill, as one address.
    pub addr: IpAddr,
}

/// How the app builds its [`LiveState`]: [`LiveState::builder`], then what it needs of the
/// rest, then [`LiveStateBuilder::build`].
#[must_use]
pub struct LiveStateBuilder {
    bus: Arc<dyn Bus>,
    gate: Arc<dyn Gate>,
    history: Arc<dyn History>,
    presence: Option<Presence>,
    closing: Option<Closing>,
    limits: StreamLimits,
}

impl LiveStateBuilder {
    /// Where topics with cursors are read back from, to resume a stream after its cursor.
    /// Without one, a stream that asks to resume gets `resync`.
    pub fn history(self, history: Arc<dyn History>) -> Self {
        Self { history, ..self }
    }

    /// Who is here, on the topics `presence` tracks. Without it, no topic has presence.
    pub fn presence(self, presence: Presence) -> Self {
        Self {
            presence: Some(presence),
            ..self
        }
    }

    /// Ends every stream (after what it holds) when `closing` fires: for a graceful
    /// shutdown. Without it, streams last as long as their connections.
    pub fn closing(self, closing: Closing) -> Self {
        Self {
            closing: Some(closing),
            ..self
        }
    }

    /// Caps on open streams other than [`StreamLimits::default`].
    pub fn limits(self, limits: StreamLimits) -> Self {
        Self { limits, ..self }
    }

    /// The live loader's server side, as built.
    pub fn build(self) -> LiveState {
        if let Some(closing) = self.closing {
            // Shutting down ends every subscription, so every stream.
            let closed = Arc::clone(&self.bus);
            tokio::spawn(async move {
                closing.wait().await;
                closed.close();
            });
        }
        let untracked: fn(&str) -> bool = |_| false;
        LiveState {
            presence: (self.presence)
                .unwrap_or_else(|| Presence::new(Arc::clone(&self.bus), Duration::ZERO, untracked)),
            bus: self.bus,
            history: self.history,
            gate: self.gate,
            caps: StreamCaps::new(self.limits),
            sessions: SessionStreams::checking_expiries(),
        }
    }
}

/// A history that keeps nothing: resuming gets `resync`.
struct NoHistory;

#[async_trait]
impl History for NoHistory {
    async fn after(&self, _topic: &str, _cursor: i64, _limit: u32) -> Option<Vec<LiveEvent>> {
        None
    }
}

impl LiveState {
    /// Streams fed by `bus` (where the app publishes each [`LiveEvent`] after its write
    /// commits), each topic admitted by `gate` first.
    pub fn builder(bus: Arc<dyn Bus>, gate: impl Gate) -> LiveStateBuilder {
        LiveStateBuilder {
            bus,
            gate: Arc::new(gate),
            history: Arc::new(NoHistory),
            presence: None,
            closing: None,
            limits: StreamLimits::default(),
        }
    }

    /// How many streams are open now, on this instance.
    pub fn open_streams(&self) -> u64 {
        self.caps.open()
    }

    /// How many topics open streams are subscribed to (see [`Bus::topics`]).
    pub fn topics(&self) -> usize {
        self.bus.topics()
    }

    /// The sessions whose streams are open: tell them when one ends
    /// ([`SessionStreams::end`]).
    pub fn sessions(&self) -> SessionStreams {
        self.sessions.clone()
    }

    /// A stream of `topics`, each resuming after its cursor (if any), with `frame`'s
    /// framing. The stream counts against the caps until it ends.
    ///
    /// The gate answers first, so a refused topic costs neither a subscription nor a read.
    /// A revocation published between the gate's answer and the subscription would miss
    /// the stream: if the bus carried one meanwhile, the gate is asked again.
    ///
    /// # Errors
    /// [`Refusal::TooOften`] when the subscriber's address opens streams too often,
    /// [`Refusal::TooMany`] or [`Refusal::Full`] past the caps; the gate's refusal of any
    /// topic.
    pub async fn open(
        &self,
        subscriber: &Subscriber,
        topics: &[(String, Option<i64>)],
        frame: Frame,
    ) -> Result<Body, Refusal> {
        let permit: Permit = StreamCaps::acquire(&self.caps, subscriber.addr)?;
        let revocations = self.bus.revocations();
        self.admit(subscriber, topics).await?;
        let mut streams = Vec::with_capacity(topics.len());
        for (topic, cursor) in topics {
            let items = resume(
                &*self.bus,
                Arc::clone(&self.history),
                Arc::clone(&self.gate),
                topic,
                *cursor,
                subscriber.who.clone(),
            );
            streams.push(frames(items.await, frame, topic).boxed());
        }
        if self.bus.revocations() != revocations {
            self.admit(subscriber, topics).await?;
        }
        // Admitted: on a topic with presence, the subscriber is here while its stream
        // carries the topic, and first learns who else is.
        let mut streams: Vec<_> = streams
            .into_iter()
            .zip(topics)
            .map(
                |(frames, (topic, _))| match self.presence.join(topic, subscriber) {
                    None => frames,
                    Some((here, now)) => stream::iter(now.map(|now| framed(&now, frame)))
                        .chain(frames)
                        .map(move |bytes| {
                            let _here = &here;
                            bytes
                        })
                        .boxed(),
                },
            )
            .collect();
        // One topic is sent as it is: merging costs a wake-up queue per event.
        let frames = match streams.len() {
            1 => streams.pop().expect("one stream"),
            _ => select_all(streams).boxed(),
        };
        let frames = match &subscriber.session {
            Some(session) => self.sessions.until_ended(session, frames).boxed(),
            None => frames,
        };
        Ok(body(frames, permit))
    }

    /// Asks the gate for each topic.
    async fn admit(
        &self,
        subscriber: &Subscriber,
        topics: &[(String, Option<i64>)],
    ) -> Result<(), Refusal> {
        for (topic, _) in topics {
            self.gate.admit(subscriber.who.as_deref(), topic).await?;
        }
        Ok(())
    }

    /// The multi-topic stream a browser tab holds: `/live?topic=a&topic=b@42`. A topic given
    /// as `topic@cursor` resumes after that cursor, as does the topic named in
    /// `last_event_id` (`topic@cursor`, which the browser sends when it reconnects).
    ///
    /// # Errors
    /// [`Refusal::BadRequest`] when no topic is given, more than [`super::MAX_TOPICS`], or a malformed
    /// one; otherwise as [`Self::open`].
    pub async fn open_live(
        &self,
        subscriber: &Subscriber,
        query: Option<&str>,
        last_event_id: Option<&str>,
    ) -> Result<Body, Refusal> {
        let mut topics = parse_topics(query.unwrap_or_default()).map_err(Refusal::BadRequest)?;
        if let Some((topic, cursor)) = last_event_id.and_then(parse_topic_cursor) {
            for (known, known_cursor) in &mut topics {
                if *known == topic && known_cursor.is_none_or(|known| known < cursor) {
                    *known_cursor = Some(cursor);
                }
            }
        }
        self.open(subscriber, &topics, Frame::Live).await
    }

    /// Answers a request for the multi-topic stream (`GET` [`crate::STREAM_PATH`]) from
    /// `subscriber`, with the request's `query` and `headers`: the stream, or the
    /// [`Refusal`] in its default words. An app that words refusals its own way calls
    /// [`Self::open_live`] and [`respond`] instead.
    pub async fn respond(
        &self,
        subscriber: &Subscriber,
        query: Option<&str>,
        headers: &HeaderMap,
    ) -> Response {
        match self
            .open_live(subscriber, query, last_event_id(headers))
            .await
        {
            Ok(body) => respond(body),
            Err(refusal) => refusal.into_response(),
        }
    }
}
