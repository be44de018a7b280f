//! `/embed/thread?url=…`: the comments under one page of another site, made to sit in a
//! frame on that page (`public/embed.js` puts it there). Its comments are its room's
//! conversation — oldest first, live, resuming without loss — under a header with their
//! count (live too). Readers sign in, comment, edit and delete inside the frame (see
//! `thread_forms.rs`); the first comment makes the thread, and until then the page waits
//! for it. The frame tells the page it sits in its height, so it grows with its comments.

use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use live_loader::{LiveIndicator, LiveStatus, use_live, use_live_status};
use serde::Serialize;

use super::conversation::{Conversation, ConversationSeed};
use super::room::refused_post;
use super::server_fns::{PostMessage, StartThread, ThreadView, thread_page};
use super::thread::Thread;
use super::thread_forms::{FirstComment, SignInHere, SignedIn};
use super::timeline::RoomChange;
use super::{THREADS_TOPIC, room_topic};
use crate::accounts::server_fns::{SignIn, SignUp};
use crate::fetch::get_json;
use crate::island::{Seed, plant, seed};
use crate::js::{self, FromJs, Json, field, from_js_fields};

/// The thread under the page the query names (`url`, titled `title`), for the frame of
/// `parent`.
#[component]
pub fn ThreadPage() -> impl IntoView {
    let query = use_query_map();
    let asked = move |name: &str| query.read_untracked().get(name);
    let view = thread_page(
        asked("url").unwrap_or_default(),
        asked("title").unwrap_or_default(),
        asked("parent"),
    );
    // With JavaScript off (or before it runs), a refused form comes back with its error.
    let refused = refused_post(&[
        SignIn::PATH,
        SignUp::PATH,
        StartThread::PATH,
        PostMessage::PATH,
    ])
    .map(|error| error.to_string());
    view! {
        {Suspend::new(async move {
            match view.await {
                Ok(view) => thread_view(view, refused).into_any(),
                Err(error) => view! {
                    <main class="thread"><p class="error" role="alert">{error.to_string()}</p></main>
                }.into_any(),
            }
        })}
    }
}

/// The thread's page from what the server read, with `refused`, a form's error, if any.
fn thread_view(view: ThreadView, refused: Option<String>) -> impl IntoView {
    let ThreadView {
        url,
        title,
        back,
        thread,
        latest,
        parent,
        me,
        moderator,
    } = view;
    let frame = parent.map(|parent| {
        view! {
            {plant(FrameSeed { parent })}
            <FrameHeight/>
        }
    });
    let scope = me.clone().unwrap_or_default();
    let account = match me.clone() {
        Some(me) => view! { <SignedIn me back/> }.into_any(),
        None => view! { <SignInHere back error=refused.clone()/> }.into_any(),
    };
    let comments = match thread {
        Some(thread) => view! {
            {plant(CountSeed {
                url,
                room: thread.room.clone(),
                count: thread.count.unwrap_or_default(),
                seen: latest.last().map_or(0, |newest| newest.id),
            })}
            <ThreadCount/>
            {plant(ConversationSeed::in_frame(thread.room, latest, me, moderator))}
            <Conversation/>
        }
        .into_any(),
        None => {
            let first = me.is_some().then(|| {
                view! {
                    <FirstComment url=url.clone() title error=refused/>
                }
            });
            view! {
                <h1 class="thread-count">{comment_count(0)}</h1>
                <p class="muted">"No comments yet."</p>
                {first}
                {plant(AwaitSeed { url })}
                <AwaitThread/>
            }
            .into_any()
        }
    };
    view! {
        <Title text="Comments"/>
        <main class="thread"><LiveIndicator scope/>{comments}{account}</main>
        {frame}
    }
}

fn comment_count(count: i64) -> String {
    match count {
        1 => "1 comment".into(),
        n => format!("{n} comments"),
    }
}

/// What [`ThreadCount`] starts from: the thread's page and room, its comments then, and
/// the newest the page shows (the stream resumes after it).
#[derive(Clone, Debug, PartialEq, Serialize)]
struct CountSeed {
    url: String,
    room: String,
    count: i64,
    seen: i64,
}

impl Seed for CountSeed {
    const ID: &'static str = "count-seed";
}

from_js_fields!(CountSeed {
    url,
    room,
    count,
    seen
});

