//! A person's own live events: what only their tabs receive, on their topic
//! `user:<username>` (the live gate admits no one else). Today: notifications of being
//! mentioned, and that they were read.
//!
//! Events that a client may resume after are kept as rows with an id, the topic's cursor,
//! so an event made while the person's browser was closed arrives when it reconnects.
//!
//! Shared code (both targets): the [`Notification`] type and the top bar's bell.
//! Server only: the store, the service (listing, marking read, the topic's history) and
//! the JSON API.

mod bell;
#[cfg(feature = "ssr")]
pub mod http;
pub mod server_fns;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod store;

use serde::{Deserialize, Serialize};

pub use bell::Inbox;

use crate::js::from_js_fields;
use crate::time::Timestamp;

/// What a person's topic starts with; the rest is their username.
const USER_TOPIC_PREFIX: &str = "user:";

/// The live topic of one person's own events.
pub fn user_topic(username: &str) -> String {
    format!("{USER_TOPIC_PREFIX}{username}")
}

/// The username, as written, of the person whose topic `topic` is; `None` if it is no
/// person's.
pub fn user_of_topic(topic: &str) -> Option<&str> {
    topic.strip_prefix(USER_TOPIC_PREFIX)
}

/// Whether `topic` is a person's own.
pub fn is_user_topic(topic: &str) -> bool {
    user_of_topic(topic).is_some()
}

/// Someone mentioned the person in a message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    /// Its place in the person's topic: later notifications have larger ids.
    pub id: i64,
    /// The slug of the message's room.
    pub room: String,
    pub message_id: i64,
    /// Who wrote the message.
    pub from: String,
    /// The start of the message's text as it reads now.
    pub excerpt: String,
    pub read: bool,
    pub created_at: Timestamp,
}

from_js_fields!(Notification {
    id,
    room,
    message_id,
    from,
    excerpt,
    read,
    created_at
});

/// The longest excerpt of a message a notification shows, in characters.
pub const EXCERPT_CHARS: usize = 120;

/// The start of `body` for a notification: its lines run together, at most
/// [`EXCERPT_CHARS`] characters, with `…` where it was cut.
pub fn excerpt(body: &str) -> String {
    let words: Vec<&str> = body.split_whitespace().collect();
    let text = words.join(" ");
    match text.char_indices().nth(EXCERPT_CHARS) {
        Some((cut, _)) => format!("{}…", text[..cut].trim_end()),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_excerpt_runs_lines_together_and_cuts_long_text_with_an_ellipsis() {
        assert_eq!(excerpt("hi\n  @ada\tthere"), "hi @ada there");
        let long = "é".repeat(EXCERPT_CHARS + 5);
        let cut = excerpt(&long);
        assert_eq!(cut.chars().count(), EXCERPT_CHARS + 1);
        assert!(cut.ends_with('…'));
        assert_eq!(
            excerpt(&"x".repeat(EXCERPT_CHARS)),
            "x".repeat(EXCERPT_CHARS)
        );
    }
}
