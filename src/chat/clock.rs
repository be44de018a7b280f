//! A shared "now" for relative times, ticking every 20 seconds in the browser.

use leptos::prelude::*;

use super::time::Timestamp;

#[derive(Clone, Copy)]
struct Clock(RwSignal<Timestamp>);

/// Provides the clock that relative times (`Ago`) read; call once near the root.
pub fn provide_clock() {
    let now = RwSignal::new(Timestamp::now());
    provide_context(Clock(now));
    // Effects run only in the browser: the server renders with its own "now".
    Effect::new(move |_| {
        now.set(Timestamp::now());
        let tick = move || now.set(Timestamp::now());
        if let Ok(ticker) = set_interval_with_handle(tick, std::time::Duration::from_secs(20)) {
            on_cleanup(move || ticker.clear());
        }
    });
}

/// A relative time ("3 min ago") with the exact time on hover.
#[component]
pub fn Ago(at: Timestamp) -> impl IntoView {
    let Clock(now) = expect_context();
    view! {
        <time datetime=at.to_string() title=at.exact()>
            {move || at.relative_to(now.get())}
        </time>
    }
}
