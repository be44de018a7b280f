//! Live events on the wire as Server-Sent Events: frames, the response head, and reading
//! what a stream request asks for.

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, header};
use axum::response::Response;
use futures::future;
use futures::stream::{self, BoxStream, Stream, StreamExt};
use tokio::sync::watch;

use super::event::LiveEvent;
use super::replay::Item;
use super::{MAX_TOPICS, RESYNC_EVENT, REVOKED_EVENT, is_valid_topic};

/// How long a stream may stay silent before a comment line is sent to keep it open.
pub const KEEP_ALIVE: Duration = Duration::from_secs(10);

/// Tells open streams that the server is shutting down, so they end instead of holding
/// the shutdown open.
#[derive(Clone, Debug)]
pub struct Closing(watch::Receiver<bool>);

impl Closing {
    /// A new signal, and the sender that raises it with `send(true)`.
    pub fn new() -> (watch::Sender<bool>, Self) {
        let (sender, receiver) = watch::channel(false);
        (sender, Self(receiver))
    }

    /// Resolves once the server is shutting down (or the sender is gone).
    pub async fn wait(mut self) {
        let _closed = self.0.wait_for(|closing| *closing).await;
    }
}

/// What a live stream sends, as it goes on the wire; made by [`super::LiveState`].
pub type Body = BoxStream<'static, Bytes>;

/// The response that carries a stream's `body` through the HTTP router.
pub fn respond(body: Body) -> Response {
    Response::builder()
        .header(header::CONTENT_TYPE, "text/event-stream")
        .header(header::CACHE_CONTROL, "no-cache")
        .header("x-accel-buffering", "no")
        .body(axum::body::Body::from_stream(body.map(Ok::<_, Infallible>)))
        .expect("a valid SSE response")
}

/// Tells browsers to wait 1 s before reconnecting a dropped stream.
const RETRY_FRAME: &[u8] = b"retry: 1000\n\n";
/// Keeps a quiet stream open through proxies.
const KEEP_ALIVE_FRAME: &[u8] = b": keep-alive\n\n";
/// The frame of a [`super::RESYNC_EVENT`].
const RESYNC_FRAME: &[u8] = b"event: resync\ndata: {}\n\n";

/// Which of an event's frames a stream sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Frame {
    /// A stream dedicated to one topic: `event: <name>`, `id: <id>`.
    Topic,
    /// The multi-topic stream: `event: <topic>`, `id: <topic>@<id>`.
    Live,
}

/// Items as SSE frames: each event's own frame (written once, when the event was made),
/// resyncs and revocations as a `resync` event.
///
/// On the multi-topic stream, a resync that ends `topic` (its subscriber lost access) names
/// it, `{"revoked":"room:a"}`, so that a client stops asking for it.
pub(super) fn frames(
    items: impl Stream<Item = Item> + Send + 'static,
    frame: Frame,
    topic: &str,
) -> impl Stream<Item = Bytes> + Send + 'static {
    let revoked = format!("event: {RESYNC_EVENT}\ndata: {{\"{REVOKED_EVENT}\":\"{topic}\"}}\n\n");
    items.map(move |item| match (item, frame) {
        (Item::Event(event), frame) => framed(&event, frame),
        (Item::Revoked, Frame::Live) => Bytes::from(revoked.clone()),
        (Item::Resync | Item::Revoked, _) => Bytes::from_static(RESYNC_FRAME),
    })
}

/// `event`'s frame for a stream framed as `frame`.
pub(super) fn framed(event: &LiveEvent, frame: Frame) -> Bytes {
    match frame {
        Frame::Topic => event.topic_frame.clone(),
        Frame::Live => event.live_frame.clone(),
    }
}

/// A stream's body: `retry`, then `frames` until they end (the bus closes them when the
/// server shuts down), with a keep-alive comment whenever it has been quiet for
/// [`KEEP_ALIVE`]; `guard` lives as long as the body.
pub(super) fn body<G: Send + Unpin + 'static>(
    frames: impl Stream<Item = Bytes> + Send + Unpin + 'static,
    guard: G,
) -> Body {
    let frames = stream::once(future::ready(Bytes::from_static(RETRY_FRAME))).chain(frames);
    let mut ticks = tokio::time::interval(KEEP_ALIVE / 2);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    KeepAlive {
        frames,
        ticks,
        quiet: 0,
        _guard: guard,
    }
    .boxed()
}

