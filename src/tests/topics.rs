//! What an open costs, tried as a flood would: a topic no feature has is refused before
//! anything is kept for it, a refused topic costs no subscription and no read, what streams
//! subscribed to goes when they do, and opening streams is rate limited per address.

use serde_json::Value;

use super::helpers::{SseClient, TestApp, spawn_app, spawn_app_with};
use murmur::protect::Rate;

/// `GET path` on a new connection (served by the direct listener): its status, its
/// `Retry-After`, and its JSON body.
async fn open(app: &TestApp, http: &reqwest::Client, path: &str) -> (u16, Option<u64>, Value) {
    let response = http.get(app.url(path)).send().await.unwrap();
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|value| value.to_str().unwrap().parse().unwrap());
    let body = match status {
        200 => Value::Null,
        _ => response.json().await.unwrap(),
    };
    (status, retry_after, body)
}

/// A client whose every request goes out on a connection of its own.
fn fresh_connections() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_topic_no_feature_has_is_refused_with_404_and_nothing_is_kept_for_it() {
    let app = spawn_app().await;
    let http = fresh_connections();
    for path in [
        "/live?topic=made-up",
        "/live?topic=rooms&topic=room-lobby",
        "/live?topic=users:ada",
    ] {
        let (status, _, body) = open(&app, &http, path).await;
        assert_eq!(status, 404, "{path}");
        assert!(
            body["error"].as_str().unwrap().contains("no live topic"),
            "{path}: {body}"
        );
    }
    // Through the router too (a kept-alive connection).
    app.reuse_connection(&app.http).await;
    let routed = app.http.get(app.url("/live?topic=made-up")).send().await;
    assert_eq!(routed.unwrap().status(), 404);
    assert_eq!(app.bus_topics().await, 0);
}

#[tokio::test]
async fn refused_topics_cost_no_subscription_and_no_read_before_they_are_refused() {
    let app = spawn_app().await;
    let http = fresh_connections();
    // The directory is read once, and kept: later refusals are answered from memory.
    let (status, _, _) = open(&app, &http, "/live?topic=room:nope").await;
    assert_eq!(status, 404);
    let (_, queries_before) = app.metrics().await;
    let attempts = 40;
    for n in 0..attempts {
        let unknown = format!("/live?topic=rooms&topic=room:lobby&topic=room:nope-{n}");
        assert_eq!(open(&app, &http, &unknown).await.0, 404);
        let someone_elses = format!("/live?topic=room:lobby&topic=user:someone-{n}");
        assert_eq!(open(&app, &http, &someone_elses).await.0, 403);
    }
    let (_, queries_after) = app.metrics().await;
    assert!(
        queries_after - queries_before < attempts,
        "{} statements for {} refused opens",
        queries_after - queries_before,
        attempts * 2
    );
    assert_eq!(
        app.bus_topics().await,
        0,
        "nothing kept for refused streams"
    );
}

#[tokio::test]
async fn what_streams_subscribed_to_goes_when_the_last_of_them_closes() {
    let app = spawn_app().await;
    let rooms: Vec<String> = (0..15).map(|n| format!("r{n}")).collect();
    for room in &rooms {
        app.create_room(room).await;
    }
    let every_topic: String = rooms
        .iter()
        .map(|room| format!("&topic=room:{room}"))
        .collect();
    let path = format!("/live?topic=rooms{every_topic}");
    for _ in 0..3 {
        let streams: Vec<SseClient> =
            futures::future::join_all((0..50).map(|_| app.sse(&path))).await;
        assert_eq!(
            app.bus_topics().await,
            16,
            "one entry per topic, however many streams"
        );
        drop(streams);
        app.until_no_streams().await;
        assert_eq!(app.bus_topics().await, 0, "gone with their last subscriber");
    }
}

#[tokio::test]
async fn opening_streams_is_rate_limited_per_address_with_retry_after() {
    let app = spawn_app_with(|config| {
        config.streams.opens = Some(Rate {
            burst: 3,
            per_minute: 1,
        });
    })
    .await;
    let http = fresh_connections();
    for _ in 0..3 {
        let (status, _, _) = open(&app, &http, "/live?topic=rooms").await;
        assert_eq!(status, 200);
    }
    let (status, retry_after, body) = open(&app, &http, "/live?topic=rooms").await;
    assert_eq!(status, 429, "{body}");
    assert!(
        retry_after.is_some_and(|wait| (1..=60).contains(&wait)),
        "{retry_after:?}"
    );
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("too many requests")
    );
    let room = open(&app, &http, "/rooms/lobby/stream").await;
    assert_eq!(room.0, 429, "a room's own stream counts too");
    app.reuse_connection(&app.http).await;
    let routed = app.http.get(app.url("/live?topic=rooms")).send().await;
    assert_eq!(routed.unwrap().status(), 429, "and the router's");
}
