//! What a person's tabs show of their exports, in the top bar: a progress bar while one
//! runs, then "Your export of #room is ready" with its download link — kept current by the
//! export events of their own topic, whose payloads are applied (any other event of the
//! topic is left to re-run what depends on it, such as the bell).

use leptos::prelude::*;
use live_loader::use_live;
use serde::{Deserialize, Serialize};

use super::server_fns::load_exports;
use super::{ExportSummary, download_url};
use crate::accounts::signed_in;
use crate::inbox::user_topic;
use crate::island::{Seed, plant, seed};
use crate::js::{self, FromJs, Json, field, from_js_fields};

/// The signed-in caller's exports (server render only); nothing signed out.
#[component]
pub fn Exports() -> impl IntoView {
    if signed_in().is_none() {
        return ().into_any();
    }
    let exports = load_exports();
    view! {
        {Suspend::new(async move {
            match exports.await {
                Ok(Some(seed)) => view! { {plant(seed)} <ExportList/> }.into_any(),
                _ => ().into_any(),
            }
        })}
    }
    .into_any()
}

/// What [`ExportList`] starts from: whose exports, and those of the last day.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExportsSeed {
    pub username: String,
    pub exports: Vec<ExportSummary>,
}

impl Seed for ExportsSeed {
    const ID: &'static str = "exports-seed";
}

from_js_fields!(ExportsSeed { username, exports });

/// How many exports the top bar shows: the newest.
const SHOWN: usize = 3;

/// An export event of a person's topic.
#[derive(Debug, PartialEq)]
pub enum ExportChange {
    Progress {
        id: i64,
        percent: i64,
    },
    Ended {
        id: i64,
        room: String,
        state: &'static str,
    },
}

impl FromJs for ExportChange {
    fn from_js<J: Json>(value: &J) -> Option<Self> {
        let id = field(value, "export")?;
        let ended = |state| {
            let room = field(value, "room")?;
            Some(Self::Ended { id, room, state })
        };
        match field::<String>(value, "kind")?.as_str() {
            "export-progress" => Some(Self::Progress {
                id,
                percent: field(value, "percent")?,
            }),
            "export-ready" => ended("ready"),
            "export-failed" => ended("failed"),
            _ => None,
        }
    }
}

/// Applies `change` to the exports shown (one asked for in another tab arrives new).
pub fn take(exports: RwSignal<Vec<ExportSummary>>, change: ExportChange) {
    exports.update(|list| {
        let id = match &change {
            ExportChange::Progress { id, .. } | ExportChange::Ended { id, .. } => *id,
        };
        let at = match list.iter().position(|export| export.id == id) {
            Some(at) => at,
            None => {
                let new = ExportSummary {
                    id,
                    room: String::new(),
                    state: "running".into(),
                    percent: 0,
                };
                let at = list.partition_point(|export| export.id > id);
                list.insert(at, new);
                at
            }
        };
        let export = &mut list[at];
        match change {
            ExportChange::Progress { percent, .. } => export.percent = export.percent.max(percent),
            ExportChange::Ended { room, state, .. } => {
                export.room = room;
                export.state = state.into();
            }
        }
    });
}

/// The newest exports, running, ready or failed, live.
#[island]
fn ExportList() -> impl IntoView {
    let ExportsSeed { username, exports } = seed();
    let exports = RwSignal::new(exports);
    use_live(move || user_topic(&username)).apply(move |data| {
        match js::parse::<ExportChange>(data) {
            Some(change) => take(exports, change),
            None => return false,
        }
        true
    });
    let shown = move || {
        let list = exports.get();
        list.into_iter()
            .take(SHOWN)
            .map(|export| view! { <ExportItem export/> })
            .collect_view()
    };
    view! { <ul class="exports" aria-label="Exports">{shown}</ul> }
}

/// One export: one shape whatever its state (a text, and a progress bar while it runs or
/// a link once it is ready), so the list's view is a single type.
#[component]
fn ExportItem(export: ExportSummary) -> impl IntoView {
    let room = match export.room.as_str() {
        "" => "a room".to_owned(),
        slug => format!("#{slug}"),
    };
    let text = match export.state.as_str() {
        "ready" => format!("Your export of {room} is ready: "),
        "failed" => format!("Your export of {room} failed; please ask again."),
        _ => format!("Exporting {room}: {}% ", export.percent),
    };
    let running = export.state == "running";
    let ready = export.state == "ready";
    view! {
        <li class="export" class:error=export.state == "failed">
            {text}
            {running.then(|| view! { <progress max="100" value=export.percent aria-label="Export progress"></progress> })}
            {ready.then(|| view! { <a href=download_url(export.id) download="">"download"</a> })}
        </li>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::island::planted;

    fn summary(id: i64, state: &str, percent: i64) -> ExportSummary {
        ExportSummary {
            id,
            room: "a".into(),
            state: state.into(),
            percent,
        }
    }

    #[test]
    fn progress_only_grows_and_the_end_names_the_room() {
        let owner = Owner::new();
        owner.with(|| {
            let exports = RwSignal::new(vec![summary(2, "running", 40)]);
            take(exports, ExportChange::Progress { id: 2, percent: 30 });
            assert_eq!(exports.get_untracked(), [summary(2, "running", 40)]);
            take(exports, ExportChange::Progress { id: 3, percent: 10 });
            let ready = ExportChange::Ended {
                id: 3,
                room: "b".into(),
                state: "ready",
            };
            take(exports, ready);
            let list = exports.get_untracked();
            assert_eq!(
                (list[0].id, list[0].room.as_str(), list[0].state.as_str()),
                (3, "b", "ready")
            );
            assert_eq!(list[1], summary(2, "running", 40));
        });
    }

    #[test]
    fn the_exports_seed_reads_back_in_the_browser_as_the_server_planted_it() {
        let exports = vec![
            summary(3, "running", 40),
            summary(2, "ready", 100),
            summary(1, "failed", 7),
        ];
        let username = "ada".to_owned();
        for exports in [exports, vec![]] {
            let seed = ExportsSeed {
                username: username.clone(),
                exports,
            };
            assert_eq!(planted(&seed), Some(seed));
        }
    }
}
