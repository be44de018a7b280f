//! What the tabs of one browser say to each other: a leader lock (Web Locks) and a
//! `BroadcastChannel`, both named after the page's scope.
//!
//! # Why Web Locks and a `BroadcastChannel`, not a `SharedWorker`
//! The browser releases a lock the moment the tab holding it closes, navigates or crashes,
//! and grants it to the tab that has waited longest: hand-over needs no heartbeat or
//! timeout, and a tab holding a lock is not frozen in the background. Everything stays in
//! the page's one WASM module. A `SharedWorker` would need a second entry point and script,
//! cannot tell that a tab crashed, and does not exist in Chrome on Android.
//! The cost: Web Locks exist only in secure contexts (HTTPS, or `localhost`); elsewhere,
//! in browsers without either API, and in frames on other sites' pages that are kept from
//! storage, each tab holds a stream of its own, as before.
//!
//! Each tab also holds a lock of its own while it lives, so that the leader can forget the
//! topics of a tab that went without saying so (crashed, or discarded in the background).
//!
//! # Messages
//! Each is a JS array, first the kind: a follower tells the leader what it `want`s (and
//! `bye` when it goes); the leader says `hello` when it takes over (every tab answers with
//! its wants), and passes on each `event`, the `status`, each stream's `open` (with the
//! topics that may have missed something) and `resync`.

use std::rc::Rc;

use js_sys::{Array, Function, Object, Promise, Reflect};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{BroadcastChannel, MessageEvent};

use super::hooks::LiveStatus;
use super::streams::Gap;
use super::wants::Tab;

/// Prefix of the channel and lock names; the scope follows it.
const NAME: &str = "live-loader";

#[wasm_bindgen]
extern "C" {
    /// `navigator.locks`: web-sys has it only behind `web_sys_unstable_apis`.
    #[derive(Clone)]
    type LockManager;

    #[wasm_bindgen(method)]
    fn request(this: &LockManager, name: &str, options: &Object, callback: &Function) -> Promise;

    #[wasm_bindgen(method)]
    fn query(this: &LockManager) -> Promise;
}

pub(super) enum Message {
    Want {
        tab: Tab,
        /// Each topic with the newest cursor the tab has of it, if any.
        topics: Vec<(String, Option<i64>)>,
    },
    Bye {
        tab: Tab,
    },
    Hello,
    Event {
        topic: String,
        /// The event's own id (`topic@cursor`), if it has one.
        id: Option<String>,
        data: String,
    },
    Status(LiveStatus),
    Open(Gap),
    Resync,
}

/// The scope's channel, and its lock.
pub(super) struct Channel {
    channel: BroadcastChannel,
    locks: LockManager,
    lock: String,
}

impl Channel {
    /// The channel of the tabs of `scope`; `None` where the browser lacks what sharing needs.
    pub(super) fn open(scope: &str) -> Option<Rc<Self>> {
        // A frame on another site's page whose storage the browser withholds (third-party
        // storage blocked) is denied the locks as well, only later: it goes alone at once.
        window().local_storage().ok()?;
        let locks = Reflect::get(&window().navigator(), &"locks".into()).ok()?;
        if locks.is_undefined() || locks.is_null() {
            return None;
        }
        let name = format!("{NAME}:{scope}");
        Some(Rc::new(Self {
            channel: BroadcastChannel::new(&name).ok()?,
            locks: locks.unchecked_into(),
            lock: name,
        }))
    }

    pub(super) fn post(&self, message: &Message) {
        let _ = self.channel.post_message(&message.to_js());
    }

    /// Calls `receive` with each message from another tab, for as long as the page lives.
    pub(super) fn on_message(&self, receive: impl Fn(Message) + 'static) {
        on_data(&self.channel, move |data| {
            if let Some(message) = Message::from_js(&data) {
                receive(message);
            }
        });
    }

    /// Calls `lead` once this tab holds the scope's lock, which it then keeps until the page
    /// goes away; `lead(true)` when another tab held it first.
    pub(super) fn when_leader(self: &Rc<Self>, lead: impl FnOnce(bool) + 'static) {
        let this = Rc::clone(self);
        self.request(true, move |held| {
            if held {
                lead(false);
            } else {
                this.request(false, move |_| lead(true));
            }
        });
    }

    /// Holds a lock of this tab's own while the page lives, so that the leader can tell
    /// which tabs are still open.
    pub(super) fn hold_tab_lock(&self, tab: Tab) {
        self.request_named(&format!("{}:tab:{tab}", self.lock), false, |_| {});
    }

