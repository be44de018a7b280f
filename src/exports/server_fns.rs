//! The exports' server functions: what the top bar starts from, and asking for an export
//! from the room page with a plain form (which comes back to the room it was sent from).

use leptos::prelude::*;

use super::status::ExportsSeed;
use crate::error::AppError;

/// The signed-in caller's exports of the last day, for the top bar (`None` signed out).
#[server(endpoint = "load_exports")]
pub async fn load_exports() -> Result<Option<ExportsSeed>, AppError> {
    use crate::{accounts::caller, api::fail, exports::service::ExportService};
    let caller = caller().map_err(fail)?;
    let Some(who) = caller.account.as_ref() else {
        return Ok(None);
    };
    let exports = expect_context::<ExportService>().summaries(who).await;
    Ok(Some(ExportsSeed {
        username: who.username.clone(),
        exports: exports.map_err(fail)?,
    }))
}

/// Starts an export of room `slug` as `format` (`jsonl` or `csv`) for the caller.
#[server(endpoint = "export_room")]
pub async fn export_room(slug: String, format: String) -> Result<(), AppError> {
    use crate::{accounts::caller, api::fail, exports::service::ExportService};
    let caller = caller().map_err(fail)?;
    let who = caller.account().map_err(fail)?;
    let exports: ExportService = expect_context();
    exports.request(who, &slug, &format).await.map_err(fail)?;
    Ok(())
}
