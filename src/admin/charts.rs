//! The dashboard's charts, drawn as SVG on the server (no chart library): a line per figure
//! over the last hour, its current value in the caption, and a table of every minute
//! behind it for screen readers and for reading exact values.

use leptos::prelude::*;

use super::{Dashboard, Sample};
use crate::activity::ExportRun;

/// One figure: its name, its key (for tests and scripts), and its value in a minute.
struct Figure {
    title: &'static str,
    key: &'static str,
    value: fn(&Sample) -> f64,
}

static FIGURES: [Figure; 7] = [
    Figure {
        title: "Open streams",
        key: "streams",
        value: |s| s.streams as f64,
    },
    Figure {
        title: "Posts per minute",
        key: "posts",
        value: |s| s.posts as f64,
    },
    Figure {
        title: "Deliveries per second",
        key: "deliveries",
        value: |s| s.deliveries as f64 / f64::from(s.seconds.max(1)),
    },
    Figure {
        title: "Sign-ins per minute",
        key: "sign-ins",
        value: |s| s.sign_ins as f64,
    },
    Figure {
        title: "Sign-ups per minute",
        key: "sign-ups",
        value: |s| s.sign_ups as f64,
    },
    Figure {
        title: "Rate-limit refusals per minute",
        key: "refusals",
        value: |s| s.refusals as f64,
    },
    Figure {
        title: "Rooms posted in per minute",
        key: "rooms",
        value: |s| s.rooms as f64,
    },
];

/// The SVG's drawing area.
const WIDTH: f64 = 600.0;
const HEIGHT: f64 = 100.0;

