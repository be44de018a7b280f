//! Room exports: any member may ask for a room's whole history as JSON Lines or CSV. A
//! background job writes the file, telling only the requester's topic how far it has got
//! (`export-progress`) and when it is done (`export-ready`, with the download's URL); the
//! file is served to the requester alone, streamed from disk, for a day.
//!
//! Shared code (both targets): [`ExportSummary`], what the top bar shows of a person's
//! exports, and the form and server function that ask for one. Server only: the formats, the
//! store, the service with its runner, and the JSON API.

pub mod form;
#[cfg(feature = "ssr")]
pub mod format;
#[cfg(feature = "ssr")]
pub mod http;
#[cfg(feature = "ssr")]
mod runner;
pub mod server_fns;
#[cfg(feature = "ssr")]
pub mod service;
pub mod status;
#[cfg(feature = "ssr")]
pub mod store;

use serde::{Deserialize, Serialize};

use crate::js::from_js_fields;

/// One of a person's exports as their tabs show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportSummary {
    pub id: i64,
    /// The slug of the exported room.
    pub room: String,
    /// `running`, `ready` or `failed`.
    pub state: String,
    /// How much of the room is written, from the job's own count.
    pub percent: i64,
}

from_js_fields!(ExportSummary {
    id,
    room,
    state,
    percent
});

/// Where a ready export is downloaded from.
pub fn download_url(id: i64) -> String {
    format!("/api/exports/{id}/download")
}
