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
mod room;
mod room_list;
mod scroll;
pub mod server_fns;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod store;
mod timeline;
#[cfg(feature = "ssr")]
mod typing;
mod typists;

pub use directory::DirectoryPage;
pub use room::RoomPage;

/// The live topic of one room's messages.
pub fn room_topic(slug: &str) -> String {
    format!("room:{slug}")
}

/// Whether `topic` is chat's: the directory's or a room's.
pub fn is_chat_topic(topic: &str) -> bool {
    topic == DIRECTORY_TOPIC || topic.starts_with("room:")
}

/// The live topic of the room directory: fires when a room is created or gets a message.
pub const DIRECTORY_TOPIC: &str = "rooms";
