//! The dashboard's server function: what the page is drawn from.

use leptos::prelude::*;

use super::Dashboard;
use crate::error::AppError;

/// The dashboard, for an admin; a 404 for anyone else.
#[server(endpoint = "admin_dashboard")]
pub async fn admin_dashboard() -> Result<Dashboard, AppError> {
    use crate::{accounts::caller, admin::stats::StatsService, api::fail};
    let caller = caller().map_err(fail)?;
    expect_context::<StatsService>()
        .dashboard(caller.username())
        .map_err(fail)
}
