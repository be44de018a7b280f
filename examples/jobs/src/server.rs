//! The server's side: who is signed in, the jobs, and the glue to the live loader (a bus, a
//! gate and the stream's route).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use leptos::prelude::*;
use leptos_axum::{LeptosRoutes, ResponseOptions, generate_route_list};
use live_loader::{Bus, InProcessBus, LiveEvent, LiveState, Refusal};

use crate::{App, Job, shell};

const COOKIE: &str = "jobs_session";

/// Everything the app keeps, in memory, and the bus it publishes on.
#[derive(Clone)]
pub struct Jobs {
    bus: Arc<dyn Bus>,
    kept: Arc<Mutex<Kept>>,
    /// How long each tenth of a job takes.
    step: Duration,
}

#[derive(Default)]
struct Kept {
    /// Session tokens and whom they sign in.
    sessions: HashMap<String, String>,
    /// Each person's jobs, newest first.
    jobs: HashMap<String, Vec<Job>>,
    started: u64,
}

impl Jobs {
    /// How many jobs are running, everyone's, and `who`'s jobs, newest first.
    pub fn snapshot(&self, who: Option<&str>) -> (usize, Option<Vec<Job>>) {
        let kept = self.kept.lock().unwrap();
        let running = kept.jobs.values().flatten().filter(|job| job.progress < 100).count();
        (running, who.map(|who| kept.jobs.get(who).cloned().unwrap_or_default()))
    }

    /// A new session for `name`, its cookie set on the response.
    pub fn sign_in(&self, name: &str) {
        let random = || getrandom::u64().expect("the OS has randomness");
        let token = format!("{:016x}{:016x}", random(), random());
        self.kept.lock().unwrap().sessions.insert(token.clone(), name.to_owned());
        let cookie = format!("{COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax");
        expect_context::<ResponseOptions>()
            .insert_header(header::SET_COOKIE, cookie.parse().unwrap());
    }

    /// Whom the request's cookie signs in, if anyone.
    pub fn who(&self, headers: &HeaderMap) -> Option<String> {
        let cookies = headers.get(header::COOKIE)?.to_str().ok()?;
        let token = cookies.split("; ").find_map(|c| c.strip_prefix(&format!("{COOKIE}=")))?;
        self.kept.lock().unwrap().sessions.get(token).cloned()
    }

    /// Starts a job for `who` that moves a tenth at a time in the background.
    pub fn start(&self, who: &str) -> Job {
        let mut kept = self.kept.lock().unwrap();
        kept.started += 1;
        let job = Job { id: kept.started, progress: 0 };
        kept.jobs.entry(who.to_owned()).or_default().insert(0, job.clone());
        drop(kept);
        let (jobs, who) = (self.clone(), who.to_owned());
        tokio::spawn(async move {
            for progress in (0..=100).step_by(10) {
                jobs.publish(&who, job.id, progress);
                tokio::time::sleep(jobs.step).await;
            }
        });
        job
    }

    /// Records `progress` of `who`'s job `id`; publishes it to `who` and the count to all.
    fn publish(&self, who: &str, id: u64, progress: u8) {
        let mut kept = self.kept.lock().unwrap();
        let mine = kept.jobs.get_mut(who).into_iter().flatten();
        mine.filter(|job| job.id == id).for_each(|job| job.progress = progress);
        drop(kept);
        let job = serde_json::json!({ "id": id, "progress": progress }).to_string();
        let event = LiveEvent::new(&format!("user:{who}"), "job", None, &job);
        self.bus.publish(event.only_for(vec![who.to_owned()]));
        let running = serde_json::json!({ "running": self.snapshot(None).0 }).to_string();
        self.bus.publish(LiveEvent::new("running", "running", None, &running));
    }
}

/// The jobs and who calls, in a server function or a render.
pub fn caller() -> Result<(Jobs, Option<String>), ServerFnError> {
    let jobs = use_context::<Jobs>().ok_or_else(|| ServerFnError::new("no jobs here"))?;
    let request = use_context::<Parts>().ok_or_else(|| ServerFnError::new("no request"))?;
    let who = jobs.who(&request.headers);
    Ok((jobs, who))
}

/// The app's routes: the page, its server functions and the live stream.
pub fn app(options: LeptosOptions, step: Duration) -> Router {
    let bus: Arc<dyn Bus> = Arc::new(InProcessBus::new(256));
    let jobs = Jobs { bus: bus.clone(), kept: Arc::default(), step };
    // Anyone may follow the running count; only you, your own jobs.
    let gate = |who: Option<&str>, topic: &str| match topic.strip_prefix("user:") {
        Some(owner) if who == Some(owner) => Ok(()),
        None if topic == "running" => Ok(()),
        _ => Err(Refusal::NotFound(format!("there is no topic {topic} for you"))),
    };
    let live = LiveState::builder(bus, gate).build();
    let (signed_in, context) = (jobs.clone(), jobs);
    let shell_options = options.clone();
    Router::new()
        .merge(live.router(move |headers| signed_in.who(headers)))
        .leptos_routes_with_context(
            &options,
            generate_route_list(App),
            move || provide_context(context.clone()),
            move || shell(shell_options.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler(shell))
        .with_state(options)
}
