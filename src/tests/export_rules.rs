//! What exports must not let through: someone removed from a private room keeps nothing
//! they exported of it, a stale export is made again only within the export rate, and an
//! instance takes on a bounded number of exports at once.

use serde_json::{Value, json};

use murmur::protect::{Rate, RateLimits};

use super::exports::{fetch_as, request, until_done};
use super::helpers::{SseClient, TestApp, spawn_app, spawn_app_with};

/// `who`'s own topic, open.
async fn topic_of(app: &TestApp, who: &str) -> SseClient {
    let client = app.client_as(who).await;
    let url = app.url(&format!("/live?topic=user:{who}"));
    SseClient::open(&client, &url, None).await.unwrap()
}

/// `who` asks for a JSON Lines export of `slug` and waits for it to be ready: its id.
async fn ready_export(app: &TestApp, who: &str, slug: &str) -> i64 {
    let mut topic = topic_of(app, who).await;
    let (status, answer) = request(app, who, slug, "jsonl").await;
    assert_eq!(status, 202, "{answer}");
    let id = answer["id"].as_i64().unwrap();
    let events = until_done(&mut topic, id).await;
    assert_eq!(events.last().unwrap().json()["kind"], "export-ready");
    id
}

/// The answer to `path` as `who`: its status, and its error with export `id` written `<id>`.
async fn refusal(app: &TestApp, who: &str, path: &str, id: i64) -> (u16, String) {
    let (status, body) = fetch_as(app, who, path).await;
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let error = body["error"].as_str().unwrap_or_default();
    (status, error.replace(&id.to_string(), "<id>"))
}

#[tokio::test]
async fn someone_removed_from_a_private_room_loses_what_they_exported_of_it() {
    let app = spawn_app().await;
    app.create_private_room("ada", "secret").await;
    app.post("secret", "ada", "for members only").await;
    app.token("grace").await;
    let ada = app.client_as("ada").await;
    let added = ada.post(app.url("/api/rooms/secret/members"));
    let added = added.json(&json!({ "username": "grace" })).send().await;
    assert_eq!(added.unwrap().status(), 201);
    let id = ready_export(&app, "grace", "secret").await;
    let (state, download) = (
        format!("/api/exports/{id}"),
        format!("/api/exports/{id}/download"),
    );
    assert_eq!(fetch_as(&app, "grace", &download).await.0, 200);

    let removed = ada.delete(app.url("/api/rooms/secret/members/grace"));
    assert_eq!(removed.send().await.unwrap().status(), 204);
    let unknown = id + 1000;
    for (path, never) in [
        (&state, format!("/api/exports/{unknown}")),
        (&download, format!("/api/exports/{unknown}/download")),
    ] {
        let gone = refusal(&app, "grace", path, id).await;
        assert_eq!(gone.0, 404, "{path}");
        assert_eq!(
            gone,
            refusal(&app, "grace", &never, unknown).await,
            "{path}"
        );
    }
    let (_, listed) = app.get_json_as("grace", "/api/exports").await;
    assert_eq!(listed, json!([]), "the top bar forgets it too");

    // Added again (within the day it is kept), she has it back: it was kept from her,
    // not taken away.
    let added = ada.post(app.url("/api/rooms/secret/members"));
    let added = added.json(&json!({ "username": "grace" })).send().await;
    assert_eq!(added.unwrap().status(), 201);
    assert_eq!(fetch_as(&app, "grace", &download).await.0, 200);
}

#[tokio::test]
async fn a_stale_export_is_made_again_only_within_the_export_rate() {
    let app = spawn_app_with(|config| {
        let one_a_minute = Rate {
            burst: 1,
            per_minute: 1,
        };
        config.limits = RateLimits {
            exports: Some(one_a_minute),
            ..RateLimits::off()
        };
    })
    .await;
    app.create_room("archive").await;
    let gone = app.post("archive", "ada", "soon deleted").await;
    app.post("archive", "ada", "stays").await;
    let id = ready_export(&app, "ada", "archive").await;
    let ada = app.client_as("ada").await;
    let deleted = ada.delete(app.url(&format!("/api/rooms/archive/messages/{gone}")));
    assert_eq!(deleted.send().await.unwrap().status(), 204);

    let download = app.url(&format!("/api/exports/{id}/download"));
    for _ in 0..2 {
        let message = too_many(ada.get(&download).send().await.unwrap()).await;
        assert!(message.contains("try again"), "{message}");
    }
    let (_, state) = app.get_json_as("ada", &format!("/api/exports/{id}")).await;
    assert_eq!(state["state"], "ready", "not queued again: {state}");
}

/// The message of `refused`, which must be a 429 that says in `Retry-After` how many
/// seconds to wait.
async fn too_many(refused: reqwest::Response) -> String {
    assert_eq!(refused.status(), 429);
    let wait = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(wait.parse::<u64>().is_ok(), "{wait:?}");
    let refused: Value = refused.json().await.unwrap();
    refused["error"].as_str().unwrap().to_owned()
}

/// Makes a named pipe at `path`: a file whose writer waits, at its opening, for a reader.
fn pipe_at(path: &std::path::Path) {
    let made = std::process::Command::new("mkfifo").arg(path).status();
    assert!(made.unwrap().success(), "mkfifo {}", path.display());
}

#[tokio::test]
async fn an_instance_takes_on_so_many_exports_at_once_and_refuses_more_until_one_ends() {
    let app = spawn_app_with(|config| config.export_queue = 1).await;
    app.create_room("archive").await;
    app.post("archive", "ada", "hello").await;
    // The first export's file is a pipe nobody reads yet: its runner waits at opening it.
    let pipe = app.exports_dir().join("1.part");
    pipe_at(&pipe);
    let mut topic = topic_of(&app, "ada").await;
    let (status, first) = request(&app, "ada", "archive", "jsonl").await;
    assert_eq!((status, &first["id"]), (202, &json!(1)), "{first}");

    let ada = app.client_as("ada").await;
    let asked = ada.post(app.url("/api/rooms/archive/exports"));
    let refused = asked
        .json(&json!({ "format": "csv" }))
        .send()
        .await
        .unwrap();
    let message = too_many(refused).await;
    assert!(message.contains("too many exports"), "{message}");
    let (_, listed) = app.get_json_as("ada", "/api/exports").await;
    assert_eq!(listed.as_array().unwrap().len(), 1, "nothing kept of it");

    // Once the first has ended (read from the pipe, it can't be made durable: it fails),
    // its place is free again.
    let drained = tokio::task::spawn_blocking(move || std::fs::read(pipe));
    until_done(&mut topic, 1).await;
    drained.await.unwrap().unwrap();
    let id = ready_export(&app, "ada", "archive").await;
    assert_eq!(
        fetch_as(&app, "ada", &format!("/api/exports/{id}/download"))
            .await
            .0,
        200
    );
}
