//! Comment threads: a thread is a room of its own kind, under one page of a site allowed to
//! embed Murmur. Its comments are the room's messages.

use serde::{Deserialize, Serialize};

use crate::js::from_js_fields;

/// A thread as the API answers it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Thread {
    /// Its room's slug: its messages, stream, edits and deletions are the room's.
    pub room: String,
    /// The page it is under.
    pub url: String,
    pub title: String,
    /// How many comments stand in it (deleted ones not counted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<i64>,
}

from_js_fields!(Thread {
    room,
    url,
    title,
    count
});
