//! Resuming streams: history after a cursor, then live, with no gap or duplicate.

use serde_json::Value;

use super::helpers::{SseClient, spawn_app};

/// The ids of the next `n` events, which must all be messages.
async fn next_ids(stream: &mut SseClient, n: usize) -> Vec<i64> {
    let mut ids = Vec::new();
    for _ in 0..n {
        let event = stream.next().await;
        assert_eq!(event.event.as_deref(), Some("message"), "{event:?}");
        let message: Value = event.json();
        assert_eq!(event.id, Some(message["id"].to_string()));
        ids.push(message["id"].as_i64().unwrap());
    }
    ids
}

#[tokio::test]
async fn a_stream_resumed_with_last_event_id_replays_what_was_missed_then_goes_live() {
    let app = spawn_app().await;
    app.create_room("general").await;
    let first = app.post("general", "Ada", "one").await;
    let missed = [
        app.post("general", "Ada", "two").await,
        app.post("general", "Ada", "three").await,
    ];
    app.create_room("other").await;
    app.post("other", "Ada", "elsewhere").await;

    let mut stream = app
        .sse_after("/rooms/general/stream", &first.to_string())
        .await;
    assert_eq!(next_ids(&mut stream, 2).await, missed);
    let live = app.post("general", "Ada", "four").await;
    assert_eq!(
        next_ids(&mut stream, 1).await,
        [live],
        "no duplicate at the seam"
    );
}

#[tokio::test]
async fn the_after_parameter_resumes_like_last_event_id_and_zero_means_from_the_start() {
    let app = spawn_app().await;
    app.create_room("general").await;
    let ids = [
        app.post("general", "Ada", "one").await,
        app.post("general", "Ada", "two").await,
    ];

    let mut stream = app
        .sse(&format!("/rooms/general/stream?after={}", ids[0]))
        .await;
    assert_eq!(next_ids(&mut stream, 1).await, ids[1..]);
    let mut stream = app.sse("/rooms/general/stream?after=0").await;
    assert_eq!(next_ids(&mut stream, 2).await, ids);
}

#[tokio::test]
async fn an_unknown_cursor_gets_a_resync_instead_of_a_silent_gap() {
    let app = spawn_app().await;
    app.create_room("general").await;
    app.create_room("other").await;
    let foreign = app.post("other", "Ada", "not in general").await;

    for cursor in [foreign.to_string(), "987654".to_owned()] {
        let mut stream = app.sse_after("/rooms/general/stream", &cursor).await;
        assert_eq!(
            stream.next().await.event.as_deref(),
            Some("resync"),
            "cursor {cursor}"
        );
        let live = app.post("general", "Ada", "after resync").await;
        assert_eq!(next_ids(&mut stream, 1).await, [live]);
    }

    let malformed = app
        .http
        .get(app.url("/rooms/general/stream"))
        .header("last-event-id", "yesterday")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), 400);
}

#[tokio::test]
async fn history_survives_a_restart_of_the_server() {
    let app = spawn_app().await;
    app.create_room("general").await;
    let seen = app.post("general", "Ada", "seen").await;
    let missed = app.post("general", "Ada", "missed while away").await;

    let app = app.restart().await;
    let mut stream = app
        .sse_after("/rooms/general/stream", &seen.to_string())
        .await;
    assert_eq!(next_ids(&mut stream, 1).await, [missed]);
}

#[tokio::test]
async fn the_multi_topic_stream_resumes_every_topic_it_carries() {
    let app = spawn_app().await;
    app.create_room("a").await;
    app.create_room("b").await;
    let a1 = app.post("a", "Ada", "a1").await;
    let b1 = app.post("b", "Ada", "b1").await;
    let a2 = app.post("a", "Ada", "a2").await;
    let b2 = app.post("b", "Ada", "b2").await;

    // The URL holds the cursors the page started from; Last-Event-ID the newest one seen.
    let path = format!("/live?topic=room:a@{a1}&topic=room:b@{b1}");
    let mut stream = app.sse_after(&path, &format!("room:a@{a2}")).await;
    let event = stream.next().await;
    assert_eq!(event.event.as_deref(), Some("room:b"));
    assert_eq!(event.id, Some(format!("room:b@{b2}")));
    let a3 = app.post("a", "Ada", "a3").await;
    let event = stream.next().await;
    assert_eq!(
        event.id,
        Some(format!("room:a@{a3}")),
        "a2 is not sent again"
    );
}

#[tokio::test]
async fn messages_posted_while_clients_resume_arrive_exactly_once_in_order() {
    let app = spawn_app().await;
    app.create_room("busy").await;
    let start = app.post("busy", "Ada", "start").await;
    let writer = {
        let (http, url) = (
            app.client_as("writer").await,
            app.url("/api/rooms/busy/messages"),
        );
        tokio::spawn(async move {
            let mut ids = Vec::new();
            for n in 0..60 {
                let body = serde_json::json!({ "body": format!("n{n}") });
                let response = http.post(&url).json(&body).send().await.unwrap();
                ids.push(
                    response.json::<Value>().await.unwrap()["id"]
                        .as_i64()
                        .unwrap(),
                );
            }
            ids
        })
    };
    // Reconnect every few events while the writer runs, always from the last id seen.
    let mut seen = Vec::new();
    while seen.len() < 60 {
        let cursor = seen.last().copied().unwrap_or(start);
        let mut stream = app
            .sse_after("/rooms/busy/stream", &cursor.to_string())
            .await;
        let take = 7.min(60 - seen.len());
        seen.extend(next_ids(&mut stream, take).await);
    }
    assert_eq!(seen, writer.await.unwrap());
}

#[tokio::test]
async fn a_cursor_too_far_behind_gets_a_resync_instead_of_an_endless_replay() {
    let app = spawn_app().await;
    app.create_room("backlog").await;
    let start = app.post("backlog", "Ada", "start").await;
    for n in 0..live_loader::MAX_REPLAY {
        app.post("backlog", "Ada", &format!("{n}")).await;
    }
    let mut stream = app
        .sse_after("/rooms/backlog/stream", &start.to_string())
        .await;
    assert_eq!(
        stream.next().await.event.as_deref(),
        Some("message"),
        "1,000 behind: replayed"
    );

    app.post("backlog", "Ada", "one too many").await;
    let mut stream = app
        .sse_after("/rooms/backlog/stream", &start.to_string())
        .await;
    assert_eq!(
        stream.next().await.event.as_deref(),
        Some("resync"),
        "1,001 behind: resync"
    );
}
