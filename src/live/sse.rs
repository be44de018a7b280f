//! Serving live events as Server-Sent Events: the multi-topic stream at [`super::STREAM_PATH`],
//! and building blocks for streams dedicated to one topic.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{RawQuery, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::stream::{self, Stream, StreamExt, select_all};
use tokio::sync::{broadcast, watch};
use tokio_stream::wrappers::BroadcastStream;

use super::bus::{Bus, LiveEvent};
use super::{MAX_TOPICS, RESYNC_EVENT, is_valid_topic};

/// How long a stream may stay silent before a comment line is sent to keep it open.
pub const KEEP_ALIVE: Duration = Duration::from_secs(10);
/// How long browsers wait before reconnecting a dropped stream.
pub const RETRY: Duration = Duration::from_secs(1);

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
    pub closing: Closing,
}

/// The response every live endpoint sends: `retry`, then `events` until shutdown, with a
/// keep-alive comment whenever the stream is quiet.
pub fn respond(events: impl Stream<Item = Event> + Send + 'static, closing: Closing) -> Response {
    let events = stream::once(async { Event::default().retry(RETRY) })
        .chain(events)
        .take_until(closing.wait())
        .map(Ok::<_, Infallible>);
    let sse = Sse::new(events).keep_alive(KeepAlive::new().interval(KEEP_ALIVE).text("keep-alive"));
    let no_buffering = (
        HeaderName::from_static("x-accel-buffering"),
        HeaderValue::from_static("no"),
    );
    ([no_buffering], sse).into_response()
}

/// The events a receiver gets, as SSE frames made by `frame`. Falling behind the bus
/// becomes an explicit `resync` event, never a silent skip.
pub fn frames(
    receiver: broadcast::Receiver<LiveEvent>,
    frame: fn(&LiveEvent) -> Event,
) -> impl Stream<Item = Event> + Send + 'static {
    BroadcastStream::new(receiver).map(move |item| match item {
        Ok(event) => frame(&event),
        Err(_lagged) => resync(),
    })
}

/// The event that tells a client to re-run everything it shows.
pub fn resync() -> Event {
    Event::default().event(RESYNC_EVENT).data("{}")
}

/// `GET /live?topic=a&topic=b`: the one stream a browser tab holds; each event is named
/// by its topic.
///
/// # Errors
/// `400` when no topic is given, more than [`MAX_TOPICS`], or a malformed one.
pub async fn live_stream(
    State(live): State<LiveState>,
    RawQuery(query): RawQuery,
) -> Result<Response, (StatusCode, String)> {
    let topics = parse_topics(query.as_deref().unwrap_or_default())
        .map_err(|reason| (StatusCode::BAD_REQUEST, reason))?;
    let streams = topics.iter().map(|topic| {
        frames(live.bus.subscribe(topic), |event| {
            Event::default().event(&*event.topic).data(&*event.data)
        })
        .boxed()
    });
    Ok(respond(select_all(streams), live.closing))
}

fn parse_topics(query: &str) -> Result<Vec<String>, String> {
    let mut topics: Vec<String> = Vec::new();
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        if key != "topic" {
            continue;
        }
        if !is_valid_topic(&value) {
            return Err(format!(
                "{value:?} is not a topic: use [a-z0-9:_-], at most 64"
            ));
        }
        if !topics.iter().any(|topic| *topic == value) {
            topics.push(value.into_owned());
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

    #[test]
    fn repeated_topics_are_read_once_each() {
        assert_eq!(
            parse_topics("topic=rooms&topic=room:a&topic=rooms"),
            Ok(vec!["rooms".to_owned(), "room:a".to_owned()])
        );
    }

    #[test]
    fn no_topic_a_malformed_topic_or_too_many_are_refused() {
        assert!(parse_topics("").is_err());
        assert!(parse_topics("topic=A%20B").is_err());
        let many: Vec<String> = (0..=MAX_TOPICS).map(|n| format!("topic=t{n}")).collect();
        assert!(parse_topics(&many.join("&")).is_err());
    }
}
