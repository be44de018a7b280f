//! The chat service: parses input into domain types, checks who may see and do what,
//! writes through the store, and after the commit publishes on the live bus. Server
//! functions and the JSON API both call it, so they validate, authorize and broadcast
//! alike. (Its events, replay and gate for the live module are in `events.rs`; its members
//! in `members.rs`; editing and deleting in `editing.rs`.)

use std::future::Future;
use std::sync::Arc;

use live_loader::{Bus, LiveEvent, Presence};
use tokio::sync::Mutex;

use super::access::Access;
use super::cache::ReadCache;
use super::domain::{Message, MessageBody, Page, RoomSlug, RoomSummary, RoomTitle};
use super::events::{directory_event, forget_changed, posted_events};
use super::mentions::mentioned;
use super::room_topic;
use super::store::{ChatStore, StoreError};
use super::threads::{ThreadRules, thread_event};
use super::typing::typing_limit;
use crate::accounts::domain::Account;
use crate::activity::Activity;
use crate::error::AppError;
use crate::protect::{RateLimit, RateLimits};

/// Chat's operations, backed by a store and a bus; cheap to clone.
#[derive(Clone)]
pub struct ChatService {
    pub(super) store: Arc<dyn ChatStore>,
    pub(super) bus: Arc<dyn Bus>,
    /// Who has each room open.
    pub(super) presence: Presence,
    /// Held from before a room's change commits until after its publish, so this process
    /// publishes changes in commit order (the store serializes writes anyway).
    in_order: Arc<Mutex<()>>,
    /// What page loads read; each write clears what it changed.
    pub(super) cache: Arc<ReadCache>,
    pub(super) limits: Arc<Limits>,
    /// Who said they were typing, and when (see `typing.rs`).
    pub(super) typing_limit: Arc<RateLimit<i64>>,
    /// Which pages may have comment threads, and who moderates them (see `threads.rs`).
    pub(super) threads: ThreadRules,
    /// What is counted for the operations dashboard.
    activity: Activity,
}

pub(super) struct Limits {
    posts: RateLimit<i64>,
    pub(super) rooms: RateLimit<i64>,
    /// Members added, per account adding them (see `members.rs`).
    pub(super) members: RateLimit<i64>,
}

impl ChatService {
    /// A service writing to `store`, publishing on `bus` (and keeping its read cache right
    /// by what other instances publish there), counting who is in each room by `presence`,
    /// posting, creating rooms and adding members within `limits`, with comment threads
    /// under the pages `threads` allows.
    pub fn new(
        store: Arc<dyn ChatStore>,
        bus: Arc<dyn Bus>,
        presence: Presence,
        limits: &RateLimits,
        threads: ThreadRules,
        activity: Activity,
    ) -> Self {
        let cache = Arc::new(ReadCache::default());
        let kept = Arc::clone(&cache);
        bus.watch(Box::new(move |event| forget_changed(&kept, event)));
        Self {
            store,
            bus,
            presence,
            in_order: Arc::default(),
            cache,
            typing_limit: Arc::new(typing_limit()),
            threads,
            activity,
            limits: Arc::new(Limits {
                posts: limits.limit("posts", limits.posts),
                rooms: limits.limit("rooms", limits.rooms),
                members: limits.limit("members", limits.members),
            }),
        }
    }

    /// Creates a room; a private one has its creator as its only member.
    ///
    /// # Errors
    /// `Invalid` for a malformed slug or title, `SlugTaken` if the slug is in use,
    /// `RateLimited` after too many rooms.
    pub async fn create_room(
        &self,
        creator: &Account,
        slug: &str,
        title: &str,
        private: bool,
    ) -> Result<RoomSummary, AppError> {
        let slug = RoomSlug::parse(slug)?;
        let title = RoomTitle::parse(title)?;
        self.limits.rooms.check(creator.id).await?;
        let room = self
            .store
            .create_room(&slug, &title, private, creator)
            .await?;
        let mut summary = directory_event(&room);
        if private {
            self.cache.clear_access();
            summary = summary.only_for(vec![creator.username.clone()]);
        } else {
            self.cache.clear(None);
        }
        self.bus.publish(summary);
        Ok(room)
    }

