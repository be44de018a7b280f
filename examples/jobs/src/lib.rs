//! Jobs: a second app on the live loader. A signed-in person starts a slow job and watches
//! its progress live; everyone sees how many jobs are running. Topics: `user:<name>` (that
//! person's jobs, only for them) and `running` (the count, for everyone).

#[cfg(feature = "ssr")]
pub mod server;

use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use live_loader::{LiveIndicator, provide_live, use_live};
use serde::{Deserialize, Serialize};

/// One job: done at 100.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Job {
    pub id: u64,
    pub progress: u8,
}

/// How many jobs are running, everyone's, and the caller's own jobs if signed in.
#[server]
pub async fn snapshot() -> Result<(usize, Option<Vec<Job>>), ServerFnError> {
    let (jobs, who) = server::caller()?;
    Ok(jobs.snapshot(who.as_deref()))
}

/// Starts a slow job for the signed-in person; a plain form's post comes back to `/`.
#[server]
pub async fn start_job() -> Result<Job, ServerFnError> {
    let (jobs, who) = server::caller()?;
    let job = jobs.start(&who.ok_or_else(|| ServerFnError::new("sign in first"))?);
    leptos_axum::redirect("/");
    Ok(job)
}

/// Signs in as `name` (no password: this app shows live loading, not accounts).
#[server]
pub async fn sign_in(name: String) -> Result<(), ServerFnError> {
    if name.is_empty() || name.len() > 32 || !name.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(ServerFnError::new("a name is 1 to 32 letters and digits"));
    }
    server::caller()?.0.sign_in(&name);
    leptos_axum::redirect("/");
    Ok(())
}

/// The page's document.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <title>"Jobs"</title>
                <link rel="stylesheet" href="/pkg/jobs.css"/>
                <HydrationScripts options islands=true/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The one page: the running count for everyone, and a signed-in person's own jobs.
#[component]
pub fn App() -> impl IntoView {
    provide_live();
    // Rendered on the server only (the islands are what hydrates); listing the routes
    // renders it outside any request.
    #[cfg(feature = "ssr")]
    let ((running, mine), who) = server::caller()
        .map_or(((0, None), None), |(jobs, who)| (jobs.snapshot(who.as_deref()), who));
    #[cfg(not(feature = "ssr"))]
    let ((running, mine), who) = ((0, None), None::<String>);
    let mine = match (who.clone(), mine) {
        (Some(owner), Some(jobs)) => view! { <MyJobs owner jobs/> }.into_any(),
        _ => view! {
            <form method="post" action=SignIn::url()>
                <label>"Your name " <input name="name" required autocomplete="username"/></label>
                <button>"Sign in"</button>
            </form>
        }
        .into_any(),
    };
    view! {
        <header>
            <h1>"Jobs"</h1>
            <LiveIndicator/>
            <p>{who.map(|who| format!("Signed in as {who}"))}</p>
        </header>
        <main><RunningCount running/> {mine}</main>
    }
}

/// Everyone's running jobs, live.
#[island]
fn RunningCount(running: usize) -> impl IntoView {
    let count = RwSignal::new(running);
    let topic = use_live(|| "running".to_owned());
    topic.apply(move |data| {
        let running = serde_json::from_str::<serde_json::Value>(data).ok();
        let running = running.and_then(|data| data["running"].as_u64());
        running.map(|now| count.set(now as usize)).is_some()
    });
    topic.refetch(move || async move { _ = snapshot().await.map(|(now, _)| count.set(now)) });
    view! { <p class="running">"Running now: " <output aria-live="polite">{count}</output></p> }
}

/// `owner`'s jobs, live: each progress event updates its job in place.
#[island]
fn MyJobs(owner: String, jobs: Vec<Job>) -> impl IntoView {
    let jobs = RwSignal::new(jobs);
    let done = RwSignal::new(None::<u64>);
    let topic = use_live(move || format!("user:{owner}"));
    topic.apply(move |data| {
        let job = serde_json::from_str::<Job>(data);
        job.map(|job| {
            (job.progress == 100).then(|| done.set(Some(job.id)));
            jobs.update(|jobs| match jobs.iter_mut().find(|known| known.id == job.id) {
                Some(known) => *known = job,
                None => jobs.insert(0, job),
            })
        })
        .is_ok()
    });
    topic.refetch(move || async move {
        _ = snapshot().await.map(|(_, now)| jobs.set(now.unwrap_or_default()))
    });
    // With JavaScript the job starts without leaving the page; without, the form posts.
    let start = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        leptos::task::spawn_local(async { drop(start_job().await) });
    };
    view! {
        <form method="post" action=StartJob::url() on:submit=start>
            <button>"Start a job"</button>
        </form>
        <p role="status">{move || done.get().map(|id| format!("Job {id} is done."))}</p>
        <ul class="jobs" aria-label="Your jobs">
            {move || jobs.get().into_iter().map(|job| view! {
                <li>
                    {format!("Job {} ", job.id)}
                    <progress max="100" value=job.progress aria-label=format!("Job {}", job.id)></progress>
                    {if job.progress == 100 { " done".to_owned() } else { format!(" {}%", job.progress) }}
                </li>
            }).collect_view()}
        </ul>
    }
}

/// The browser's entry point: hydrates the islands.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    leptos::mount::hydrate_islands();
}
