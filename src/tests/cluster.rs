//! Several instances on one PostgreSQL database: a change made through one reaches the
//! streams, pages and API of another; concurrent writers on both leave every subscriber
//! with the database's sequence; a lost listener becomes a resync; presence, revocations
//! and rate limits hold across instances.

use serde_json::json;
use sqlx::{Connection, PgConnection};

use super::helpers::{SseClient, TestApp, spawn_two_instances_with};
use murmur::protect::{Rate, RateLimits};

/// Two instances, A and B, on a fresh database, without rate limits.
async fn two_instances() -> (TestApp, TestApp) {
    spawn_two_instances_with(|_| {}).await
}

/// The ids of the `message` events a stream sends until it has `count`.
async fn message_ids(stream: &mut SseClient, count: usize) -> Vec<i64> {
    let mut ids = Vec::new();
    while ids.len() < count {
        let event = stream.next().await;
        assert_eq!(event.event.as_deref(), Some("message"), "{event:?}");
        ids.push(event.json()["id"].as_i64().unwrap());
    }
    ids
}

#[tokio::test]
async fn a_post_through_one_instance_reaches_the_streams_pages_and_api_of_the_other() {
    let (a, b) = two_instances().await;
    a.create_room("plaza").await;
    // B reads the room first, so whatever it keeps in memory predates the post.
    assert!(b.messages("plaza").await.is_empty());
    assert_eq!(b.message_count("plaza").await, 0);
    let mut on_b = b.sse("/rooms/plaza/stream").await;
    let id = a.post("plaza", "ada", "hello from A").await;
    let heard = on_b.next().await;
    assert_eq!(heard.id, Some(id.to_string()));
    assert_eq!(heard.json()["body"], "hello from A");
    let ids: Vec<i64> = (b.messages("plaza").await.iter())
        .map(|message| message["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [id], "B's API answers it at once");
    assert_eq!(b.message_count("plaza").await, 1);
    let page = b.http.get(b.url("/rooms/plaza")).send().await.unwrap();
    assert!(page.text().await.unwrap().contains("hello from A"));
}

#[tokio::test]
async fn concurrent_posters_on_both_instances_leave_every_subscriber_with_the_databases_sequence() {
    const POSTERS: usize = 4;
    const POSTS_EACH: usize = 25;
    let (a, b) = two_instances().await;
    a.create_room("race").await;
    let mut streams = Vec::new();
    for app in [&a, &b, &a, &b] {
        streams.push(app.sse("/rooms/race/stream").await);
    }
    let posters: Vec<_> = (0..POSTERS)
        .map(|poster| {
            let app = if poster % 2 == 0 { &a } else { &b };
            async move {
                for n in 0..POSTS_EACH {
                    app.post("race", &format!("poster{poster}"), &format!("{poster}.{n}"))
                        .await;
                }
            }
        })
        .collect();
    futures::future::join_all(posters).await;
    let stored: Vec<i64> = a
        .get_json("/api/rooms/race/messages?limit=200")
        .await
        .1
        .as_array()
        .unwrap()
        .iter()
        .map(|message| message["id"].as_i64().unwrap())
        .collect();
    assert_eq!(stored.len(), POSTERS * POSTS_EACH);
    for stream in &mut streams {
        let heard = message_ids(stream, stored.len()).await;
        assert_eq!(heard, stored, "every message once, in the database's order");
    }
}

#[tokio::test]
async fn an_instance_whose_listener_is_cut_resyncs_its_streams_then_goes_on_live() {
    let (a, b) = two_instances().await;
    a.create_room("plaza").await;
    let mut on_b = b.sse("/rooms/plaza/stream").await;
    a.post("plaza", "ada", "before").await;
    assert_eq!(on_b.next().await.json()["body"], "before");
    // The listeners' connections, A's first: B's is cut.
    let mut database = PgConnection::connect(&a.database_url).await.unwrap();
    let pids: Vec<i32> = sqlx::query_scalar(
        "SELECT pid FROM pg_stat_activity
         WHERE datname = current_database() AND query = 'LISTEN \"live_loader\"'
         ORDER BY backend_start",
    )
    .fetch_all(&mut database)
    .await
    .unwrap();
    assert_eq!(pids.len(), 2, "one listener per instance");
    let cut: bool = sqlx::query_scalar("SELECT pg_terminate_backend($1)")
        .bind(pids[1])
        .fetch_one(&mut database)
        .await
        .unwrap();
    assert!(cut);
    let away = a.post("plaza", "ada", "while B was away").await;
    // Whether B heard that one or not, it says something may have been missed.
    let mut heard = Vec::new();
    loop {
        let next = on_b.next().await;
        match next.event.as_deref() {
            Some("resync") => break,
            _ => heard.push(next.json()["id"].as_i64().unwrap()),
        }
    }
    let after = a.post("plaza", "ada", "after").await;
    loop {
        let next = on_b.next().await;
        assert_eq!(next.event.as_deref(), Some("message"), "{next:?}");
        heard.push(next.json()["id"].as_i64().unwrap());
        if heard.last() == Some(&after) {
            break;
        }
    }
    assert!(
        heard == [away, after] || heard == [after],
        "{heard:?}: live again, in order"
    );
    assert_eq!(b.messages("plaza").await.len(), 3, "B reads what it missed");
}

#[tokio::test]
async fn someone_with_tabs_on_both_instances_counts_once_and_others_see_them_there() {
    let (a, b) = two_instances().await;
    a.create_room("plaza").await;
    let ada_on_a = a.client_as("ada").await;
    let ada_on_b = b.client_as("ada").await;
    let bob_on_b = b.client_as("bob").await;
    let url = |app: &TestApp| app.url("/rooms/plaza/stream");
    let mut ada_a = SseClient::open(&ada_on_a, &url(&a), None).await.unwrap();
    let _ada_b = SseClient::open(&ada_on_b, &url(&b), None).await.unwrap();
    let _bob_b = SseClient::open(&bob_on_b, &url(&b), None).await.unwrap();
    let everyone = json!({ "users": ["ada", "bob"], "anonymous": 0 });
    while ada_a.next_presence().await != everyone {}
    for app in [&a, &b] {
        let (_, present) = app.get_json("/api/rooms/plaza/presence").await;
        assert_eq!(present, everyone, "ada once, bob from the other instance");
    }
}

#[tokio::test]
async fn a_member_removed_through_one_instance_loses_the_room_on_the_other() {
    let (a, b) = two_instances().await;
    a.create_private_room("ada", "secret").await;
    let ada = a.client_as("ada").await;
    b.token("grace").await;
    let added = ada
        .post(a.url("/api/rooms/secret/members"))
        .json(&json!({ "username": "grace" }));
    assert_eq!(added.send().await.unwrap().status(), 201);
    let grace = b.client_as("grace").await;
    let room = b.url("/rooms/secret/stream");
    let mut on_b = SseClient::open(&grace, &room, None).await.unwrap();
    a.post_json("secret", "ada", "while a member").await;
    assert_eq!(on_b.next().await.json()["body"], "while a member");
    let removed = ada.delete(a.url("/api/rooms/secret/members/grace"));
    assert_eq!(removed.send().await.unwrap().status(), 204);
    let rest = on_b.try_next().await;
    assert_eq!(
        rest.and_then(|event| event.event).as_deref(),
        Some("resync")
    );
    assert!(on_b.try_next().await.is_none(), "cut after the resync");
    assert!(
        SseClient::open(&grace, &room, None).await.is_none(),
        "B refuses a new stream at once"
    );
}

#[tokio::test]
async fn a_posting_limit_holds_across_instances() {
    let (a, b) = spawn_two_instances_with(|config| {
        config.limits = RateLimits {
            posts: Some(Rate {
                burst: 3,
                per_minute: 1,
            }),
            ..RateLimits::off()
        };
    })
    .await;
    for (app, body) in [(&a, "one"), (&b, "two"), (&a, "three")] {
        assert_eq!(app.post_json("lobby", "ada", body).await.0, 201);
    }
    let (status, refused) = b.post_json("lobby", "ada", "four").await;
    assert_eq!(status, 429, "{refused}");
    assert_eq!(
        a.post_json("lobby", "bob", "mine").await.0,
        201,
        "per account"
    );
}

#[tokio::test]
async fn a_sign_out_through_one_instance_ends_the_session_on_the_other() {
    let (a, b) = two_instances().await;
    a.create_room("plaza").await;
    let bearer = format!("Bearer {}", a.token("ada").await);
    let me = |app: &TestApp| {
        let request = app
            .http
            .get(app.url("/api/me"))
            .header("authorization", &bearer);
        async move { request.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(me(&b).await, 200, "B knows the session, and keeps it");
    let mut on_b = b.sse("/rooms/plaza/stream").await;
    let signed_out = a
        .http
        .delete(a.url("/api/session"))
        .header("authorization", &bearer);
    assert_eq!(signed_out.send().await.unwrap().status(), 204);
    // A tells B in order: once B has A's next post, it has heard of the sign-out.
    a.post("plaza", "grace", "after ada left").await;
    assert_eq!(on_b.next().await.json()["body"], "after ada left");
    assert_eq!(me(&b).await, 401, "the token works nowhere");
}
