//! `provide_live` / `use_live` / `use_live_status`: the reactive side of live resources.

use std::cell::Cell;
use std::rc::Rc;
use std::sync::{Arc, Mutex, PoisonError};

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

    /// The status a [`Self::label`] names.
    pub fn from_label(label: &str) -> Option<Self> {
        [
            Self::Connecting,
            Self::Live,
            Self::Reconnecting,
            Self::Offline,
        ]
        .into_iter()
        .find(|status| status.label() == label)
    }
}

/// Shared by the hooks and the connection: one per server render, one per browser tab.
#[derive(Clone, Copy)]
pub(super) struct LiveContext {
    pub(super) status: RwSignal<LiveStatus>,
    /// Every topic the tab has used. A handful at most, so a list.
    pub(super) topics: RwSignal<Vec<Topic>>,
}

/// What the tab knows about one topic.
pub(super) struct Topic {
    pub(super) name: String,
    /// How many mounted components need it; the connection carries those with any.
    pub(super) users: usize,
    /// How many times it has fired (or been resynced) in this tab.
    pub(super) version: u64,
    /// The newest cursor the tab has: the stream resumes after it, and events up to it
    /// are not news. Kept after the last user leaves.
    pub(super) cursor: i64,
    /// What take events' payloads in place of a re-run: each component's own.
    pub(super) appliers: Vec<Applier>,
}

/// Takes an event's payload; `false` if it could not, and the topic should re-run instead.
pub(super) type Applier = Arc<dyn Fn(&str) -> bool + Send + Sync>;

/// `name`'s entry, made if the tab has none yet.
pub(super) fn entry<'a>(topics: &'a mut Vec<Topic>, name: &str) -> &'a mut Topic {
    let at = match topics.iter().position(|topic| topic.name == name) {
        Some(at) => at,
        None => {
            topics.push(Topic {
                name: name.to_owned(),
                users: 0,
                version: 0,
                cursor: i64::MIN,
                appliers: Vec::new(),
            });
            topics.len() - 1
        }
    };
    &mut topics[at]
}

impl LiveContext {
    fn new() -> Self {
        Self {
            status: RwSignal::new(LiveStatus::default()),
            topics: RwSignal::new(Vec::new()),
        }
    }

    /// Reads `name`'s entry, if the tab has one, without tracking.
    #[cfg(feature = "hydrate")]
    pub(super) fn with_topic<T>(&self, name: &str, read: impl FnOnce(&Topic) -> T) -> Option<T> {
        self.topics
            .try_with_untracked(|topics| topics.iter().find(|topic| topic.name == name).map(read))
            .flatten()
    }

    fn retain(&self, name: &str) {
        self.topics.update(|topics| entry(topics, name).users += 1);
    }

    fn release(&self, name: &str) {
        self.topics.update(|topics| {
            let topic = entry(topics, name);
            topic.users = topic.users.saturating_sub(1);
        });
    }

    /// Records `cursor` for `topic`; returns whether it is newer than what the tab had.
    pub(super) fn advance(&self, name: &str, cursor: i64) -> bool {
        self.topics
            .try_update_untracked(|topics| {
                let topic = entry(topics, name);
                let newer = cursor > topic.cursor;
                topic.cursor = topic.cursor.max(cursor);
                newer
            })
            .unwrap_or(false)
    }
}

/// Sets up live resources for a server render; call once, near the root. (In the browser
/// the islands of a page share one `LiveContext` per tab, made on first use.)
pub fn provide_live() {
    provide_context(LiveContext::new());
}

/// The render's context on the server; in the browser, the tab's, which opens the tab's one
/// connection as soon as an island needs a topic.
fn live_context() -> LiveContext {
    #[cfg(feature = "hydrate")]
    {
        thread_local! {
            static TAB: LiveContext = for_the_tab(|| {
                let live = LiveContext::new();
                super::connection::start(live);
                live
            });
        }
        TAB.with(|live| *live)
    }
    #[cfg(not(feature = "hydrate"))]
    expect_context::<LiveContext>()
}

/// Runs `init` under an owner of its own that lasts as long as the tab: what it makes is
/// shared by every island of the page.
///
/// The caller's owner stays current afterwards. (`Owner::new_root` makes itself current
/// for good; left so, the island being hydrated would hand its view to the tab's owner and
/// drop its own, disposing the signals it had made so far.)
#[cfg(feature = "hydrate")]
pub fn for_the_tab<T>(init: impl FnOnce() -> T) -> T {
    let caller = Owner::current();
    let owner = Owner::new_root(None);
    let made = owner.with(init);
    match caller {
        Some(caller) => caller.set(),
        None => owner.clone().unset(),
    }
    std::mem::forget(owner);
    made
}

