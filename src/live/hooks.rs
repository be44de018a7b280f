//! `provide_live` / `use_live` / `use_live_status`: the reactive side of live resources.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use leptos::prelude::*;

/// The state of the tab's live connection.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LiveStatus {
    /// Not connected yet (also during SSR).
    #[default]
    Connecting,
    /// Connected: updates arrive as they happen.
    Live,
    /// The connection dropped; the browser is trying again.
    Reconnecting,
    /// The browser reports no network.
    Offline,
}

impl LiveStatus {
    /// A short word for people.
    pub fn label(self) -> &'static str {
        match self {
            Self::Connecting => "connecting",
            Self::Live => "live",
            Self::Reconnecting => "reconnecting",
            Self::Offline => "offline",
        }
    }
}

/// Shared by the hooks and the connection; provided by [`provide_live`].
#[derive(Clone, Copy)]
pub(super) struct LiveContext {
    pub(super) status: RwSignal<LiveStatus>,
    /// Each topic some mounted component needs, with how many need it.
    pub(super) topics: RwSignal<BTreeMap<String, usize>>,
    /// How many times each topic has fired (or been resynced) in this tab.
    pub(super) versions: RwSignal<HashMap<String, u64>>,
}

impl LiveContext {
    fn retain(&self, topic: &str) {
        self.topics
            .update(|topics| *topics.entry(topic.to_owned()).or_default() += 1);
    }

    fn release(&self, topic: &str) {
        self.topics.update(|topics| {
            if let Some(users) = topics.get_mut(topic) {
                *users -= 1;
                if *users == 0 {
                    topics.remove(topic);
                }
            }
        });
    }
}

/// Sets up live resources for everything below; call once, near the root.
///
/// In the browser this opens the tab's one connection as soon as a component needs a
/// topic, and closes it when the owner is cleaned up. During SSR it connects nothing.
pub fn provide_live() {
    let live = LiveContext {
        status: RwSignal::new(LiveStatus::default()),
        topics: RwSignal::new(BTreeMap::new()),
        versions: RwSignal::new(HashMap::new()),
    };
    provide_context(live);
    #[cfg(feature = "hydrate")]
    super::connection::start(live);
}

/// Declares that the calling component depends on `topic`, and returns a version that
/// changes each time the topic fires. Key a resource on it to re-run it:
///
/// ```text
/// let version = use_live(move || format!("room:{}", slug.get()));
/// let messages = Resource::new(move || (slug.get(), version.get()), |(slug, _)| fetch(slug));
/// ```
///
/// `topic` is reactive: when it changes, the tab's connection switches topics.
///
/// # Server-Side Rendering
/// On the server the version stays `0` and nothing subscribes, so a resource keyed on it
/// loads once and hydrates with the same key.
///
/// # Panics
/// If [`provide_live`] was not called above.
pub fn use_live(topic: impl Fn() -> String + Send + Sync + 'static) -> Memo<u64> {
    let live = expect_context::<LiveContext>();
    let topic = Memo::new(move |_| topic());
    let registered: Arc<Mutex<Option<String>>> = Arc::default();
    Effect::new({
        let registered = Arc::clone(&registered);
        move |_| {
            let current = topic.get();
            let mut registered = registered.lock().expect("live registration poisoned");
            if registered.as_deref() != Some(current.as_str()) {
                if let Some(previous) = registered.replace(current.clone()) {
                    live.release(&previous);
                }
                live.retain(&current);
            }
        }
    });
    on_cleanup(move || {
        let previous = registered
            .lock()
            .expect("live registration poisoned")
            .take();
        if let Some(previous) = previous {
            live.release(&previous);
        }
    });
    Memo::new(move |_| topic.with(|t| live.versions.with(|v| v.get(t).copied().unwrap_or(0))))
}

/// The state of the tab's live connection, for an indicator.
///
/// # Panics
/// If [`provide_live`] was not called above.
pub fn use_live_status() -> Signal<LiveStatus> {
    expect_context::<LiveContext>().status.into()
}
