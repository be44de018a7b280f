//! The inbox's server functions: what the top bar starts from, and marking read with a
//! plain form (which, without JavaScript, comes back to the page it was sent from).

use leptos::prelude::*;

use super::bell::InboxSeed;
use crate::error::AppError;

/// The signed-in caller's inbox for the top bar (`None` signed out). `opened`, the room
/// being opened, counts as read first: opening a room reads what mentioned you there —
/// unless the page load rode on the cookie from another site (see
/// `protect::may_record_reading`; the room's page then reads them once it is in view).
#[server(endpoint = "load_inbox")]
pub async fn load_inbox(opened: Option<String>) -> Result<Option<InboxSeed>, AppError> {
    use crate::{accounts::caller, api::fail, api::records_reading, inbox::service::inbox};
    let caller = caller().map_err(fail)?;
    let Some(reader) = caller.account.as_ref() else {
        return Ok(None);
    };
    let inbox = inbox();
    if let (Some(slug), true) = (opened, records_reading()) {
        inbox.mark_room_read(reader, &slug).await.map_err(fail)?;
    }
    // The cursor first: a notification made in between is shown and also arrives live.
    let cursor = inbox.cursor(reader).await.map_err(fail)?;
    Ok(Some(InboxSeed {
        username: reader.username.clone(),
        cursor,
        notifications: inbox.notifications(reader).await.map_err(fail)?,
    }))
}

/// Marks the caller's notifications up to `up_to` read.
#[server(endpoint = "read_notifications")]
pub async fn read_notifications(up_to: i64) -> Result<(), AppError> {
    use crate::{accounts::caller, api::fail, inbox::service::inbox};
    let caller = caller().map_err(fail)?;
    let reader = caller.account().map_err(fail)?;
    inbox().mark_read(reader, up_to).await.map_err(fail)
}