/// Every chart of `dashboard`, the exports in progress and each instance's share.
#[component]
pub fn Charts(dashboard: Dashboard) -> impl IntoView {
    let instances = dashboard.instances.len();
    let exports: Vec<ExportRun> = dashboard
        .instances
        .iter()
        .flat_map(|instance| instance.exports.clone())
        .collect();
    let charts = FIGURES.iter().map(|figure| {
        let values: Vec<(i64, f64)> = dashboard
            .total
            .iter()
            .map(|sample| (sample.minute, (figure.value)(sample)))
            .collect();
        view! { <Chart figure values/> }
    });
    view! {
        <p class="muted">
            {format!("The last hour, minute by minute, from {instances} instance{}.", plural(instances))}
        </p>
        <div class="charts">{charts.collect_view()}</div>
        <section class="card" aria-labelledby="exports-heading">
            <h2 id="exports-heading">"Exports in progress"</h2>
            {match exports.is_empty() {
                true => view! { <p>"None now."</p> }.into_any(),
                false => view! {
                    <ul class="exports-running">
                        {exports.into_iter().map(|export| view! {
                            <li>
                                {format!("Export {} of {} ", export.id, export.room)}
                                <progress max="100" value=export.percent aria-label=format!("Export {}", export.id)></progress>
                                {format!(" {}%", export.percent)}
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any(),
            }}
        </section>
        <Shares dashboard/>
    }
}

/// One figure's line over the hour, with its table.
#[component]
fn Chart(figure: &'static Figure, values: Vec<(i64, f64)>) -> impl IntoView {
    let now = values.last().map_or(0.0, |(_, value)| *value);
    let highest = values.iter().map(|(_, value)| *value).fold(0.0, f64::max);
    let hour: f64 = values.iter().map(|(_, value)| *value).sum();
    let scale = if highest > 0.0 { highest } else { 1.0 };
    let step = WIDTH / (values.len().max(2) - 1) as f64;
    let points: Vec<String> = (values.iter().enumerate())
        .map(|(i, (_, value))| {
            format!(
                "{:.1},{:.1}",
                i as f64 * step,
                HEIGHT - 4.0 - value / scale * (HEIGHT - 8.0)
            )
        })
        .collect();
    let label = format!(
        "{}, the last hour: now {}, highest {}",
        figure.title,
        show(now),
        show(highest)
    );
    let rows = values.into_iter().rev().map(|(minute, value)| {
        view! { <tr><th scope="row">{clock(minute)}</th><td>{show(value)}</td></tr> }
    });
    view! {
        <figure class="chart" data-figure=figure.key data-now=show(now) data-hour=show(hour)>
            <figcaption>{figure.title}": " <strong>{show(now)}</strong></figcaption>
            <svg viewBox=format!("0 0 {WIDTH} {HEIGHT}") preserveAspectRatio="none" role="img" aria-label=label>
                <line x1="0" y1=HEIGHT - 4.0 x2=WIDTH y2=HEIGHT - 4.0 class="axis"></line>
                <polyline points=points.join(" ") class="line"></polyline>
            </svg>
            <details>
                <summary>{format!("{}: table", figure.title)}</summary>
                <table>
                    <thead><tr><th scope="col">"Minute (UTC)"</th><th scope="col">{figure.title}</th></tr></thead>
                    <tbody>{rows.collect_view()}</tbody>
                </table>
            </details>
        </figure>
    }
}

/// Each instance's share of the streams open now and of the hour's posts and deliveries.
#[component]
fn Shares(dashboard: Dashboard) -> impl IntoView {
    // Per instance: streams open now, posts and deliveries in the hour.
    let each: Vec<(String, [u64; 3])> = (dashboard.instances.into_iter())
        .map(|instance| {
            let minutes = &instance.minutes;
            let open = minutes.last().map_or(0, |last| last.streams);
            let posts = minutes.iter().map(|sample| sample.posts).sum();
            let deliveries = minutes.iter().map(|sample| sample.deliveries).sum();
            (instance.instance, [open, posts, deliveries])
        })
        .collect();
    let mut all = [0; 3];
    for (_, figures) in &each {
        for (sum, figure) in all.iter_mut().zip(figures) {
            *sum += figure;
        }
    }
    let rows = each.into_iter().map(|(instance, figures)| {
        let cells = figures.into_iter().zip(all).map(|(part, whole)| {
            let share = (part * 100)
                .checked_div(whole)
                .map_or("–".into(), |p| format!("{p}%"));
            view! { <td>{format!("{part} ({share})")}</td> }
        });
        view! { <tr><th scope="row"><code>{instance}</code></th>{cells.collect_view()}</tr> }
    });
    view! {
        <section class="card" aria-labelledby="instances-heading">
            <h2 id="instances-heading">"Instances"</h2>
            <table class="shares">
                <thead>
                    <tr>
                        <th scope="col">"Instance"</th>
                        <th scope="col">"Open streams"</th>
                        <th scope="col">"Posts, last hour"</th>
                        <th scope="col">"Deliveries, last hour"</th>
                    </tr>
                </thead>
                <tbody>{rows.collect_view()}</tbody>
            </table>
        </section>
    }
}

/// A figure as shown: whole numbers as they are, others to one decimal (two below one, so
/// that a few deliveries a minute don't read as none).
fn show(value: f64) -> String {
    match (value.fract() == 0.0, value < 1.0) {
        (true, _) => format!("{value:.0}"),
        (false, true) => format!("{value:.2}"),
        (false, false) => format!("{value:.1}"),
    }
}

/// `HH:MM` of a minute given in seconds since the Unix epoch.
fn clock(minute: i64) -> String {
    format!(
        "{:02}:{:02}",
        minute.rem_euclid(86_400) / 3_600,
        minute.rem_euclid(3_600) / 60
    )
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_show_whole_numbers_plainly_and_minutes_as_a_clock() {
        assert_eq!(show(3.0), "3");
        assert_eq!(show(2.5), "2.5");
        assert_eq!(show(10.0 / 3.0), "3.3");
        assert_eq!(show(1.0 / 30.0), "0.03", "a few a minute is not none");
        assert_eq!(clock(86_400 + 13 * 3_600 + 7 * 60), "13:07");
    }
}
