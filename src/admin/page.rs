//! `/admin`: the charts as the server draws them, in an island that re-reads them each time
//! the `admin` topic fires.

use leptos::prelude::*;
use leptos_meta::Title;
use live_loader::use_live;

use super::ADMIN_TOPIC;
use super::charts::Charts;
use super::server_fns::admin_dashboard;
use crate::fetch::get_text;

/// Where the island re-reads the charts from.
pub const CHARTS_PATH: &str = "/admin/charts";

/// The dashboard for an admin; `not_found` (the app's page for a path that isn't there)
/// for anyone else.
#[component]
pub fn AdminPage(#[prop(into)] not_found: ViewFn) -> impl IntoView {
    // Called in place: this component renders on the server only.
    let dashboard = admin_dashboard();
    view! {
        {Suspend::new(async move {
            match dashboard.await {
                Ok(dashboard) => view! {
                    <Title text="Operations"/>
                    <main class="page admin">
                        <h1>"Operations"</h1>
                        <div id=CHARTS_ID><Charts dashboard/></div>
                        <LiveCharts/>
                    </main>
                }.into_any(),
                Err(_) => not_found.run(),
            }
        })}
    }
}

/// The element the charts are drawn in.
const CHARTS_ID: &str = "charts";

/// Draws the charts again (the server does) whenever the figures change; shows nothing.
#[island]
fn LiveCharts() -> impl IntoView {
    let topic = use_live(|| ADMIN_TOPIC.to_owned());
    topic.refetch(|| async {
        let charts = document().get_element_by_id(CHARTS_ID);
        if let (Ok(html), Some(charts)) = (get_text(CHARTS_PATH).await, charts) {
            charts.set_inner_html(&html);
        }
    });
}
