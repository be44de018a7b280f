//! Posting through the server function and the JSON API, as seen on the room's stream.

use serde_json::{Value, json};

use super::helpers::{SseClient, TestApp, spawn_app};

/// Posts a message nobody else sends and returns its id, to show what came before it.
async fn post_sentinel(app: &TestApp, slug: &str) -> i64 {
    let (status, message) = app.post_json(slug, "sentinel", "the end").await;
    assert_eq!(status, 201);
    message["id"].as_i64().unwrap()
}

#[tokio::test]
async fn a_post_through_the_server_function_and_one_through_the_api_each_arrive_once() {
    let app = spawn_app().await;
    app.create_room("general").await;
    let mut stream = app.sse("/rooms/general/stream").await;
    let headers = &stream.response_headers;
    assert_eq!(headers["content-type"], "text/event-stream");
    assert_eq!(headers["cache-control"], "no-cache");
    assert_eq!(headers["x-accel-buffering"], "no");

    let (status, via_fn) = app
        .post_server_fn("general", "Ada", "hello <b>world</b>\nline two")
        .await;
    assert_eq!(status, 200, "{via_fn}");
    let (status, via_api) = app.post_json("general", "Grace", "second").await;
    assert_eq!(status, 201, "{via_api}");
    let sentinel = post_sentinel(&app, "general").await;

    for expected in [&via_fn, &via_api] {
        let event = stream.next().await;
        assert_eq!(event.event.as_deref(), Some("message"));
        assert_eq!(event.id, Some(expected["id"].to_string()));
        assert_eq!(&event.json(), expected);
        assert!(!event.data.contains('\n'), "data is one line");
    }
    assert_eq!(
        stream.next().await.json()["id"],
        sentinel,
        "no duplicate before the sentinel"
    );

    assert_eq!(via_fn["room"], "general");
    assert_eq!(via_fn["author"], "ada", "the account that posted");
    assert_eq!(via_fn["body"], "hello <b>world</b>\nline two");
    assert!(via_fn["created_at"].as_str().unwrap().ends_with('Z'));
    assert!(
        via_api["id"].as_i64() > via_fn["id"].as_i64(),
        "ids grow with commit order"
    );
}

/// A stream on a new connection is served straight on the socket; one asked for on a
/// connection that already served a request goes through the router. Same stream either way.
#[tokio::test]
async fn a_stream_is_the_same_served_directly_or_through_the_router() {
    let app = spawn_app().await;
    let url = app.url("/live?topic=room:lobby");
    let fresh = reqwest::Client::new();
    let mut direct = SseClient::open(&fresh, &url, None).await.unwrap();
    assert_eq!(direct.response_headers["connection"], "close");

    let reused = reqwest::Client::builder()
        .pool_max_idle_per_host(1)
        .build()
        .unwrap();
    app.reuse_connection(&reused).await;
    let mut routed = SseClient::open(&reused, &url, None).await.unwrap();
    assert_eq!(routed.response_headers["transfer-encoding"], "chunked");

    let (status, posted) = app.post_json("lobby", "Ada", "both ways").await;
    assert_eq!(status, 201);
    let expected = with_kind("message", &posted);
    for stream in [&mut direct, &mut routed] {
        let event = stream.next().await;
        assert_eq!(event.event.as_deref(), Some("room:lobby"));
        assert_eq!(event.json(), expected, "the message, with its kind");
    }
}

/// What a post costs the server does not grow with the streams that receive it.
#[tokio::test]
async fn metrics_count_requests_and_queries_and_a_post_costs_the_same_for_any_audience() {
    let app = spawn_app().await;
    // Signed in, and the session already known to the server (as for anyone who posted).
    let (status, _) = app.post_json("lobby", "ada", "hello").await;
    assert_eq!(status, 201);
    let mut cost = Vec::new();
    let mut streams = Vec::new();
    for audience in [1, 10] {
        while streams.len() < audience {
            streams.push(app.sse("/live?topic=room:lobby&topic=rooms").await);
        }
        let (requests, queries) = app.metrics().await;
        let (status, _) = app.post_json("lobby", "Ada", "how much?").await;
        assert_eq!(status, 201);
        for stream in &mut streams {
            stream.next().await;
            stream.next().await;
        }
        let (requests_after, queries_after) = app.metrics().await;
        cost.push((requests_after - requests, queries_after - queries));
    }
    // The post and the second read of /metrics; the room update and the insert (the
    // poster's session is kept in memory).
    assert_eq!(cost, [(2, 2), (2, 2)]);
}

