//! Streams end with the session that opened them: a sign-out (here, or on another instance,
//! told over the bus) or the session's expiry ends every stream it authenticated, and such a
//! stream sends nothing more — so a stolen token stops reading when its owner signs out.
//!
//! Sessions are the app's: the live module knows each by an opaque key and its expiry.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures::Stream;
use futures::task::AtomicWaker;

/// The session a stream was opened with.
#[derive(Clone, Debug)]
pub struct Session {
    /// What the app knows the session by (never the token itself).
    pub key: Arc<str>,
    /// When it expires, in milliseconds since the Unix epoch.
    pub expires_at: i64,
}

/// How long a session that ended is remembered, so a stream authenticated just before the
/// end but opened after it ends too.
const REMEMBER_ENDED: Duration = Duration::from_secs(60);

/// How often expiries are checked: a stream outlives its session by at most this.
pub const SWEEP_EVERY: Duration = Duration::from_secs(1);

/// The sessions that have open streams (or ended a moment ago); cheap to clone.
#[derive(Clone, Default)]
pub struct SessionStreams {
    sessions: Arc<Mutex<HashMap<Arc<str>, Arc<Ending>>>>,
}

/// One session's streams, and whether it has ended.
#[derive(Default)]
struct Ending {
    ended: AtomicBool,
    /// When it expires; when it ended, once it has.
    at: AtomicI64,
    /// Each open stream's waker; pruned of those gone.
    streams: Mutex<Vec<Weak<AtomicWaker>>>,
}

impl Ending {
    fn end(&self, now: i64) {
        self.at.store(now, Ordering::SeqCst);
        self.ended.store(true, Ordering::SeqCst);
        let streams = self.streams.lock().expect("session streams lock poisoned");
        for waker in streams.iter().filter_map(Weak::upgrade) {
            waker.wake();
        }
    }

    fn is_ended(&self) -> bool {
        self.ended.load(Ordering::SeqCst)
    }
}

impl SessionStreams {
    /// `frames`, ending when `session` ends; at once if it already has.
    pub(super) fn until_ended<S>(&self, session: &Session, frames: S) -> UntilEnded<S> {
        let waker = Arc::new(AtomicWaker::new());
        // Joined under the sessions' lock: a sweep can't forget the entry in between, which
        // would leave this stream on an entry that no end reaches.
        let mut sessions = self.lock();
        let ending = sessions.entry(Arc::clone(&session.key)).or_default();
        if !ending.is_ended() {
            ending.at.fetch_max(session.expires_at, Ordering::SeqCst);
        }
        let mut streams = ending
            .streams
            .lock()
            .expect("session streams lock poisoned");
        if streams.len() == streams.capacity() {
            streams.retain(|stream| stream.strong_count() > 0);
        }
        streams.push(Arc::downgrade(&waker));
        drop(streams);
        let ending = Arc::clone(ending);
        drop(sessions);
        UntilEnded {
            frames,
            ending,
            waker,
        }
    }

    /// Ends the session known as `key`: each of its streams ends within a moment and sends
    /// nothing more, and a stream it opens from now on ends at once.
    pub fn end(&self, key: &str) {
        let now = now();
        // Under the sessions' lock, so a sweep can't forget the entry before it is ended.
        self.lock().entry(Arc::from(key)).or_default().end(now);
    }

    /// Ends every session's streams: sign-outs may have been missed. Their browsers
    /// reconnect, and are asked who they are again; the sessions known to have ended stay
    /// remembered as such.
    pub fn end_all(&self) {
        let now = now();
        self.lock().retain(|_, ending| {
            let signed_out = ending.is_ended();
            if !signed_out {
                ending.end(now);
            }
            signed_out
        });
    }

    /// Ends the streams of the sessions expired at `now` (ms since the epoch), and forgets
    /// those sessions, and those whose streams are gone (one that ended, after
    /// [`REMEMBER_ENDED`]). An expiry is not remembered as an end: a session renewed since
    /// its stream opened reconnects, asked who it is again.
    pub(super) fn sweep(&self, now: i64) {
        let remember = i64::try_from(REMEMBER_ENDED.as_millis()).unwrap_or(i64::MAX);
        self.lock().retain(|_, ending| {
            let at = ending.at.load(Ordering::SeqCst);
            if ending.is_ended() {
                return now - at < remember;
            }
            if at <= now {
                ending.end(now);
                return false;
            }
            let streams = ending
                .streams
                .lock()
                .expect("session streams lock poisoned");
            streams.iter().any(|stream| stream.strong_count() > 0)
        });
    }

    /// Sessions whose expiries are checked every [`SWEEP_EVERY`], for as long as they are
    /// used.
    pub(super) fn checking_expiries() -> Self {
        let this = Self::default();
        let sessions = Arc::downgrade(&this.sessions);
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(SWEEP_EVERY);
            loop {
                ticks.tick().await;
                let Some(sessions) = sessions.upgrade() else {
                    return;
                };
                SessionStreams { sessions }.sweep(now());
            }
        });
        this
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<Arc<str>, Arc<Ending>>> {
        self.sessions.lock().expect("sessions lock poisoned")
    }
}

