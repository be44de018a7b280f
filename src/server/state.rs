//! The state every handler can reach.

use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use live_loader::LiveState;

use super::Metrics;
use super::metrics::MetricsToken;
use crate::accounts::Identify;
use crate::accounts::service::AccountService;
use crate::admin::stats::StatsService;
use crate::chat::service::ChatService;
use crate::exports::service::ExportService;
use crate::inbox::service::InboxService;

/// Everything the handlers share; cheap to clone.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub chat: ChatService,
    pub accounts: AccountService,
    pub inbox: InboxService,
    pub exports: ExportService,
    pub identify: Identify,
    pub live: LiveState,
    pub metrics: Metrics,
    pub metrics_token: MetricsToken,
    pub stats: StatsService,
}
