//! Where rooms and messages are kept. One trait, one implementation per database; the
//! backend is picked once at startup from the `DATABASE_URL` scheme.

mod sqlite;

use async_trait::async_trait;

pub use sqlite::SqliteStore;

use super::domain::{Message, MessageBody, Page, RoomSlug, RoomSummary, RoomTitle};
use crate::accounts::domain::Account;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Creating a room whose slug is taken.
    #[error("a room called {0:?} already exists")]
    SlugTaken(String),
    /// Posting to a room that does not exist.
    #[error("no room is called {0:?}")]
    RoomNotFound(String),
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

    /// Stores a message and updates its room's count and activity in one transaction.
    /// When this returns, the message is committed, and its id is larger than that of
    /// every message of the room committed before it.
    ///
    /// How: the transaction first updates the room's row, which holds that row's write lock
    /// until commit, and only then allocates the message id. Writers to one room therefore
    /// get ids in the order they commit — on SQLite (one writer at a time) and equally on
    /// Postgres with concurrent writers (row lock, then `nextval`).
    ///
    /// # Errors
    /// [`StoreError::RoomNotFound`] if the room does not exist.
    async fn insert_message(
        &self,
        slug: &RoomSlug,
        author: &Account,
        body: &MessageBody,
    ) -> Result<(Message, RoomSummary), StoreError>;

    /// A slice of a room's messages, oldest first: the newest `limit` before `page.before`,
    /// or, when `page.after` is set, the oldest `limit` after it. Unknown rooms have none.
    async fn messages(
        &self,
        slug: &RoomSlug,
        page: Page,
        limit: u32,
    ) -> Result<Vec<Message>, StoreError>;

    /// Whether message `id` belongs to the room: is it a cursor of this room?
    async fn has_message(&self, slug: &RoomSlug, id: i64) -> Result<bool, StoreError>;
}
