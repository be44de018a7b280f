//! "Typing…": heard live by the room's readers, never kept, never replayed, never a cursor.

use serde_json::{Value, json};

use super::helpers::{SseClient, TestApp, spawn_app};

/// `POST /api/rooms/{slug}/typing` as `who` (or signed out): the status.
async fn typing(app: &TestApp, who: Option<&str>, slug: &str) -> u16 {
    let client = match who {
        Some(who) => app.client_as(who).await,
        None => app.http.clone(),
    };
    let url = app.url(&format!("/api/rooms/{slug}/typing"));
    client.post(url).send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn typing_reaches_open_streams_without_an_id_and_is_never_replayed() {
    let app = spawn_app().await;
    app.create_room("general").await;
    let (_, first) = app.post_json("general", "grace", "before").await;
    let cursor = first["id"].as_i64().unwrap();
    let mut room = app.sse("/rooms/general/stream").await;
    let mut live = app.sse("/live?topic=room:general").await;

    assert_eq!(typing(&app, Some("ada"), "general").await, 204);
    let heard = room.next().await;
    assert_eq!((heard.event.as_deref(), heard.id), (Some("typing"), None));
    assert_eq!(
        serde_json::from_str::<Value>(&heard.data).unwrap(),
        json!({ "username": "ada" })
    );
    let heard = live.next().await;
    assert_eq!(heard.id, None, "no cursor on /live either");
    let payload: Value = serde_json::from_str(&heard.data).unwrap();
    assert_eq!(payload, json!({ "kind": "typing", "username": "ada" }));

    // A client resuming from before it gets the messages, and nothing of the typing.
    let (_, after) = app.post_json("general", "ada", "after").await;
    let mut resumed = app
        .sse_after("/rooms/general/stream", &cursor.to_string())
        .await;
    let replayed = resumed.next().await;
    assert_eq!(replayed.event.as_deref(), Some("message"));
    assert_eq!(replayed.id, Some(after["id"].to_string()));
}

#[tokio::test]
async fn typing_needs_an_account_and_a_room_the_typist_may_see() {
    let app = spawn_app().await;
    app.create_room("general").await;
    assert_eq!(typing(&app, None, "general").await, 401);
    assert_eq!(typing(&app, Some("ada"), "nowhere").await, 404);
    let ada = app.client_as("ada").await;
    app.create_private_room("ada", "secret").await;
    assert_eq!(
        typing(&app, Some("eve"), "secret").await,
        404,
        "as if it didn't exist"
    );
    let mut stream = SseClient::open(&ada, &app.url("/rooms/secret/stream"), None)
        .await
        .unwrap();
    assert_eq!(typing(&app, Some("ada"), "secret").await, 204);
    assert_eq!(stream.next().await.event.as_deref(), Some("typing"));
}

#[tokio::test]
async fn typing_again_within_two_seconds_is_refused_with_retry_after_and_told_to_nobody() {
    let app = spawn_app().await;
    app.create_room("general").await;
    let mut room = app.sse("/rooms/general/stream").await;
    assert_eq!(typing(&app, Some("ada"), "general").await, 204);
    assert_eq!(room.next().await.event.as_deref(), Some("typing"));

    let ada = app.client_as("ada").await;
    let again = ada.post(app.url("/api/rooms/general/typing")).send().await;
    let again = again.unwrap();
    assert_eq!(again.status(), 429);
    let wait = again.headers()["retry-after"].to_str().unwrap().to_owned();
    assert!(wait.parse::<u64>().is_ok(), "{wait:?}");
    let refused: Value = again.json().await.unwrap();
    assert!(refused["error"].as_str().unwrap().contains("try again"));

    assert_eq!(typing(&app, Some("grace"), "general").await, 204, "her own");
    let heard = room.next().await;
    assert_eq!(
        heard.json(),
        json!({ "username": "grace" }),
        "not ada again"
    );
}
