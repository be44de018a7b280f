//! Chat: rooms, messages, and the pages that show them live.
//!
//! Shared code (both targets): domain types, server-function signatures, components.
//! Server only: the store, the service that ties the store to the live bus and decides who
//! may see each room (public rooms are everyone's, a private room its members'), and the
//! JSON API.

#[cfg(feature = "ssr")]
mod access;
#[cfg(feature = "ssr")]
mod cache;
mod composer;
mod conversation;
mod directory;
pub mod domain;
#[cfg(feature = "ssr")]
mod editing;
#[cfg(feature = "ssr")]
mod events;
#[cfg(feature = "ssr")]
pub mod http;
mod links;
#[cfg(feature = "ssr")]
mod members;
mod members_panel;
#[cfg(feature = "ssr")]
mod mentions;
mod message_actions;
mod message_item;
mod older;
mod read_marker;
#[cfg(feature = "ssr")]
mod reading;
mod reread;
mod room;
mod room_list;
mod scroll;
pub mod server_fns;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod store;
pub mod thread;
mod thread_forms;
mod thread_page;
#[cfg(feature = "ssr")]
mod thread_url;
#[cfg(feature = "ssr")]
pub mod threads;
mod threads_page;
mod timeline;
#[cfg(feature = "ssr")]
mod typing;
mod typists;

pub use directory::DirectoryPage;
pub use room::RoomPage;
pub use thread_page::ThreadPage;
pub use threads_page::ThreadsPage;

/// What a room's topic starts with; the rest is its slug.
const ROOM_TOPIC_PREFIX: &str = "room:";

/// The live topic of one room's messages.
pub fn room_topic(slug: &str) -> String {
    format!("{ROOM_TOPIC_PREFIX}{slug}")
}

/// The slug, as written, of the room whose topic `topic` is; `None` if it is no room's.
pub fn room_of_topic(topic: &str) -> Option<&str> {
    topic.strip_prefix(ROOM_TOPIC_PREFIX)
}

/// Whether `topic` is a room's.
pub fn is_room_topic(topic: &str) -> bool {
    room_of_topic(topic).is_some()
}

/// Whether `topic` is chat's: the directory's, the threads' or a room's.
pub fn is_chat_topic(topic: &str) -> bool {
    topic == DIRECTORY_TOPIC || topic == THREADS_TOPIC || is_room_topic(topic)
}

/// The live topic of the room directory: fires when a room is created or gets a message.
pub const DIRECTORY_TOPIC: &str = "rooms";

/// The live topic of the comment threads: fires when a thread is made or gets a comment.
pub const THREADS_TOPIC: &str = "threads";
