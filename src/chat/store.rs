//! Where rooms and messages are kept: one trait, and its implementation in SQL that SQLite
//! and PostgreSQL share; the database is picked once at startup from the `DATABASE_URL`
//! scheme.

mod rows;
mod sql;

use async_trait::async_trait;

pub use sql::SqlChatStore;

use super::domain::{Message, MessageBody, Page, RoomSlug, RoomSummary, RoomTitle};
use crate::accounts::domain::Account;
use crate::inbox::store::Notified;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Creating a room whose slug is taken.
    #[error("a room called {0:?} already exists")]
    SlugTaken(String),
    /// Posting to a room that does not exist.
    #[error("no room is called {0:?}")]
    RoomNotFound(String),
    /// Changing a message the room doesn't have, or no longer has (it was deleted).
    #[error("no message {0} in this room")]
    MessageNotFound(i64),
    /// Changing a message the caller may not change.
    #[error("{0}")]
    NotAllowed(&'static str),
    /// The database failed; not the caller's fault.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

/// One member of one private room.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Membership {
    /// The room's slug.
    pub room: String,
    /// The member's username.
    pub username: String,
    /// Whether this member created the room.
    pub creator: bool,
}

/// A message as of one change to it: `seq` orders every change in its room (see
/// [`ChatStore::insert_message`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    /// The number of the message's latest change: its creation, an edit or its deletion.
    pub seq: i64,
    /// The message as that change left it.
    pub message: Message,
}

/// A message just stored: the message, its room as it now is, the number of the room's
/// change before it, and whom it notified.
#[derive(Clone, Debug)]
pub struct Posted {
    pub message: Message,
    pub room: RoomSummary,
    pub after: i64,
    pub notified: Vec<Notified>,
}

/// An edit or a deletion just committed, and the number of the room's change before it
/// (which whoever hears of this one must have seen first: see `LiveEvent::following`).
#[derive(Clone, Debug)]
pub struct Changed<T> {
    pub made: T,
    pub after: i64,
}

/// On whose say a message is deleted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeleteAs {
    /// Its author's, or its room's creator's.
    Member,
    /// A moderator's: any message.
    Moderator,
}

/// A thread as its page finds it: the room, and how many comments stand in it.
#[derive(Clone, Debug)]
pub struct ThreadRoom {
    pub room: RoomSummary,
    pub count: i64,
}

