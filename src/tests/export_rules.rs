//! What exports must not let through: someone removed from a private room keeps nothing
//! they exported of it.

use serde_json::{Value, json};

use super::exports::{fetch_as, request, until_done};
use super::helpers::{SseClient, TestApp, spawn_app};

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
