//! The form that asks for an export of a room's whole history: a plain form (the page comes
//! back, and the top bar follows the export), which the app puts in a room's header.

use leptos::prelude::*;
use leptos::server_fn::ServerFn;

use super::server_fns::ExportRoom;

/// Asks for an export of room `slug`, in the format the person picks.
#[component]
pub fn ExportForm(slug: String) -> impl IntoView {
    view! {
        <form class="export-form" method="post" action=ExportRoom::PATH>
            <input type="hidden" name="slug" value=slug/>
            <select name="format" aria-label="Export format">
                <option value="jsonl">"JSON Lines"</option>
                <option value="csv">"CSV"</option>
            </select>
            <button type="submit" class="link">"Export history"</button>
        </form>
    }
}
