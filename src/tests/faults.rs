//! Fault tests: slow readers, shutdown, concurrent writers, a flaky network between clients
//! and server. (Killing the server process is in `crash.rs`.)

use std::time::Duration;

use sqlx::Connection;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

use super::follower::Follower;
use super::helpers::{Api, TestApp, spawn_app, spawn_app_dropping_stalled_after, spawn_sqlite_app};
use super::proxy::FaultProxy;
use super::rng::Rng;

/// Every message id of the room, oldest first, as the database has them.
pub async fn stored_ids(app: &Api, slug: &str) -> Vec<i64> {
    app.messages(slug)
        .await
        .iter()
        .map(|m| m["id"].as_i64().unwrap())
        .collect()
}

/// Opens a raw connection to `path` and reads only the response head, then stops reading.
async fn open_and_stop_reading(app: &TestApp, path: &str) -> TcpStream {
    // A small receive window, so the buffers between server and peer fill sooner.
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4_096).unwrap();
    let mut stream = socket.connect(app.addr()).await.unwrap();
    let request =
        format!("GET {path} HTTP/1.1\r\nhost: murmur\r\naccept: text/event-stream\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).await.unwrap();
    assert_eq!(&head, b"HTTP/1.1 200");
    stream
}

#[tokio::test]
async fn a_client_that_stops_reading_is_dropped_without_holding_up_the_others() {
    let app = spawn_app_dropping_stalled_after(Duration::from_millis(500)).await;
    app.create_room("loud").await;
    let mut stalled = open_and_stop_reading(&app, "/rooms/loud/stream").await;
    let mut reader = app.sse("/rooms/loud/stream").await;

    // Large messages until the server has dropped the stalled peer: they fill every buffer
    // between the two, its write stalls past the limit, and only the reader's stream is
    // left. Waited for, not timed: a server that never drops it fails the bound below.
    let body = "x".repeat(4_000);
    let mut posted = Vec::new();
    while app.open_streams().await > 1 {
        assert!(posted.len() < 50_000, "the stalled peer was never dropped");
        let (status, message) = app.post_json("loud", "Loud", &body).await;
        assert_eq!(status, 201);
        posted.push(message["id"].as_i64().unwrap());
        let received = reader.next().await;
        assert_eq!(
            received.json()["id"],
            message["id"],
            "the reading client keeps up"
        );
    }

    // The stalled peer now drains what was buffered for it, and finds the stream cut short
    // (or told to resync): never every message as if nothing happened.
    let mut drained = Vec::new();
    let _ = stalled.read_to_end(&mut drained).await;
    let drained = String::from_utf8_lossy(&drained);
    let delivered = drained.matches("event: message").count();
    assert!(
        delivered < posted.len() || drained.contains("event: resync"),
        "{delivered} delivered"
    );
}

#[tokio::test]
async fn shutdown_ends_open_streams_and_lets_in_flight_posts_finish() {
    // SQLite, whose write lock the test holds.
    let mut app = spawn_sqlite_app().await;
    app.create_room("calm").await;
    let token = app.token("ada").await;
    let mut listener = app.sse("/rooms/calm/stream").await;
    // A tab's stream of several topics, one of them with presence, ends too.
    let mut tab = app.sse("/live?topic=room:calm&topic=rooms").await;

    // Hold the database's write lock so the post below is stuck inside the server.
    let mut blocker = sqlx::SqliteConnection::connect(&app.database_url)
        .await
        .unwrap();
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut blocker)
        .await
        .unwrap();

    let body = r#"{"body":"in flight"}"#;
    let mut post = TcpStream::connect(app.addr()).await.unwrap();
    let head = format!(
        "POST /api/rooms/calm/messages HTTP/1.1\r\nhost: murmur\r\ncontent-type: application/json\r\n\
         authorization: Bearer {token}\r\ncontent-length: {}\r\nexpect: 100-continue\r\n\r\n",
        body.len()
    );
    post.write_all(head.as_bytes()).await.unwrap();
    // The server asks for the body once a handler is reading it: the post is in flight.
    let mut continue_line = [0u8; 25];
    post.read_exact(&mut continue_line).await.unwrap();
    assert_eq!(&continue_line, b"HTTP/1.1 100 Continue\r\n\r\n");
    post.write_all(body.as_bytes()).await.unwrap();

    app.begin_shutdown();
    assert!(
        listener.try_next().await.is_none(),
        "the open stream ends at once"
    );
    assert!(tab.try_next().await.is_none(), "and so does a tab's");

    sqlx::query("ROLLBACK").execute(&mut blocker).await.unwrap();
    let mut response = String::new();
    post.read_to_string(&mut response).await.unwrap();
    assert!(response.starts_with("HTTP/1.1 201"), "{response}");
    assert!(response.contains("in flight"));
    app.stopped().await.expect("the server stops cleanly");
}

