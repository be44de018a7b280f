//! Serving live events as Server-Sent Events: the multi-topic stream at [`super::STREAM_PATH`],
//! and building blocks for streams dedicated to one topic.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use futures::stream::{self, BoxStream, Stream, StreamExt, select_all};
use tokio::sync::watch;

use super::bus::{Bus, LiveEvent};
use super::replay::{History, Item, resume};
use super::{MAX_TOPICS, is_valid_topic};

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

/// What the live endpoints need from the app's state.
#[derive(Clone)]
pub struct LiveState {
    pub bus: Arc<dyn Bus>,
    pub history: Arc<dyn History>,
    pub closing: Closing,
    /// How many streams are open now.
    pub open_streams: Arc<AtomicU64>,
}

impl LiveState {
    /// `frames` as a stream's [`Body`]: `retry`, then `frames` until shutdown, with a
    /// keep-alive comment whenever the stream has been quiet for [`KEEP_ALIVE`]. Counted in
    /// [`Self::open_streams`] until it is dropped.
    pub fn body(&self, frames: impl Stream<Item = Bytes> + Send + 'static) -> Body {
        let open = OpenStream::new(&self.open_streams);
        let frames = stream::once(async { Bytes::from_static(RETRY_FRAME) }).chain(frames);
        tokio_stream::StreamExt::timeout_repeating(frames, tokio::time::interval(KEEP_ALIVE))
            .map(move |frame| {
                let _open = &open;
                frame.unwrap_or(Bytes::from_static(KEEP_ALIVE_FRAME))
            })
            .take_until(self.closing.clone().wait())
            .boxed()
    }

    /// `topic`'s items from `cursor` on; see [`resume`].
    pub fn resume(
        &self,
        topic: &str,
        cursor: Option<i64>,
    ) -> impl Stream<Item = Item> + Send + 'static {
        resume(&*self.bus, Arc::clone(&self.history), topic, cursor)
    }
}

/// What a live stream sends, as it goes on the wire; made by [`LiveState::body`].
pub type Body = BoxStream<'static, Bytes>;

/// Counts a stream as open for as long as it lives.
struct OpenStream(Arc<AtomicU64>);

impl OpenStream {
    fn new(open: &Arc<AtomicU64>) -> Self {
        open.fetch_add(1, Ordering::Relaxed);
        Self(Arc::clone(open))
    }
}

impl Drop for OpenStream {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

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

/// Items as SSE frames: each event's own frame picked by `frame` (written once, when the
/// event was made), resyncs as a `resync` event.
pub fn frames(
    items: impl Stream<Item = Item> + Send + 'static,
    frame: fn(&LiveEvent) -> &Bytes,
) -> impl Stream<Item = Bytes> + Send + 'static {
    items.map(move |item| match item {
        Item::Event(event) => frame(&event).clone(),
        Item::Resync => Bytes::from_static(RESYNC_FRAME),
    })
}

/// The cursor a reconnecting client sends in `Last-Event-ID`, if any.
pub fn last_event_id(headers: &HeaderMap) -> Option<&str> {
    headers
        .get("last-event-id")
        .and_then(|value| value.to_str().ok())
        .filter(|id| !id.is_empty())
}

/// `GET /live?topic=a&topic=b@42`: the one stream a browser tab holds. Each event is named
/// by its topic; one with a cursor has `id: <topic>@<cursor>`. A topic given as
/// `topic@cursor` resumes after that cursor, as does the topic named in `Last-Event-ID`.
///
/// # Errors
/// `400` when no topic is given, more than [`MAX_TOPICS`], or a malformed one.
pub async fn live_stream(
    State(live): State<LiveState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, (StatusCode, String)> {
    open_live(&live, query.as_deref(), last_event_id(&headers))
        .map(respond)
        .map_err(|reason| (StatusCode::BAD_REQUEST, reason))
}

/// The body of [`live_stream`], for a request with `query` and `last_event_id`; the reason
/// it can't be opened otherwise.
pub fn open_live(
    live: &LiveState,
    query: Option<&str>,
    last_event_id: Option<&str>,
) -> Result<Body, String> {
    let mut topics = parse_topics(query.unwrap_or_default())?;
    if let Some((topic, cursor)) = last_event_id.and_then(parse_topic_cursor) {
        for (known, known_cursor) in &mut topics {
            if *known == topic && known_cursor.is_none_or(|known| known < cursor) {
                *known_cursor = Some(cursor);
            }
        }
    }
    let streams = topics.iter().map(|(topic, cursor)| {
        frames(live.resume(topic, *cursor), |event| &event.live_frame).boxed()
    });
    Ok(live.body(select_all(streams)))
}

/// `topic` or `topic@cursor`.
fn parse_topic_cursor(text: &str) -> Option<(String, i64)> {
    let (topic, cursor) = text.split_once('@')?;
    Some((
        topic.to_owned(),
        cursor.parse().ok().filter(|cursor| *cursor >= 0)?,
    ))
}

fn parse_topics(query: &str) -> Result<Vec<(String, Option<i64>)>, String> {
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
    use crate::live::RESYNC_EVENT;

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