/// Rooms, their members and their messages, durable.
#[async_trait]
pub trait ChatStore: Send + Sync + 'static {
    /// Creates an empty room; a private one with its creator as its first member.
    ///
    /// # Errors
    /// [`StoreError::SlugTaken`] if the slug is in use.
    async fn create_room(
        &self,
        slug: &RoomSlug,
        title: &RoomTitle,
        private: bool,
        creator: &Account,
    ) -> Result<RoomSummary, StoreError>;

    /// Every room, private ones included, most recently active first.
    async fn rooms(&self) -> Result<Vec<RoomSummary>, StoreError>;

    /// Who may see each private room: its members, and who created it.
    async fn memberships(&self) -> Result<Vec<Membership>, StoreError>;

    /// Makes `account` a member of room `slug`; already one, nothing changes.
    ///
    /// # Errors
    /// [`StoreError::RoomNotFound`] if the room does not exist.
    async fn add_member(&self, slug: &RoomSlug, account: &Account) -> Result<(), StoreError>;

    /// Takes `account` off room `slug`'s members; whether it was one.
    async fn remove_member(&self, slug: &RoomSlug, account: &Account) -> Result<bool, StoreError>;

    /// Stores a message, updates its room's count and activity, and notifies each of
    /// `mentioned` that has an account, in one transaction. (Who may be notified — who may
    /// read the room — is the caller's decision.)
    /// When this returns, the message is committed, and its id is larger than the number
    /// of every change to the room committed before it.
    ///
    /// Every change to a room — this, [`Self::edit_message`], [`Self::delete_message`] —
    /// takes the next number of one sequence, the one message ids come from (a new
    /// message's id is the number of its creation), after taking the room's write lock,
    /// which it holds until commit. Changes to one room are therefore numbered in the order
    /// they commit — on SQLite (one writer at a time) and equally on Postgres with
    /// concurrent writers (row lock, then `nextval`).
    ///
    /// # Errors
    /// [`StoreError::RoomNotFound`] if the room does not exist.
    async fn insert_message(
        &self,
        slug: &RoomSlug,
        author: &Account,
        body: &MessageBody,
        mentioned: &[String],
    ) -> Result<Posted, StoreError>;

    /// A slice of a room's messages, oldest first: the newest `limit` before `page.before`,
    /// or, when `page.after` is set, the oldest `limit` after it. Unknown rooms have none.
    async fn messages(
        &self,
        slug: &RoomSlug,
        page: Page,
        limit: u32,
    ) -> Result<Vec<Message>, StoreError>;

    /// Replaces the text of message `id`, by its author, and marks it edited (the excerpts
    /// of its notifications follow).
    ///
    /// # Errors
    /// [`StoreError::MessageNotFound`] if the room has no such message standing,
    /// [`StoreError::NotAllowed`] if `editor` is not its author.
    async fn edit_message(
        &self,
        slug: &RoomSlug,
        id: i64,
        editor: &Account,
        body: &MessageBody,
    ) -> Result<Changed<Change>, StoreError>;

    /// Deletes message `id`, by its author or the room's creator (or anyone `as`
    /// [`DeleteAs::Moderator`]): its text is erased, and the message stays as a marker (and
    /// in the room's count), and its notifications are taken back. Answers the change, and
    /// who had a notification of it.
    ///
    /// # Errors
    /// [`StoreError::MessageNotFound`] if the room has no such message standing,
    /// [`StoreError::NotAllowed`] if `by` is neither its author nor the room's creator.
    async fn delete_message(
        &self,
        slug: &RoomSlug,
        id: i64,
        by: &Account,
        on: DeleteAs,
    ) -> Result<Changed<(Change, Vec<String>)>, StoreError>;

    /// The thread for page `url`, titled `title`, created by `creator` with the slug `slug`
    /// unless the page has one already; answers the thread and whether it was made now.
    async fn open_thread(
        &self,
        url: &str,
        title: &RoomTitle,
        slug: &RoomSlug,
        creator: &Account,
    ) -> Result<(RoomSummary, bool), StoreError>;

    /// The thread for page `url`, if there is one.
    async fn thread(&self, url: &str) -> Result<Option<ThreadRoom>, StoreError>;

    /// How many messages by others each room has that `username` has not read — after
    /// where they last read it, or for a room they never opened, posted since they signed
    /// up — leaving out deleted ones, counting at most
    /// [`UNREAD_CAP`](super::domain::UNREAD_CAP). Rooms with none are
    /// left out; so is nothing else: who may see which room is the caller's question.
    async fn unread(&self, username: &str) -> Result<Vec<(String, i64)>, StoreError>;

    /// Where `username` has read room `slug` up to: the message id they last read, or the
    /// last one posted before they signed up; 0 for an unknown room or person.
    async fn last_read(&self, slug: &RoomSlug, username: &str) -> Result<i64, StoreError>;

    /// Records that `username` has read room `slug` up to message `up_to` (at most its
    /// newest); whether that moved their place forward.
    async fn mark_read(
        &self,
        slug: &RoomSlug,
        username: &str,
        up_to: i64,
    ) -> Result<bool, StoreError>;

    /// The number of room `slug`'s latest change; 0 for a room without any (or unknown).
    async fn latest_change(&self, slug: &RoomSlug) -> Result<i64, StoreError>;

    /// The room's messages changed after `cursor`, each once, as its latest change left
    /// it, in the order of those changes; at most `limit`. `None` if `cursor` is not a
    /// position of the room (it is neither 0 nor at most the room's latest change).
    async fn changes_after(
        &self,
        slug: &RoomSlug,
        cursor: i64,
        limit: u32,
    ) -> Result<Option<Vec<Change>>, StoreError>;
}
