//! Presence: who has a room open, read off the open streams — each person once however
//! many tabs, signed-out readers counted, leaves after a grace period, the full set first.

use std::time::Duration;

use serde_json::{Value, json};

use super::helpers::{SseClient, TestApp, spawn_app, spawn_app_with};

async fn stream_as(app: &TestApp, who: &str, path: &str) -> SseClient {
    let client = app.client_as(who).await;
    SseClient::open(&client, &app.url(path), None)
        .await
        .unwrap()
}

/// Waits until the server has seen `count` streams, no more: a closed one has ended there.
async fn streams_settle_at(app: &TestApp, count: u64) {
    while app.open_streams().await != count {
        tokio::task::yield_now().await;
    }
}

#[tokio::test]
async fn a_person_with_several_streams_counts_once_and_everyone_gets_the_set_first() {
    let app = spawn_app().await;
    app.create_room("hall").await;
    let mut watcher = app.sse("/rooms/hall/stream").await;
    assert_eq!(
        watcher.next_presence().await,
        json!({ "users": [], "anonymous": 1 }),
        "a signed-out reader counts itself"
    );

    let mut tab = stream_as(&app, "ada", "/rooms/hall/stream").await;
    let first = tab.next_raw().await;
    assert_eq!(
        (first.event.as_deref(), first.id.as_deref()),
        (Some("presence"), None)
    );
    assert_eq!(first.json(), json!({ "users": ["ada"], "anonymous": 1 }));
    let mut other_tab = stream_as(&app, "ada", "/live?topic=room:hall").await;
    let first = other_tab.next_raw().await;
    assert_eq!(first.id, None, "no cursor on /live either");
    assert_eq!(
        first.json(),
        json!({ "kind": "presence", "users": ["ada"], "anonymous": 1 })
    );
    assert_eq!(
        watcher.next_presence().await,
        json!({ "users": ["ada"], "anonymous": 1 })
    );
    let (status, present) = app.get_json("/api/rooms/hall/presence").await;
    assert_eq!(status, 200);
    assert_eq!(present, json!({ "users": ["ada"], "anonymous": 1 }));
    let hall = app.rooms().await.into_iter().find(|r| r["slug"] == "hall");
    assert_eq!(hall.unwrap()["here"], 2);

    // One of her tabs closes: she is still here, as bob's arrival shows.
    drop(tab);
    streams_settle_at(&app, 2).await;
    let _bob = stream_as(&app, "bob", "/live?topic=room:hall").await;
    assert_eq!(
        watcher.next_presence().await,
        json!({ "users": ["ada", "bob"], "anonymous": 1 })
    );
}

#[tokio::test]
async fn a_leave_shows_only_after_the_grace_period() {
    let grace = Duration::from_secs(3600);
    let app = spawn_app_with(move |config| config.presence_grace = grace).await;
    app.create_room("hall").await;
    let mut watcher = app.sse("/rooms/hall/stream").await;
    watcher.next_presence().await;
    let tab = stream_as(&app, "ada", "/rooms/hall/stream").await;
    assert_eq!(watcher.next_presence().await["users"], json!(["ada"]));
    drop(tab);
    streams_settle_at(&app, 1).await;
    // Within the grace period her reload is still to come: she stays.
    let _bob = stream_as(&app, "bob", "/rooms/hall/stream").await;
    assert_eq!(
        watcher.next_presence().await["users"],
        json!(["ada", "bob"])
    );
    let (_, present) = app.get_json("/api/rooms/hall/presence").await;
    assert_eq!(present["users"], json!(["ada", "bob"]));
}

#[tokio::test]
async fn after_the_grace_period_a_leave_reaches_everyone() {
    let grace = Duration::from_millis(50);
    let app = spawn_app_with(move |config| config.presence_grace = grace).await;
    app.create_room("hall").await;
    let mut watcher = app.sse("/live?topic=room:hall").await;
    watcher.next_presence().await;
    let first = stream_as(&app, "ada", "/rooms/hall/stream").await;
    let second = stream_as(&app, "ada", "/rooms/hall/stream").await;
    assert_eq!(watcher.next_presence().await["users"], json!(["ada"]));
    drop((first, second));
    assert_eq!(
        watcher.next_presence().await,
        json!({ "users": [], "anonymous": 1 })
    );
}

#[tokio::test]
async fn a_private_rooms_presence_is_its_members_alone() {
    let app = spawn_app().await;
    let ada = app.client_as("ada").await;
    app.create_private_room("ada", "secret").await;
    let _tab = stream_as(&app, "ada", "/rooms/secret/stream").await;
    let (status, _) = app.get_json("/api/rooms/secret/presence").await;
    assert_eq!(status, 404, "as if it didn't exist");
    let eve = app.client_as("eve").await;
    let asked = eve.get(app.url("/api/rooms/secret/presence")).send().await;
    assert_eq!(asked.unwrap().status(), 404);
    let present: Value = ada
        .get(app.url("/api/rooms/secret/presence"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(present, json!({ "users": ["ada"], "anonymous": 0 }));
}
