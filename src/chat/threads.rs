//! Comment threads, as the chat service keeps them: a thread is a public room tied to one
//! page of a site allowed to embed Murmur (see `thread_url.rs`), made by the first person
//! to comment there. It stays out of the chat's room list and the directory's events; its
//! own topic, [`THREADS_TOPIC`], tells of new threads and their activity.

use getrandom::fill;
use live_loader::LiveEvent;

use super::THREADS_TOPIC;
use super::domain::{MAX_TITLE_CHARS, Message, MessageBody, RoomSlug, RoomSummary, RoomTitle};
use super::events::event;
use super::service::ChatService;
use super::thread::Thread;
use super::thread_url::ThreadUrl;
use crate::accounts::Admins;
use crate::accounts::domain::Account;
use crate::error::AppError;
use crate::protect::EmbedOrigins;

/// Which pages may have a thread, and who moderates every thread.
#[derive(Clone, Debug, Default)]
pub struct ThreadRules {
    /// The sites whose pages may have threads (`MURMUR_EMBED_ORIGINS`).
    pub sites: EmbedOrigins,
    /// Who may delete any comment (`MURMUR_ADMINS`).
    pub moderators: Admins,
}

impl ChatService {
    /// The thread under page `url` — made now, titled `title`, if the page has none yet
    /// (then `true`). A later call finds the same thread, whatever title it brings.
    ///
    /// # Errors
    /// `Invalid` for a malformed address or title, or a page of a site that may not embed
    /// Murmur; `RateLimited` after making too many rooms and threads.
    pub async fn open_thread(
        &self,
        creator: &Account,
        url: &str,
        title: &str,
    ) -> Result<(Thread, bool), AppError> {
        let url = ThreadUrl::parse_allowed(url, &self.threads.sites)?;
        let title = RoomTitle::parse(&shortened(title))?;
        if let Some(found) = self.store.thread(url.as_str()).await? {
            return Ok((thread(&found.room, None), false));
        }
        self.limits.rooms.check(creator.id).await?;
        let slug = new_slug();
        let (room, created) = (self.store)
            .open_thread(url.as_str(), &title, &slug, creator)
            .await?;
        if created {
            self.cache.clear(None);
            self.bus.publish(thread_event(&room));
        }
        Ok((thread(&room, None), created))
    }

    /// The first comment under page `url`: its thread, made now (titled `title`) if need
    /// be, and `body` posted there — both, even if the caller goes away between the two, so
    /// no thread is left without the comment that made it.
    ///
    /// # Errors
    /// As [`Self::open_thread`], and as posting a message.
    pub async fn start_thread(
        &self,
        author: &Account,
        url: &str,
        title: &str,
        body: &str,
    ) -> Result<Message, AppError> {
        MessageBody::parse(body)?;
        let chat = self.clone();
        let (author, url, title, body) = (
            author.clone(),
            url.to_owned(),
            title.to_owned(),
            body.to_owned(),
        );
        let started = tokio::spawn(async move {
            let (thread, _) = chat.open_thread(&author, &url, &title).await?;
            chat.post_message(&author, &thread.room, &body).await
        });
        started.await.map_err(|_| AppError::Internal)?
    }

    /// The thread under page `url`, with its count of comments.
    ///
    /// # Errors
    /// `Invalid` for a malformed address; `ThreadNotFound` before anyone commented there.
    pub async fn thread(&self, url: &str) -> Result<Thread, AppError> {
        let url = ThreadUrl::parse(url)?;
        let found = self.store.thread(url.as_str()).await?;
        let found = found.ok_or_else(|| AppError::ThreadNotFound(url.as_str().to_owned()))?;
        Ok(thread(&found.room, Some(found.count)))
    }

    /// Every thread, most recently active first.
    ///
    /// # Errors
    /// `Internal` if the store fails.
    pub async fn threads(&self) -> Result<Vec<RoomSummary>, AppError> {
        let rooms = self.kept_rooms().await?;
        Ok(rooms
            .iter()
            .filter(|room| room.thread.is_some())
            .cloned()
            .collect())
    }

    /// Whether pages of `origin` may embed Murmur's threads (and be told a frame's height).
    pub fn may_embed(&self, origin: &str) -> bool {
        self.threads.sites.allows(origin)
    }

    /// Whether `by` moderates room `room`: it is a thread, and they are an admin.
    pub(super) fn moderates(&self, by: &Account, room: &RoomSummary) -> bool {
        room.thread.is_some() && self.moderates_threads(by)
    }

    /// Whether `by` moderates every thread (is an admin).
    pub fn moderates_threads(&self, by: &Account) -> bool {
        self.threads.moderators.include(by)
    }
}

/// A thread's room as the threads' topic carries it: `thread`, with its summary.
pub(super) fn thread_event(room: &RoomSummary) -> LiveEvent {
    event(THREADS_TOPIC.into(), "thread", None, room)
}

fn thread(room: &RoomSummary, count: Option<i64>) -> Thread {
    Thread {
        room: room.slug.clone(),
        url: room.thread.clone().unwrap_or_default(),
        title: room.title.clone(),
        count,
    }
}

/// A page's title as a room's: cut to the longest a title may be.
fn shortened(title: &str) -> String {
    let title = title.trim();
    match title.chars().count() > MAX_TITLE_CHARS {
        true => {
            let kept: String = title.chars().take(MAX_TITLE_CHARS - 1).collect();
            format!("{}…", kept.trim_end())
        }
        false => title.to_owned(),
    }
}

/// A new thread's slug: `thread-` and 12 random letters and digits, so no one can take a
/// page's slug before its thread is made.
fn new_slug() -> RoomSlug {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut bytes = [0u8; 12];
    fill(&mut bytes).expect("the OS has randomness");
    let tail: String = bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect();
    RoomSlug::parse(&format!("thread-{tail}")).expect("a thread's slug is a valid slug")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_page_title_is_cut_to_a_rooms_and_a_short_one_kept() {
        assert_eq!(shortened("  A post  "), "A post");
        let long = "word ".repeat(40);
        let cut = shortened(&long);
        assert_eq!(cut.chars().count(), MAX_TITLE_CHARS);
        assert!(cut.ends_with('…'));
        assert!(RoomTitle::parse(&cut).is_ok());
    }

    #[test]
    fn thread_slugs_are_valid_and_unguessable() {
        let (a, b) = (new_slug(), new_slug());
        assert!(a.as_str().starts_with("thread-"));
        assert_eq!(a.as_str().len(), "thread-".len() + 12);
        assert_ne!(a, b);
    }
}