/// `frames`, and a keep-alive frame after two ticks of half [`KEEP_ALIVE`] without one.
/// The timer ticks whatever is sent, rather than being reset for every frame: a reset per
/// frame per subscriber was a measurable part of a fan-out's cost.
struct KeepAlive<S, G> {
    frames: S,
    ticks: tokio::time::Interval,
    /// Ticks since the last frame.
    quiet: u8,
    /// What lives as long as the body.
    _guard: G,
}

impl<S: Stream<Item = Bytes> + Unpin, G: Unpin> Stream for KeepAlive<S, G> {
    type Item = Bytes;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Bytes>> {
        let this = self.get_mut();
        if let Poll::Ready(frame) = this.frames.poll_next_unpin(cx) {
            this.quiet = 0;
            return Poll::Ready(frame);
        }
        while this.ticks.poll_tick(cx).is_ready() {
            this.quiet += 1;
            if this.quiet >= 2 {
                this.quiet = 0;
                return Poll::Ready(Some(Bytes::from_static(KEEP_ALIVE_FRAME)));
            }
        }
        Poll::Pending
    }
}

/// The cursor a reconnecting client sends in `Last-Event-ID`, if any.
pub fn last_event_id(headers: &HeaderMap) -> Option<&str> {
    headers
        .get("last-event-id")
        .and_then(|value| value.to_str().ok())
        .filter(|id| !id.is_empty())
}

/// `topic` or `topic@cursor`.
pub(super) fn parse_topic_cursor(text: &str) -> Option<(String, i64)> {
    let (topic, cursor) = text.split_once('@')?;
    Some((
        topic.to_owned(),
        cursor.parse().ok().filter(|cursor| *cursor >= 0)?,
    ))
}

/// The topics of a `/live` query, each with the cursor it resumes after, if any.
pub(super) fn parse_topics(query: &str) -> Result<Vec<(String, Option<i64>)>, String> {
    let mut topics: Vec<(String, Option<i64>)> = Vec::new();
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        if key != "topic" {
            continue;
        }
        let (topic, cursor) = match value.split_once('@') {
            None => (value.to_string(), None),
            Some(_) => match parse_topic_cursor(&value) {
                Some((topic, cursor)) => (topic, Some(cursor)),
                None => return Err(format!("{value:?}: a cursor is a number, as in topic@42")),
            },
        };
        if !is_valid_topic(&topic) {
            return Err(format!(
                "{topic:?} is not a topic: use [a-z0-9:_-], at most 64"
            ));
        }
        if !topics.iter().any(|(known, _)| *known == topic) {
            topics.push((topic, cursor));
        }
    }
    match topics.len() {
        0 => Err("name at least one topic: /live?topic=…".into()),
        n if n > MAX_TOPICS => Err(format!("at most {MAX_TOPICS} topics per stream")),
        _ => Ok(topics),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RESYNC_EVENT;

    #[test]
    fn the_resync_frame_carries_the_resync_event() {
        let frame = std::str::from_utf8(RESYNC_FRAME).unwrap();
        assert_eq!(
            frame.lines().next(),
            Some(format!("event: {RESYNC_EVENT}").as_str())
        );
    }

    #[test]
    fn repeated_topics_are_read_once_each() {
        assert_eq!(
            parse_topics("topic=rooms&topic=room:a@42&topic=rooms"),
            Ok(vec![
                ("rooms".to_owned(), None),
                ("room:a".to_owned(), Some(42))
            ])
        );
    }

    #[test]
    fn no_topic_a_malformed_topic_or_too_many_are_refused() {
        assert!(parse_topics("").is_err());
        assert!(parse_topics("topic=A%20B").is_err());
        assert!(parse_topics("topic=room:a@x").is_err());
        assert!(parse_topics("topic=room:a@-1").is_err());
        let many: Vec<String> = (0..=MAX_TOPICS).map(|n| format!("topic=t{n}")).collect();
        assert!(parse_topics(&many.join("&")).is_err());
    }
}