fn now() -> i64 {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
}

/// A stream's frames until its session ends.
pub(super) struct UntilEnded<S> {
    frames: S,
    ending: Arc<Ending>,
    waker: Arc<AtomicWaker>,
}

impl<S: Stream + Unpin> Stream for UntilEnded<S> {
    type Item = S::Item;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<S::Item>> {
        let this = self.get_mut();
        if this.ending.is_ended() {
            return Poll::Ready(None);
        }
        this.waker.register(cx.waker());
        match Pin::new(&mut this.frames).poll_next(cx) {
            // Looked at again after the frame was taken: one that raced the end is dropped.
            Poll::Ready(Some(_)) if this.ending.is_ended() => Poll::Ready(None),
            Poll::Pending if this.ending.is_ended() => Poll::Ready(None),
            polled => polled,
        }
    }
}

#[cfg(test)]
mod tests {
    use futures::stream::{self, StreamExt};
    use futures::{FutureExt, channel::mpsc};

    use super::*;

    fn session(key: &str, expires_at: i64) -> Session {
        Session {
            key: key.into(),
            expires_at,
        }
    }

    #[tokio::test]
    async fn ending_a_session_ends_its_waiting_streams_and_not_others() {
        let sessions = SessionStreams::default();
        let (_sender, frames) = mpsc::unbounded::<u8>();
        let (_other_sender, other_frames) = mpsc::unbounded::<u8>();
        let mut ada = sessions.until_ended(&session("ada", i64::MAX), frames);
        let mut grace = sessions.until_ended(&session("grace", i64::MAX), other_frames);
        assert!(ada.next().now_or_never().is_none(), "waiting");
        sessions.end("ada");
        assert_eq!(ada.next().await, None);
        assert!(grace.next().now_or_never().is_none(), "still open");
    }

    #[tokio::test]
    async fn a_stream_ended_with_frames_ready_sends_none_of_them() {
        let sessions = SessionStreams::default();
        let mut stream = sessions.until_ended(&session("ada", i64::MAX), stream::iter([1, 2]));
        sessions.end("ada");
        assert_eq!(stream.next().await, None);
    }

    #[tokio::test]
    async fn a_stream_opened_just_after_its_session_ended_ends_at_once() {
        let sessions = SessionStreams::default();
        sessions.end("ada");
        let mut late = sessions.until_ended(&session("ada", i64::MAX), stream::pending::<u8>());
        assert_eq!(late.next().await, None);
    }

    #[tokio::test]
    async fn a_session_ends_at_its_expiry_and_is_forgotten_a_minute_later() {
        let sessions = SessionStreams::default();
        let mut stream = sessions.until_ended(&session("ada", 1_000), stream::pending::<u8>());
        sessions.sweep(999);
        assert!(stream.next().now_or_never().is_none(), "not expired yet");
        sessions.sweep(1_000);
        assert_eq!(stream.next().await, None);
        assert!(sessions.lock().is_empty(), "not remembered as signed out");
        let mut renewed = sessions.until_ended(&session("ada", 5_000), stream::pending::<u8>());
        assert!(
            renewed.next().now_or_never().is_none(),
            "a renewed session reconnects"
        );
    }

    #[test]
    fn a_signed_out_session_is_remembered_for_a_minute() {
        let sessions = SessionStreams::default();
        sessions.end("ada");
        let ended_at = sessions.lock()["ada"].at.load(Ordering::SeqCst);
        sessions.sweep(ended_at + 59_999);
        assert_eq!(sessions.lock().len(), 1, "remembered as ended");
        sessions.sweep(ended_at + 60_000);
        assert!(sessions.lock().is_empty());
    }

    #[tokio::test]
    async fn ending_every_session_ends_their_streams_but_not_later_ones() {
        let sessions = SessionStreams::default();
        let mut before = sessions.until_ended(&session("ada", i64::MAX), stream::pending::<u8>());
        sessions.end("grace");
        sessions.end_all();
        assert_eq!(before.next().await, None);
        let mut after = sessions.until_ended(&session("ada", i64::MAX), stream::pending::<u8>());
        assert!(after.next().now_or_never().is_none(), "reconnected");
        let mut late = sessions.until_ended(&session("grace", i64::MAX), stream::pending::<u8>());
        assert_eq!(late.next().await, None, "a sign-out stays remembered");
    }

    #[test]
    fn a_session_whose_streams_are_gone_is_forgotten() {
        let sessions = SessionStreams::default();
        drop(sessions.until_ended(&session("ada", i64::MAX), stream::pending::<u8>()));
        sessions.sweep(0);
        assert!(sessions.lock().is_empty());
    }
}