/// The thread's count of comments, kept by its room's events (a comment adds one, a
/// deletion takes one away), and read again after anything may have been missed.
#[island]
fn ThreadCount() -> impl IntoView {
    let CountSeed {
        url,
        room,
        count,
        seen,
    } = seed();
    let count = RwSignal::new(count);
    let topic = use_live(move || room_topic(&room));
    // Hydrated before the conversation: the stream must resume after what the page shows
    // from the start, or a comment made since the render would be missed.
    topic.seen(seen);
    topic.apply(move |data| match js::parse::<RoomChange>(data) {
        Some(RoomChange::New(_)) => {
            count.update(|n| *n += 1);
            true
        }
        Some(RoomChange::Deleted(_)) => {
            count.update(|n| *n -= 1);
            true
        }
        _ => false,
    });
    topic.refetch(move || {
        let asked = thread_query(&url);
        async move {
            if let Ok(Thread {
                count: Some(now), ..
            }) = get_json::<Thread>(&asked).await
            {
                count.set(now);
            }
        }
    });
    view! { <h1 class="thread-count">{move || comment_count(count.get())}</h1> }
}

/// `GET /api/threads` for page `url`.
fn thread_query(url: &str) -> String {
    let url = js_sys::encode_uri_component(url);
    format!("/api/threads?url={}", String::from(url))
}

/// The origin of the page the frame sits in, which may be told its height.
#[derive(Clone, Debug, PartialEq, Serialize)]
struct FrameSeed {
    parent: String,
}

impl Seed for FrameSeed {
    const ID: &'static str = "frame-seed";
}

from_js_fields!(FrameSeed { parent });

/// Tells the page the frame sits in how tall the comments are, whenever that changes,
/// addressed to that page's origin alone.
#[island]
fn FrameHeight() -> impl IntoView {
    let FrameSeed { parent } = seed();
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        use wasm_bindgen::closure::Closure;
        let tell = move || {
            let height = document().body().map_or(0, |body| body.scroll_height());
            let message = js_sys::Object::new();
            let _ = js_sys::Reflect::set(&message, &"murmurHeight".into(), &height.into());
            if let Ok(Some(parent_window)) = window().parent() {
                let _ = parent_window.post_message(&message, &parent);
            }
        };
        tell();
        let observer = Closure::<dyn Fn()>::new(tell);
        if let (Ok(resized), Some(body)) = (
            web_sys::ResizeObserver::new(observer.as_ref().unchecked_ref()),
            document().body(),
        ) {
            resized.observe(&body);
        }
        observer.forget();
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = parent;
}

/// The page no one has commented on yet.
#[derive(Clone, Debug, PartialEq, Serialize)]
struct AwaitSeed {
    url: String,
}

impl Seed for AwaitSeed {
    const ID: &'static str = "await-seed";
}

from_js_fields!(AwaitSeed { url });

/// A thread just made, as the threads' topic tells it: the page it is under.
struct Made {
    thread: String,
}

impl FromJs for Made {
    fn from_js<J: Json>(value: &J) -> Option<Self> {
        Some(Self {
            thread: field(value, "thread")?,
        })
    }
}

/// Waits for the page's thread to be made (its first comment), then shows it: told by the
/// threads' topic, or found when the stream (re)connects, in case it was made before.
#[island]
fn AwaitThread() -> impl IntoView {
    let AwaitSeed { url } = seed();
    // A form sent from this page (the first comment) brings the thread with it: a reload
    // meanwhile would cut that navigation off.
    let leaving = StoredValue::new(false);
    let _ = window_event_listener(leptos::ev::submit, move |_| leaving.set_value(true));
    let show = move || {
        if !leaving.get_value() {
            let _ = window().location().reload();
        }
    };
    let threads = use_live(|| THREADS_TOPIC.to_owned());
    let page = url.clone();
    threads.apply(move |data| {
        let made = js::parse::<Made>(data).is_some_and(|made| made.thread == page);
        if made {
            show();
        }
        made
    });
    let status = use_live_status();
    Effect::new(move |_| {
        if status.get() != LiveStatus::Live {
            return;
        }
        let asked = thread_query(&url);
        leptos::task::spawn_local(async move {
            if get_json::<Thread>(&asked).await.is_ok() {
                show();
            }
        });
    });
}
