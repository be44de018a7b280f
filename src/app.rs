//! The application shell: document head, top bar with the live indicator, and routes.

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::components::{A, Route, Router, Routes};
use leptos_router::{SsrMode, path};
use live_loader::{LiveIndicator, provide_live};

use crate::accounts::{SignInPage, SignUpPage, UserMenu, signed_in};
use crate::admin::AdminPage;
use crate::chat::{DirectoryPage, RoomPage, ThreadPage, ThreadsPage};
use crate::clock::provide_clock;
use crate::exports::form::ExportForm;
use crate::exports::status::Exports;
use crate::inbox::Inbox;

/// Leptos starts hydrating islands once the page is first idle (`requestIdleCallback`), and
/// Chromium may never give a frame under another site idle time (a comment thread's, seen
/// in about one load in three): in a frame, idle callbacks get a deadline.
const IDLE_IN_FRAMES: &str = "if (window.top !== window && window.requestIdleCallback) { \
    const idle = window.requestIdleCallback.bind(window); \
    window.requestIdleCallback = (callback, options) => \
        idle(callback, Object.assign({ timeout: 200 }, options)); }";

/// The HTML document the server renders around [`App`].
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="description" content="Murmur: chat rooms that update live."/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <script inner_html=IDLE_IN_FRAMES></script>
                <HydrationScripts options islands=true/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The whole app: every page shares the top bar and the tab's live connection.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    provide_live();
    provide_clock();
    view! {
        <Stylesheet id="leptos" href="/pkg/murmur.css"/>
        <Title formatter=|page: String| if page.is_empty() { "Murmur".into() } else { format!("{page} · Murmur") }/>
        <Router>
            <TopBar/>
            // Async: the HTML carries the data, so pages work before (and without) the WASM.
            <Routes fallback=NotFound>
                <Route path=path!("/") view=DirectoryPage ssr=SsrMode::Async/>
                <Route path=path!("/rooms/:slug") view=Room ssr=SsrMode::Async/>
                <Route path=path!("/threads") view=ThreadsPage ssr=SsrMode::Async/>
                <Route path=path!("/admin") view=Admin ssr=SsrMode::Async/>
                <Route path=path!("/embed/thread") view=ThreadPage ssr=SsrMode::Async/>
                <Route path=path!("/signin") view=SignInPage/>
                <Route path=path!("/signup") view=SignUpPage/>
            </Routes>
        </Router>
    }
}

/// The bar atop every page but the embedded ones (`/embed/…`, framed in other sites'
/// pages, which have their own).
#[component]
fn TopBar() -> impl IntoView {
    let embedded = leptos_router::hooks::use_location()
        .pathname
        .get_untracked()
        .starts_with("/embed/");
    (!embedded).then(|| view! {
        <header class="topbar">
            <A href="/" attr:class="brand">"Murmur"</A>
            <LiveIndicator scope=signed_in().map(|account| account.username).unwrap_or_default()/>
            <Exports/>
            <Inbox/>
            <UserMenu/>
        </header>
    })
}

/// A room's page, with the export form in its header.
#[component]
fn Room() -> impl IntoView {
    let actions = |slug: String| view! { <ExportForm slug/> }.into_any();
    view! { <RoomPage not_found=NotFound actions/> }
}

/// The operations dashboard, for admins; for anyone else, as if it weren't there.
#[component]
fn Admin() -> impl IntoView {
    view! { <AdminPage not_found=NotFound/> }
}

/// Any path no route matches.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Not found"/>
        <main class="page narrow">
            <h1>"Nothing here"</h1>
            <p>"This page doesn’t exist. " <A href="/">"See all rooms"</A></p>
        </main>
    }
}