    /// Every chat room `who` may see (not the comment threads), most recently active first.
    ///
    /// # Errors
    /// `Internal` if the store fails.
    /// For a signed-in `who`, each room says how many messages they have not read.
    pub async fn rooms(&self, who: Option<&str>) -> Result<Vec<RoomSummary>, AppError> {
        let (rooms, access) = (self.kept_rooms().await?, self.access().await?);
        let unread = match who {
            Some(who) => Some(self.store.unread(who).await?),
            None => None,
        };
        let unread_in = |slug: &str| {
            let counts = unread.as_deref()?;
            let count = counts.iter().find(|(room, _)| room == slug);
            Some(count.map_or(0, |(_, count)| *count))
        };
        Ok(rooms
            .iter()
            .filter(|room| room.thread.is_none() && access.can_see(room, who))
            .map(|room| RoomSummary {
                unread: unread_in(&room.slug),
                here: self.here(&room.slug),
                ..room.clone()
            })
            .collect())
    }

    /// How many have room `slug` open now.
    pub(super) fn here(&self, slug: &str) -> i64 {
        self.presence.count(&room_topic(slug)).into()
    }

    /// Every room, threads included, from the read cache or the store.
    pub(super) async fn kept_rooms(&self) -> Result<Arc<Vec<RoomSummary>>, StoreError> {
        self.cache.rooms(self.store.rooms()).await
    }

    /// Who may see each private room, from the read cache or the store.
    pub(super) async fn access(&self) -> Result<Arc<Access>, StoreError> {
        let load = async { Ok(Access::new(self.store.memberships().await?)) };
        self.cache.access(load).await
    }

    /// Room `slug`, if `who` may see it.
    ///
    /// # Errors
    /// `Invalid` for a malformed slug, `RoomNotFound` if no room has it — or it is private
    /// and `who` is not a member, so its existence doesn't leak.
    pub async fn room(&self, who: Option<&str>, slug: &str) -> Result<RoomSummary, AppError> {
        self.visible_room(who, &RoomSlug::parse(slug)?).await
    }

    /// A page of a room's messages, oldest first.
    ///
    /// # Errors
    /// `Invalid` for a malformed slug or limit, `RoomNotFound` as for [`Self::room`].
    pub async fn messages(
        &self,
        who: Option<&str>,
        slug: &str,
        page: Page,
    ) -> Result<Vec<Message>, AppError> {
        let limit = page.limit()?;
        let slug = RoomSlug::parse(slug)?;
        self.visible_room(who, &slug).await?;
        let load = self.store.messages(&slug, page, limit);
        if page.before.is_none() && page.after.is_none() && limit == Page::DEFAULT_LIMIT {
            return Ok(self.cache.newest(slug.as_str(), load).await?.to_vec());
        }
        Ok(load.await?)
    }

    /// The room, if `who` may see it; see [`Self::room`].
    pub(super) async fn visible_room(
        &self,
        who: Option<&str>,
        slug: &RoomSlug,
    ) -> Result<RoomSummary, AppError> {
        let (rooms, access) = (self.kept_rooms().await?, self.access().await?);
        rooms
            .iter()
            .find(|room| room.slug == slug.as_str() && access.can_see(room, who))
            .cloned()
            .ok_or_else(|| AppError::RoomNotFound(slug.as_str().to_owned()))
    }

