//! A shared "now" for relative times, ticking every 20 seconds in the browser.

use leptos::prelude::*;

use crate::time::Timestamp;

#[derive(Clone, Copy)]
struct Clock(RwSignal<Timestamp>);

/// Provides the clock that relative times (`Ago`) read during a server render; call once
/// near the root. (In the browser every island shares the tab's clock.)
pub fn provide_clock() {
    provide_context(Clock(RwSignal::new(Timestamp::now())));
}

/// The render's clock on the server; in the browser, the tab's, which ticks.
fn clock() -> Clock {
    #[cfg(feature = "hydrate")]
    {
        thread_local! {
            static TAB: Clock = live_loader::for_the_tab(|| {
                let now = RwSignal::new(Timestamp::now());
                let tick = move || now.set(Timestamp::now());
                let _ = set_interval_with_handle(tick, std::time::Duration::from_secs(20));
                Clock(now)
            });
        }
        TAB.with(|clock| *clock)
    }
    // A part rendered outside the root's owner (a suspended part resolved ahead of time)
    // can't reach the context; its own "now" is the same instant to within the render.
    #[cfg(not(feature = "hydrate"))]
    use_context().unwrap_or_else(|| Clock(RwSignal::new(Timestamp::now())))
}

/// A relative time ("3 min ago") with the exact time on hover.
#[component]
pub fn Ago(at: Timestamp) -> impl IntoView {
    let Clock(now) = clock();
    let datetime = at.to_string();
    let exact = Timestamp::exact_of(&datetime);
    view! {
        <time datetime=datetime title=exact>
            {move || at.relative_to(now.get())}
        </time>
    }
}
