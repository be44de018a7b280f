//! `kill -9` of the real server process while clients listen and posts continue.

use std::process::Stdio;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use super::faults::stored_ids;
use super::follower::Follower;
use super::helpers::Api;

/// The `murmur` binary serving `database_url` on `port`, once it says it is listening.
async fn start_server(port: u16, database_url: &str) -> Child {
    let mut child = Command::new(env!("CARGO_BIN_EXE_murmur"))
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

#[tokio::test]
async fn kill_9_loses_no_acknowledged_message_and_clients_resume_without_gaps() {
    let dir = tempfile::tempdir().unwrap();
    let database_url = format!("sqlite://{}", dir.path().join("murmur.db").display());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut server = start_server(port, &database_url).await;
    let app = Api::new(format!("http://127.0.0.1:{port}"), database_url.clone());
    app.create_room("durable").await;
    let mut followers: Vec<Follower> = (0..3)
        .map(|_| Follower::start(&app.base, "durable", 0))
        .collect();

    // A poster that keeps going through the crash, keeping the ids acknowledged with 201.
    let (progress, mut acknowledged) = tokio::sync::watch::channel(Vec::<i64>::new());
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let poster = {
        let stop = std::sync::Arc::clone(&stop);
        let (http, url) = (
            app.client_as("poster").await,
            app.url("/api/rooms/durable/messages"),
        );
        tokio::spawn(async move {
            for attempt in 0.. {
                if stop.load(std::sync::atomic::Ordering::SeqCst) {
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
        })
    };
    acknowledged.wait_for(|ids| ids.len() >= 30).await.unwrap();
    server.start_kill().expect("SIGKILL");
    server.wait().await.expect("the server died");
    let _server = start_server(port, &database_url).await;
    let before_restart = acknowledged.borrow().len();
    acknowledged
        .wait_for(|ids| ids.len() >= before_restart + 30)
        .await
        .unwrap();
    // Let the post in flight finish, so the database holds its final content.
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    poster.await.unwrap();
    let acknowledged = acknowledged.borrow().clone();

    let stored = stored_ids(&app, "durable").await;
    for id in &acknowledged {
        assert!(stored.contains(id), "acknowledged message {id} survived");
    }
    for follower in &mut followers {
        follower.assert_converges_to(&stored).await;
    }
}
