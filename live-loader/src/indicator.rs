//! The connection's state on the page: a dot and a word (live, reconnecting, offline).
//!
//! Rendered by the server and kept up to date by the tab's connection, not an island: an
//! island of its own would cost 2 KiB of WASM for one word.

use leptos::prelude::*;

use super::LiveStatus;

/// The id of the element the connection writes its state into.
const INDICATOR_ID: &str = "live-status";

/// The indicator; put it once on every page. Says "connecting" until the browser connects.
///
/// `scope` names whose data the page shows (the signed-in user, say): a browser's tabs
/// share one connection only with tabs of the same scope, and a tab reloads when another
/// tab of the browser starts with a different one (a sign-in or sign-out in one tab
/// changes the cookie for all of them).
#[component]
pub fn LiveIndicator(#[prop(optional, into)] scope: String) -> impl IntoView {
    let label = LiveStatus::default().label();
    view! {
        <span id=INDICATOR_ID class="live-indicator" data-status=label data-scope=scope role="status" aria-live="polite" title="Live updates">
            {label}
        </span>
    }
}

/// Shows `status` in the page's indicator, if it has one.
#[cfg(feature = "hydrate")]
pub(super) fn show(status: LiveStatus) {
    if let Some(indicator) = document().get_element_by_id(INDICATOR_ID) {
        let label = status.label();
        let _ = indicator.set_attribute("data-status", label);
        indicator.set_text_content(Some(label));
    }
}

/// The page's scope, as the indicator carries it.
#[cfg(feature = "hydrate")]
pub(super) fn scope() -> String {
    document()
        .get_element_by_id(INDICATOR_ID)
        .and_then(|indicator| indicator.get_attribute("data-scope"))
        .unwrap_or_default()
}