    /// Stores a message by `author`, then tells the room's subscribers, the first 50
    /// accounts it mentions that may read the room (on their own topic), and, in the
    /// directory, those who may see the room.
    ///
    /// # Errors
    /// `Invalid` for a malformed slug or body; `RoomNotFound` as for [`Self::room`];
    /// `RateLimited` after too many posts.
    pub async fn post_message(
        &self,
        author: &Account,
        slug: &str,
        body: &str,
    ) -> Result<Message, AppError> {
        let slug = RoomSlug::parse(slug)?;
        let body = MessageBody::parse(body)?;
        let room = self.may_change(author, &slug).await?;
        let mut notify = mentioned(body.as_str(), &author.username);
        if room.private {
            let access = self.access().await?;
            notify.retain(|name| access.is_member(&room.slug, name));
        }
        let author = author.clone();
        let message = self
            .write_in_order(move |chat| async move {
                let posted = chat.store.insert_message(&slug, &author, &body, &notify);
                let posted = chat.change_room(&slug, posted, posted_events).await?;
                chat.publish_summary(&posted.room).await?;
                Ok(posted.message)
            })
            .await?;
        self.activity.posted(&room.slug);
        Ok(message)
    }

    /// Runs `write` to completion even if the caller goes away (a client disconnecting
    /// mid-request): a change is never committed but unannounced.
    pub(super) async fn write_in_order<T, F>(
        &self,
        write: impl FnOnce(Self) -> F + Send + 'static,
    ) -> Result<T, AppError>
    where
        F: Future<Output = Result<T, StoreError>> + Send + 'static,
        T: Send + 'static,
    {
        let done = tokio::spawn(write(self.clone()));
        Ok(done.await.map_err(|_| AppError::Internal)??)
    }

    /// Commits `change` to room `slug` and publishes the events `events` makes of it, holding
    /// `in_order` from before the commit until after the publish (so this process
    /// publishes a room's changes in commit order), and clearing what the cache kept of
    /// the room in between.
    pub(super) async fn change_room<T>(
        &self,
        slug: &RoomSlug,
        change: impl Future<Output = Result<T, StoreError>>,
        events: impl FnOnce(&T) -> Vec<LiveEvent>,
    ) -> Result<T, StoreError> {
        let in_order = self.in_order.lock().await;
        let changed = change.await?;
        self.cache.clear(Some(slug.as_str()));
        for event in events(&changed) {
            self.bus.publish(event);
        }
        drop(in_order);
        Ok(changed)
    }

    /// Tells the directory about `room`'s new count and activity: everyone for a public
    /// room, its members (as of now, after the commit) for a private one; a thread's, the
    /// threads' topic.
    pub(super) async fn publish_summary(&self, room: &RoomSummary) -> Result<(), StoreError> {
        let room = RoomSummary {
            here: self.here(&room.slug),
            ..room.clone()
        };
        if room.thread.is_some() {
            self.bus.publish(thread_event(&room));
            return Ok(());
        }
        let summary = directory_event(&room);
        self.bus.publish(match room.private {
            true => summary.only_for(self.access().await?.members(&room.slug).to_vec()),
            false => summary,
        });
        Ok(())
    }

    /// Checks that `by` may change something in room `slug` now: they see it, and are
    /// within the posting rate (edits and deletions count as posts). Answers the room.
    pub(super) async fn may_change(
        &self,
        by: &Account,
        slug: &RoomSlug,
    ) -> Result<RoomSummary, AppError> {
        let room = self.visible_room(Some(&by.username), slug).await?;
        self.limits.posts.check(by.id).await?;
        Ok(room)
    }
}

/// What the caller may see of a store failure; database errors are logged, not shown.
impl From<StoreError> for AppError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::SlugTaken(slug) => AppError::SlugTaken(slug),
            StoreError::RoomNotFound(slug) => AppError::RoomNotFound(slug),
            StoreError::MessageNotFound(id) => AppError::MessageNotFound(id.to_string()),
            StoreError::NotAllowed(reason) => AppError::Forbidden(reason.into()),
            StoreError::Database(error) => {
                tracing::error!(%error, "chat store failed");
                AppError::Internal
            }
        }
    }
}

/// The chat service, inside a server function or during a server render.
///
/// # Panics
/// Outside a request handled by the app, which provides it.
pub fn chat() -> ChatService {
    leptos::prelude::expect_context()
}
