//! The state every handler can reach.

use axum::extract::FromRef;
use leptos::config::LeptosOptions;

use super::Metrics;
use crate::chat::service::ChatService;
use crate::live::sse::LiveState;

/// Everything the handlers share; cheap to clone.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub chat: ChatService,
    pub live: LiveState,
    pub metrics: Metrics,
}