#[tokio::test]
async fn every_bad_input_is_refused_with_a_clear_error_and_changes_nothing() {
    let app = spawn_app().await;
    app.create_room("general").await;
    let mut stream = app.sse("/rooms/general/stream").await;
    let count_before = app.message_count("general").await;

    let long_body = "x".repeat(4_001);
    let json_cases: [(&str, &str, &str, u16); 5] = [
        ("general", "Ada", "", 422),
        ("general", "Ada", " \n\t ", 422),
        ("general", "Ada", &long_body, 422),
        ("Not%20A%20Slug", "Ada", "hi", 422),
        ("nowhere", "Ada", "hi", 404),
    ];
    for (slug, author, body, status) in json_cases {
        let (got, error) = app.post_json(slug, author, body).await;
        assert_eq!(
            got, status,
            "JSON API, {slug}/{author:?}/{body:.10?}: {error}"
        );
        assert!(
            error["error"].as_str().is_some_and(|e| !e.is_empty()),
            "a message: {error}"
        );
        let (got, error) = app.post_server_fn(slug, author, body).await;
        assert_eq!(
            got, status,
            "server fn, {slug}/{author:?}/{body:.10?}: {error}"
        );
    }

    let (_, error) = app.post_json("general", "Ada", "").await;
    assert_eq!(error["error"], "the message is empty");

    let ada = app.client_as("ada").await;
    let malformed = ada
        .post(app.url("/api/rooms/general/messages"))
        .header("content-type", "application/json")
        .body("{\"body\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), 400);
    let error: Value = malformed.json().await.unwrap();
    assert!(error["error"].as_str().unwrap().contains("JSON"), "{error}");

    let huge = "x".repeat(65 * 1024);
    let too_large = ada
        .post(app.url("/api/rooms/general/messages"))
        .json(&serde_json::json!({"body": huge}))
        .send()
        .await
        .unwrap();
    assert_eq!(too_large.status(), 413);
    let too_large = ada
        .post(app.url("/api/post_message"))
        .form(&[("slug", "general"), ("body", &huge)])
        .send()
        .await
        .unwrap();
    assert_eq!(too_large.status(), 413);
    let chunked = reqwest::Body::wrap_stream(futures::stream::iter(
        (0..70).map(|_| Ok::<_, std::io::Error>(vec![b'x'; 1024])),
    ));
    let too_large = ada
        .post(app.url("/api/post_message"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(chunked)
        .send()
        .await
        .unwrap();
    assert_eq!(too_large.status(), 413, "without a Content-Length too");

    assert_eq!(app.message_count("general").await, count_before);
    assert!(app.messages("general").await.is_empty());
    let sentinel = post_sentinel(&app, "general").await;
    assert_eq!(
        stream.next().await.json()["id"],
        sentinel,
        "nothing was broadcast"
    );
}

#[tokio::test]
async fn rooms_are_created_listed_and_refused_when_taken_or_malformed() {
    let app = spawn_app().await;
    let ada = app.client_as("ada").await;
    let create = |slug: &str, title: &str| {
        ada.post(app.url("/api/rooms"))
            .json(&serde_json::json!({ "slug": slug, "title": title }))
            .send()
    };
    let created = create("book-club", "  Book club ").await.unwrap();
    assert_eq!(created.status(), 201);
    let room: Value = created.json().await.unwrap();
    assert_eq!(room["title"], "Book club");
    assert_eq!(room["message_count"], 0);
    assert_eq!(room["private"], false);

    assert_eq!(create("book-club", "Again").await.unwrap().status(), 409);
    assert_eq!(create("Book Club", "Caps").await.unwrap().status(), 422);
    assert_eq!(create("ok", "").await.unwrap().status(), 422);
    assert_eq!(create("ok", &"t".repeat(81)).await.unwrap().status(), 422);

    app.post_json("book-club", "Ada", "first").await;
    let rooms = app.rooms().await;
    let slugs: Vec<&str> = rooms
        .iter()
        .map(|room| room["slug"].as_str().unwrap())
        .collect();
    assert_eq!(slugs, ["book-club", "lobby"], "most recently active first");
    assert_eq!(rooms[0]["message_count"], 1);
}

#[tokio::test]
async fn history_pages_backwards_and_forwards_with_a_capped_limit() {
    let app = spawn_app().await;
    app.create_room("history").await;
    let mut ids = Vec::new();
    for n in 0..5 {
        ids.push(
            app.post_json("history", "Ada", &format!("message {n}"))
                .await
                .1["id"]
                .as_i64()
                .unwrap(),
        );
    }
    let page = |query: String| app.get_json(format!("/api/rooms/history/messages?{query}"));
    let ids_of = |body: &Value| -> Vec<i64> {
        body.as_array()
            .unwrap()
            .iter()
            .map(|m| m["id"].as_i64().unwrap())
            .collect()
    };

    let (_, newest) = page("limit=2".into()).await;
    assert_eq!(ids_of(&newest), ids[3..]);
    let (_, older) = page(format!("before={}&limit=2", ids[3])).await;
    assert_eq!(ids_of(&older), ids[1..3]);
    let (_, after) = page(format!("after={}&limit=2", ids[0])).await;
    assert_eq!(ids_of(&after), ids[1..3]);

    assert_eq!(page("limit=201".into()).await.0, 422);
    assert_eq!(page("limit=0".into()).await.0, 422);
    assert_eq!(page("before=yesterday".into()).await.0, 400);
    assert_eq!(app.get_json("/api/rooms/nowhere/messages").await.0, 404);
}

#[tokio::test]
async fn an_unknown_room_has_no_stream_and_bad_live_topics_are_refused() {
    let app = spawn_app().await;
    let missing = app
        .http
        .get(app.url("/rooms/nowhere/stream"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    for query in ["", "?topic=Bad%20Topic", "?other=1"] {
        let refused = app
            .http
            .get(app.url(&format!("/live{query}")))
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), 400, "/live{query}");
    }
}

#[tokio::test]
async fn one_live_connection_carries_the_room_and_the_directory() {
    let app = spawn_app().await;
    app.create_room("general").await;
    let mut live = app.sse("/live?topic=room:general&topic=rooms").await;
    let (_, message) = app.post_json("general", "Ada", "hi").await;

    let mut seen = [live.next().await, live.next().await];
    seen.sort_by(|a, b| a.event.cmp(&b.event));
    assert_eq!(seen[0].event.as_deref(), Some("room:general"));
    assert_eq!(seen[0].json(), with_kind("message", &message));
    assert_eq!(seen[1].event.as_deref(), Some("rooms"));
    assert_eq!(seen[1].json()["message_count"], 1);
}

#[tokio::test]
async fn a_plain_form_post_redirects_back_to_the_page_with_or_without_an_error() {
    let app = spawn_app().await;
    let ada = app.client_as("ada").await;
    let form_post = |body: &'static str| {
        ada.post(app.url("/api/post_message"))
            .header("accept", "text/html")
            .header("referer", app.url("/rooms/lobby"))
            .form(&[("slug", "lobby"), ("body", body)])
            .send()
    };
    let posted = form_post("no script needed").await.unwrap();
    assert_eq!(posted.status(), 302);
    let location = posted.headers()["location"].to_str().unwrap();
    assert!(
        location.starts_with(&app.url("/rooms/lobby")),
        "back to the room: {location}"
    );
    assert!(!location.contains("__err="), "{location}");
    assert_eq!(app.messages("lobby").await.len(), 1);

    let refused = form_post("   ").await.unwrap();
    assert_eq!(refused.status(), 302);
    let location = refused.headers()["location"].to_str().unwrap();
    assert!(
        location.contains("__err="),
        "the error travels in the URL: {location}"
    );
    assert_eq!(app.messages("lobby").await.len(), 1);
}

/// The open-streams gauge follows subscribers, including ones that just hang up.
#[tokio::test]
async fn open_streams_are_counted_until_their_clients_hang_up() {
    let app = spawn_app().await;
    assert_eq!(app.open_streams().await, 0);
    let room = app.sse("/rooms/lobby/stream").await;
    let live = app.sse("/live?topic=rooms").await;
    assert_eq!(app.open_streams().await, 2);
    drop((room, live));
    // Only the gauge shows the server noticing; look until it does (a hang, not a timing, fails).
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    while app.open_streams().await > 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "streams never closed"
        );
        tokio::task::yield_now().await;
    }
}

/// `payload` as the multi-topic stream carries it: with the event's name as `kind`.
fn with_kind(kind: &str, payload: &Value) -> Value {
    let mut carried = json!({ "kind": kind });
    let fields = payload.as_object().expect("an object").clone();
    carried.as_object_mut().unwrap().extend(fields);
    carried
}
