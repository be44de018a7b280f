//! Murmur: live chat rooms, full-stack Rust with Leptos.
//!
//! The crate compiles twice: with feature `ssr` into the server (axum, sqlx, the event bus)
//! and with feature `hydrate` into the browser's WASM bundle. Shared code — domain types,
//! components, server-function signatures — is compiled for both.
//!
//! Pages are Leptos *islands*: the server renders everything, and only the components marked
//! `#[island]` (the live message list and composer, the room list, the room form, the
//! notifications bell, the exports list) hydrate in the browser. Navigation is plain
//! links; the bundle carries no router.

// Leptos views are deeply nested types; hydrating them asynchronously needs more depth.
#![recursion_limit = "512"]

pub mod accounts;
pub mod activity;
pub mod admin;
#[cfg(feature = "ssr")]
pub mod api;
pub mod app;
pub mod chat;
pub mod clock;
pub mod error;
pub mod exports;
pub mod fetch;
pub mod inbox;
pub mod island;
pub mod js;
#[cfg(feature = "ssr")]
pub mod protect;
#[cfg(feature = "ssr")]
pub mod server;
#[cfg(feature = "ssr")]
pub mod sql;
pub mod time;

/// Browser entry point: hydrates the islands of the server-rendered page.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    // Readable panics in debug builds; release bundles leave the formatting out.
    #[cfg(debug_assertions)]
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
}
