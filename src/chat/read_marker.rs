//! Reading to the bottom: tells the server how far a signed-in reader has read a room — the
//! newest message shown, once they are at the bottom with the tab in view — one request at
//! a time, the furthest place sent after it. (Opening the room read it up to then, unless
//! another site opened it: then this reads it from nothing.) Called from event handlers
//! and effects only, which run in the browser.

use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos::task::spawn_local;

use super::server_fns::ReadRoom;
use crate::fetch::call;

/// Where the reader has read a room up to, as told to the server; cheap to copy.
#[derive(Clone, Copy)]
pub struct ReadMarker {
    slug: StoredValue<String>,
    /// The furthest place asked for.
    wanted: StoredValue<i64>,
    /// Whether a request is on its way.
    sending: StoredValue<bool>,
}

impl ReadMarker {
    /// The marker of room `slug`, read up to message `read`.
    pub fn new(slug: String, read: i64) -> Self {
        Self {
            slug: StoredValue::new(slug),
            wanted: StoredValue::new(read),
            sending: StoredValue::new(false),
        }
    }

    /// The reader is at the bottom, where the newest message shown is `newest`: unless the
    /// tab is out of view, that is read.
    pub fn reached(&self, newest: i64) {
        let visible = document().visibility_state() == web_sys::VisibilityState::Visible;
        if newest <= self.wanted.get_value() || !visible {
            return;
        }
        self.wanted.set_value(newest);
        if self.sending.get_value() {
            return;
        }
        self.sending.set_value(true);
        let marker = *self;
        spawn_local(async move {
            loop {
                let up_to = marker.wanted.get_value();
                let slug = marker.slug.get_value();
                let fields = [("slug", slug.as_str()), ("up_to", &up_to.to_string())];
                let _ = call::<()>(ReadRoom::PATH, &fields).await;
                if marker.wanted.get_value() == up_to {
                    break;
                }
            }
            marker.sending.set_value(false);
        });
    }
}
