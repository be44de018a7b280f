//! The connection's state on the page: a dot and a word (live, reconnecting, offline).
//!
//! Rendered by the server and kept up to date by the tab's connection, not an island: an
//! island of its own would cost 2 KiB of WASM for one word.

use leptos::prelude::*;

use super::LiveStatus;

/// The id of the element the connection writes its state into.
const INDICATOR_ID: &str = "live-status";

/// The indicator; put it once on every page. Says "connecting" until the browser connects.
#[component]
pub fn LiveIndicator() -> impl IntoView {
    let label = LiveStatus::default().label();
    view! {
        <span id=INDICATOR_ID class="live-indicator" data-status=label role="status" aria-live="polite" title="Live updates">
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