    /// Calls `open` with the tabs that still hold their tab lock.
    pub(super) fn open_tabs(&self, open: impl FnOnce(Vec<Tab>) + 'static) {
        let prefix = format!("{}:tab:", self.lock);
        let read = Closure::once(move |snapshot: JsValue| {
            let held = Reflect::get(&snapshot, &"held".into()).unwrap_or_default();
            let tabs = Array::from(&held)
                .iter()
                .filter_map(|lock| Reflect::get(&lock, &"name".into()).ok()?.as_string())
                .filter_map(|name| name.strip_prefix(&prefix)?.parse().ok())
                .collect();
            open(tabs);
        });
        let _ = self.locks.query().then(&read);
        read.forget();
    }

    fn request(&self, if_available: bool, granted: impl FnOnce(bool) + 'static) {
        self.request_named(&self.lock, if_available, granted);
    }

    fn request_named(&self, name: &str, if_available: bool, granted: impl FnOnce(bool) + 'static) {
        let options = Object::new();
        if if_available {
            let _ = Reflect::set(&options, &"ifAvailable".into(), &JsValue::TRUE);
        }
        let callback = Closure::once_into_js(move |lock: JsValue| {
            let held = !lock.is_null();
            granted(held);
            // The lock is held until the promise settles: never, while the page lives.
            if held {
                Promise::new(&mut |_, _| {})
            } else {
                Promise::resolve(&JsValue::UNDEFINED)
            }
        });
        let _ = self.locks.request(name, &options, callback.unchecked_ref());
    }
}

/// Reloads this page when another tab of the browser starts with a different scope: the
/// sign-in cookie it was rendered with has changed for every tab (signed out, or in as
/// someone else), so what it shows, and the topics it asks for, are someone else's.
pub(super) fn follow_scope(scope: String) {
    let Ok(channel) = BroadcastChannel::new(NAME) else {
        return;
    };
    let _ = channel.post_message(&JsValue::from_str(&scope));
    on_data(&channel, move |data| {
        if data.as_string().is_some_and(|other| other != scope) {
            let _ = window().location().reload();
        }
    });
}

/// Listens to `channel` for as long as the page lives.
fn on_data(channel: &BroadcastChannel, receive: impl Fn(JsValue) + 'static) {
    let listener = Closure::<dyn Fn(MessageEvent)>::new(move |event: MessageEvent| {
        receive(event.data());
    });
    channel.set_onmessage(Some(listener.as_ref().unchecked_ref()));
    listener.forget();
}

fn window() -> web_sys::Window {
    web_sys::window().expect("a tab has a window")
}

impl Message {
    fn to_js(&self) -> Array {
        let text = |text: &str| JsValue::from_str(text);
        let number = |n: f64| JsValue::from_f64(n);
        let array = Array::new();
        match self {
            Self::Want { tab, topics } => {
                array.push(&text("want"));
                array.push(&number(f64::from(*tab)));
                for (topic, cursor) in topics {
                    array.push(&text(topic));
                    array.push(&cursor.map_or(JsValue::NULL, |c| number(c as f64)));
                }
            }
            Self::Bye { tab } => {
                array.push(&text("bye"));
                array.push(&number(f64::from(*tab)));
            }
            Self::Hello => {
                array.push(&text("hello"));
            }
            Self::Event { topic, id, data } => {
                array.push(&text("event"));
                array.push(&text(topic));
                array.push(&id.as_deref().map_or(JsValue::NULL, text));
                array.push(&text(data));
            }
            Self::Status(status) => {
                array.push(&text("status"));
                array.push(&text(status.label()));
            }
            Self::Open(gap) => {
                array.push(&text("open"));
                if let Gap::Topics(topics) = gap {
                    for topic in topics {
                        array.push(&text(topic));
                    }
                } else {
                    array.push(&JsValue::TRUE);
                }
            }
            Self::Resync => {
                array.push(&text("resync"));
            }
        }
        array
    }

    fn from_js(value: &JsValue) -> Option<Self> {
        let array: &Array = value.dyn_ref()?;
        let text = |at: u32| array.get(at).as_string();
        let tab = |at: u32| array.get(at).as_f64().map(|n| n as Tab);
        Some(match text(0)?.as_str() {
            "want" => Self::Want {
                tab: tab(1)?,
                topics: (2..array.length())
                    .step_by(2)
                    .map(|at| Some((text(at)?, array.get(at + 1).as_f64().map(|c| c as i64))))
                    .collect::<Option<_>>()?,
            },
            "bye" => Self::Bye { tab: tab(1)? },
            "hello" => Self::Hello,
            "event" => Self::Event {
                topic: text(1)?,
                id: text(2),
                data: text(3)?,
            },
            "status" => Self::Status(LiveStatus::from_label(&text(1)?)?),
            "open" if array.get(1).is_truthy() && text(1).is_none() => Self::Open(Gap::All),
            "open" => Self::Open(Gap::Topics((1..array.length()).filter_map(text).collect())),
            "resync" => Self::Resync,
            _ => return None,
        })
    }
}
