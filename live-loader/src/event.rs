//! One event on one topic: its payload, who it is for, and its SSE frames, written once when
//! it is made, so every subscriber sends the very same bytes.

use std::fmt::Write;
use std::ops::Deref;
use std::sync::Arc;

use axum::body::Bytes;

/// An event as the bus carries it: a handle to [`EventData`], which it derefs to. Cloning
/// it counts one reference, so handing it to each of thousands of subscribers touches one
/// shared counter per subscriber.
#[derive(Clone, Debug)]
pub struct LiveEvent(Arc<EventData>);

/// What an event is.
#[derive(Clone, Debug)]
pub struct EventData {
    /// Which topic it belongs to, e.g. `room:lobby`.
    pub topic: Arc<str>,
    /// Its name on a stream dedicated to the topic, e.g. `message`.
    pub name: Arc<str>,
    /// A cursor into the topic's history, if the event has one.
    pub id: Option<i64>,
    /// The cursor of the topic's change before this one, if the publisher knows it: a
    /// receiver that has not seen that far knows it missed something (see
    /// [`LiveEvent::following`]).
    pub after: Option<i64>,
    /// The payload: one JSON document.
    pub data: Arc<str>,
    /// Who may receive it (usernames); `None` for every subscriber of the topic.
    pub audience: Option<Arc<[String]>>,
    /// Whether it ends the topic for its audience: their access was taken away.
    pub revokes: bool,
    /// The frame on a stream dedicated to the topic: `event: <name>`, `id: <id>`, `data:`.
    pub topic_frame: Bytes,
    /// The frame on the multi-topic stream: `event: <topic>`, `id: <topic>@<id>`, `data:`
    /// with the name inside the payload as `"kind"`.
    pub live_frame: Bytes,
}

impl LiveEvent {
    /// An event named `name` on `topic`, with cursor `id` and payload `data`, for every
    /// subscriber of the topic.
    pub fn new(topic: &str, name: &str, id: Option<i64>, data: &str) -> Self {
        Self(Arc::new(EventData {
            topic: topic.into(),
            name: name.into(),
            id,
            after: None,
            data: data.into(),
            audience: None,
            revokes: false,
            topic_frame: frame(name, id.map(|id| id.to_string()), data),
            live_frame: frame(
                topic,
                id.map(|id| format!("{topic}@{id}")),
                &with_kind(name, data),
            ),
        }))
    }

    /// The same event, saying that the topic's change before it is cursor `after`. Events
    /// that chain like this let whoever passes them on check that nothing is missing in
    /// between — a bus whose deliveries from several instances may cross, or a stream
    /// that resumed from a cursor — and read back what is.
    #[must_use]
    pub fn following(self, after: i64) -> Self {
        let mut data = Arc::unwrap_or_clone(self.0);
        data.after = Some(after);
        Self(Arc::new(data))
    }

    /// The same event, only for the subscribers signed in as one of `usernames`.
    #[must_use]
    pub fn only_for(self, usernames: Vec<String>) -> Self {
        let mut data = Arc::unwrap_or_clone(self.0);
        data.audience = Some(usernames.into());
        Self(Arc::new(data))
    }

    /// Ends `topic` for `username`'s streams at once: each sends `resync` and stops carrying
    /// the topic (a stream of that topic alone ends). Publish it after the access is gone
    /// from the store, so a new stream can't take its place.
    pub fn revoke(topic: &str, username: &str) -> Self {
        let event =
            Self::new(topic, super::REVOKED_EVENT, None, "{}").only_for(vec![username.to_owned()]);
        let mut data = Arc::unwrap_or_clone(event.0);
        data.revokes = true;
        Self(Arc::new(data))
    }

    /// Whether a subscriber signed in as `who` receives it.
    pub fn reaches(&self, who: Option<&str>) -> bool {
        match &self.audience {
            None => true,
            Some(audience) => who.is_some_and(|who| audience.iter().any(|name| name == who)),
        }
    }
}

impl LiveEvent {
    /// What a browser's `EventSource` hands over as the data of the multi-topic stream's
    /// frame: what a component's [`crate::LiveTopic::apply`] is given (for an app's tests).
    pub fn live_data(&self) -> String {
        let frame = std::str::from_utf8(&self.live_frame).expect("frames are text");
        let lines = frame.lines().filter_map(|line| line.strip_prefix("data: "));
        lines.collect::<Vec<_>>().join("\n")
    }
}

impl Deref for LiveEvent {
    type Target = EventData;

    fn deref(&self) -> &EventData {
        &self.0
    }
}

/// The payload as the multi-topic stream sends it, where the SSE event name is the topic:
/// an object gets the event's name as its first field, `"kind"` (so a payload should not
/// have a `kind` of its own); anything else is sent as it is.
fn with_kind(name: &str, data: &str) -> String {
    debug_assert!(name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
    match data.strip_prefix('{') {
        Some(rest) if rest.trim_start().starts_with('}') => format!("{{\"kind\":\"{name}\"}}"),
        Some(rest) => format!("{{\"kind\":\"{name}\",{rest}"),
        None => data.to_owned(),
    }
}

/// An SSE frame; a payload with line breaks becomes several `data:` lines.
fn frame(event: &str, id: Option<String>, data: &str) -> Bytes {
    let mut frame = format!("event: {event}\n");
    if let Some(id) = id {
        let _ = writeln!(frame, "id: {id}");
    }
    for line in data.split('\n') {
        let _ = writeln!(frame, "data: {line}");
    }
    frame.push('\n');
    Bytes::from(frame)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_is_framed_once_for_each_kind_of_stream() {
        let event = LiveEvent::new("room:a", "message", Some(7), "{\"x\":1}");
        assert_eq!(
            &event.topic_frame[..],
            b"event: message\nid: 7\ndata: {\"x\":1}\n\n"
        );
        assert_eq!(
            &event.live_frame[..],
            b"event: room:a\nid: room:a@7\ndata: {\"kind\":\"message\",\"x\":1}\n\n"
        );
        let empty = LiveEvent::new("t", "ping", None, "{}");
        assert_eq!(
            &empty.live_frame[..],
            b"event: t\ndata: {\"kind\":\"ping\"}\n\n"
        );
        let two_lines = LiveEvent::new("t", "note", None, "a\nb");
        assert_eq!(
            &two_lines.topic_frame[..],
            b"event: note\ndata: a\ndata: b\n\n"
        );
    }

    #[test]
    fn the_browser_gets_the_payload_with_its_kind_and_its_line_breaks() {
        let event = LiveEvent::new("room:a", "message", Some(7), "{\"x\":1}");
        assert_eq!(event.live_data(), "{\"kind\":\"message\",\"x\":1}");
        assert_eq!(
            LiveEvent::new("t", "note", None, "a\nb").live_data(),
            "a\nb"
        );
    }

    #[test]
    fn an_event_for_an_audience_reaches_only_those_signed_in_as_one_of_it() {
        let public = LiveEvent::new("rooms", "room", None, "{}");
        assert!(public.reaches(None) && public.reaches(Some("ada")));
        let private = public.only_for(vec!["ada".into(), "grace".into()]);
        assert!(private.reaches(Some("grace")));
        assert!(!private.reaches(Some("eve")));
        assert!(!private.reaches(None));
        let revoked = LiveEvent::revoke("room:a", "eve");
        assert!(revoked.revokes && revoked.reaches(Some("eve")) && !revoked.reaches(Some("ada")));
    }
}