#[tokio::test]
async fn sixteen_concurrent_writers_never_see_database_is_locked() {
    let app = spawn_app().await;
    app.create_room("crowd").await;
    let mut clients = Vec::new();
    for writer in 0..16 {
        clients.push(app.client_as(&format!("writer{writer}")).await);
    }
    let writers = clients.into_iter().map(|http| {
        let url = app.url("/api/rooms/crowd/messages");
        tokio::spawn(async move {
            for n in 0..25 {
                let body = serde_json::json!({ "body": format!("{n}") });
                let response = http.post(&url).json(&body).send().await.unwrap();
                assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
            }
        })
    });
    for writer in writers.collect::<Vec<_>>() {
        writer.await.unwrap();
    }
    assert_eq!(app.message_count("crowd").await, 16 * 25);
}

#[tokio::test]
async fn clients_behind_a_flaky_network_converge_on_every_message() {
    let app = spawn_app().await;
    app.create_room("flaky").await;
    let proxy = FaultProxy::start(app.addr(), 7).await;
    proxy.cut_within(2_000);
    let mut followers: Vec<Follower> = (0..4)
        .map(|_| Follower::start(&proxy.url, "flaky", 0))
        .collect();

    for n in 0..120 {
        if n == 40 {
            proxy.refuse(true);
            proxy.cut_all();
        }
        if n == 80 {
            proxy.refuse(false);
        }
        let (status, _) = app
            .post_json("flaky", "Poster", &format!("message {n}"))
            .await;
        assert_eq!(status, 201);
    }
    proxy.cut_within(0);
    let stored = stored_ids(&app, "flaky").await;
    for follower in &mut followers {
        follower.assert_converges_to(&stored).await;
    }
}

#[tokio::test]
async fn many_clients_with_random_disconnects_all_converge_to_the_database() {
    let app = spawn_app().await;
    let rooms = ["red", "green", "blue"];
    for room in rooms {
        app.create_room(room).await;
    }
    let mut rng = Rng::new(2026);
    let proxy = FaultProxy::start(app.addr(), rng.next()).await;
    let mut followers: Vec<(&str, Follower)> = (0..24)
        .map(|n| rooms[n % rooms.len()])
        .map(|room| (room, Follower::start(&proxy.url, room, 0)))
        .collect();

    // Between posts, at random: cut every connection, refuse new ones for a while, or change
    // how soon connections are cut.
    for n in 0..240 {
        match rng.below(12) {
            0 => proxy.cut_all(),
            1 => proxy.refuse(true),
            2 | 3 => proxy.refuse(false),
            4 => proxy.cut_within(500 + rng.below(5_000)),
            _ => {}
        }
        let room = rooms[rng.below(rooms.len() as u64) as usize];
        let (status, _) = app.post_json(room, "Poster", &format!("message {n}")).await;
        assert_eq!(status, 201);
    }
    proxy.refuse(false);
    proxy.cut_within(0);

    for (room, follower) in &mut followers {
        let stored = stored_ids(&app, room).await;
        follower.assert_converges_to(&stored).await;
    }
}
