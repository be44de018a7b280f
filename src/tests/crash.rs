//! `kill -9` of the real server process while clients listen and posts continue.

use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::watch;

use super::faults::stored_ids;
use super::follower::Follower;
use super::helpers::Api;

/// The `murmur` binary serving `database_url` on `port` (with `vars` set too), once it
/// says it is listening.
pub async fn start_server(port: u16, database_url: &str, vars: &[(&str, &str)]) -> Child {
    let mut child = Command::new(env!("CARGO_BIN_EXE_murmur"))
        .envs(vars.iter().copied())
        .env("DATABASE_URL", database_url)
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .env_remove("LEPTOS_OUTPUT_NAME")
        .env("RUST_LOG", "info")
        .env("MURMUR_LIMIT_POSTS", "off")
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start the murmur binary");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    while let Some(line) = lines.next_line().await.expect("read server output") {
        if line.contains("listening on") {
            tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
            return child;
        }
    }
    panic!("the server exited before listening");
}

/// A port nothing listens on now.
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// A poster that keeps going through faults, keeping the ids acknowledged with `201`.
pub struct Poster {
    acknowledged: watch::Receiver<Vec<i64>>,
    stop: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

impl Poster {
    /// Starts posting to room `slug` through `app`, as fast as it answers.
    pub async fn start(app: &Api, slug: &str) -> Self {
        let (progress, acknowledged) = watch::channel(Vec::<i64>::new());
        let stop = Arc::new(AtomicBool::new(false));
        let http = app.client_as("poster").await;
        let url = app.url(&format!("/api/rooms/{slug}/messages"));
        let task = tokio::spawn({
            let stop = Arc::clone(&stop);
            async move {
                for attempt in 0.. {
                    if stop.load(Ordering::SeqCst) {
                        return;
                    }
                    let body = serde_json::json!({ "body": format!("attempt {attempt}") });
                    let Ok(response) = http.post(&url).json(&body).send().await else {
                        tokio::task::yield_now().await;
                        continue;
                    };
                    if response.status() == 201 {
                        let message: serde_json::Value = response.json().await.unwrap();
                        progress.send_modify(|ids| ids.push(message["id"].as_i64().unwrap()));
                    }
                }
            }
        });
        Self {
            acknowledged,
            stop,
            task,
        }
    }

    /// Waits until `more` posts have been acknowledged since this was last asked.
    pub async fn wait_for_more(&mut self, more: usize) {
        let wanted = self.acknowledged.borrow().len() + more;
        let acknowledged = self.acknowledged.wait_for(|ids| ids.len() >= wanted);
        acknowledged.await.unwrap();
    }

    /// Stops once the post in flight has finished, so the database holds its final
    /// content; answers every id acknowledged.
    pub async fn stop(self) -> Vec<i64> {
        self.stop.store(true, Ordering::SeqCst);
        self.task.await.unwrap();
        self.acknowledged.borrow().clone()
    }
}

#[tokio::test]
async fn kill_9_loses_no_acknowledged_message_and_clients_resume_without_gaps() {
    let dir = tempfile::tempdir().unwrap();
    let database_url = format!("sqlite://{}", dir.path().join("murmur.db").display());
    let port = free_port();
    let mut server = start_server(port, &database_url, &[]).await;
    let app = Api::new(format!("http://127.0.0.1:{port}"), database_url.clone());
    app.create_room("durable").await;
    let mut followers: Vec<Follower> = (0..3)
        .map(|_| Follower::start(&app.base, "durable", 0))
        .collect();

    let mut poster = Poster::start(&app, "durable").await;
    poster.wait_for_more(30).await;
    server.start_kill().expect("SIGKILL");
    server.wait().await.expect("the server died");
    let _server = start_server(port, &database_url, &[]).await;
    poster.wait_for_more(30).await;
    let acknowledged = poster.stop().await;

    let stored = stored_ids(&app, "durable").await;
    for id in &acknowledged {
        assert!(stored.contains(id), "acknowledged message {id} survived");
    }
    for follower in &mut followers {
        follower.assert_converges_to(&stored).await;
    }
}