/// A topic the calling component depends on; see [`use_live`].
#[derive(Clone, Copy)]
pub struct LiveTopic {
    topic: Memo<String>,
    version: Memo<u64>,
    live: LiveContext,
}

impl LiveTopic {
    /// Changes each time the topic fires with something new, and after anything that may
    /// have been missed (a reconnect, a resync, the tab coming back). Reading it tracks it.
    pub fn version(&self) -> u64 {
        self.version.get()
    }

    /// Tells the connection the page already shows the topic up to `cursor`: the stream
    /// resumes after it, and events up to it don't fire. Call it with the cursor of data
    /// the page rendered (closing the gap between render and subscribe) and of data it
    /// received some other way (a post's own reply).
    pub fn seen(&self, cursor: i64) {
        self.live.advance(&self.topic.get_untracked(), cursor);
    }

    /// Hands each new event's payload to `apply` instead of changing the version, so the
    /// page updates without fetching. `apply` returns `false` for a payload it can't use.
    /// Several components may apply one topic's events, each taking what it knows: every
    /// one is handed every payload, and the version changes as usual for a payload none of
    /// them took. Reconnects and resyncs still change the version: re-read what may have
    /// been missed then. Lasts until the calling owner is cleaned up.
    pub fn apply(&self, apply: impl Fn(&str) -> bool + Send + Sync + 'static) {
        let name = self.topic.get_untracked();
        let topics = self.live.topics;
        let apply: Applier = Arc::new(apply);
        let mine = Arc::clone(&apply);
        topics.update_untracked(|topics| entry(topics, &name).appliers.push(apply));
        on_cleanup(move || {
            topics.try_update_untracked(|topics| {
                entry(topics, &name)
                    .appliers
                    .retain(|known| !Arc::ptr_eq(known, &mine))
            });
        });
    }
}

/// Declares that the calling component depends on `topic`, and returns it; key a
/// resource on its version to re-run it:
///
/// ```text
/// let room = use_live(move || format!("room:{}", slug.get()));
/// let messages = Resource::new(move || (slug.get(), room.version()), |(slug, _)| fetch(slug));
/// ```
///
/// `topic` is reactive: when it changes, the tab's connection switches topics.
///
/// # Server-Side Rendering
/// On the server the version stays `0` and nothing subscribes, so a resource keyed on it
/// loads once and hydrates with the same key.
///
/// # Panics
/// On the server, if [`provide_live`] was not called above.
pub fn use_live(topic: impl Fn() -> String + Send + Sync + 'static) -> LiveTopic {
    let live = live_context();
    let topic = Memo::new(move |_| topic());
    let registered: Arc<Mutex<Option<String>>> = Arc::default();
    Effect::new({
        let registered = Arc::clone(&registered);
        move |_| {
            let current = topic.get();
            let mut registered = registered.lock().unwrap_or_else(PoisonError::into_inner);
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
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(previous) = previous {
            live.release(&previous);
        }
    });
    let version = Memo::new(move |_| {
        topic.with(|name| {
            live.topics.with(|topics| {
                topics
                    .iter()
                    .find(|topic| topic.name == *name)
                    .map_or(0, |topic| topic.version)
            })
        })
    });
    LiveTopic {
        topic,
        version,
        live,
    }
}

/// The state of the tab's live connection, for an indicator.
///
/// # Panics
/// On the server, if [`provide_live`] was not called above.
pub fn use_live_status() -> ReadSignal<LiveStatus> {
    live_context().status.read_only()
}

impl LiveTopic {
    /// Runs `refetch` each time the version changes after the first render, one run at a
    /// time: a burst of changes costs one run in flight plus one after it. In the browser
    /// only; on the server the version never changes.
    pub fn refetch<F>(&self, refetch: impl Fn() -> F + 'static)
    where
        F: Future<Output = ()> + 'static,
    {
        let version = self.version;
        let run = Rc::new(Cell::new(Run::Idle));
        let refetch = Rc::new(refetch);
        Effect::new(move |seen: Option<u64>| {
            let current = version.get();
            if seen.is_some_and(|seen| seen != current) {
                match run.replace(Run::Running) {
                    Run::Idle => {
                        let (run, refetch) = (Rc::clone(&run), Rc::clone(&refetch));
                        leptos::task::spawn_local(async move {
                            loop {
                                refetch().await;
                                if run.replace(Run::Idle) != Run::Behind {
                                    break;
                                }
                                run.set(Run::Running);
                            }
                        });
                    }
                    Run::Running | Run::Behind => run.set(Run::Behind),
                }
            }
            current
        });
    }
}

/// Where [`LiveTopic::refetch`]'s runs are.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Run {
    Idle,
    Running,
    /// Running, and the version moved since it started: run again after.
    Behind,
}
