//! Each protection tried by someone trying to get past it: cross-site requests riding on the
//! cookie, every rate limit, and the caps on open streams on both stream paths.

use serde_json::{Value, json};

use murmur::protect::{Rate, RateLimits, TrustedProxies};

use super::helpers::{PASSWORD, SseClient, TestApp, spawn_app, spawn_app_with};

/// A session cookie (`name=value`) for a new account `username`.
async fn cookie_of(app: &TestApp, username: &str) -> String {
    let body = json!({ "username": username, "password": PASSWORD });
    let created = app
        .http
        .post(app.url("/api/accounts"))
        .json(&body)
        .send()
        .await
        .unwrap();
    let line = created.headers()["set-cookie"].to_str().unwrap();
    line.split(';').next().unwrap().to_owned()
}

/// POSTs a message to the lobby with the cookie and `headers`: the status.
async fn post_with(app: &TestApp, cookie: &str, headers: &[(&str, &str)]) -> u16 {
    let mut request = app
        .http
        .post(app.url("/api/rooms/lobby/messages"))
        .header("cookie", cookie);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request
        .json(&json!({ "body": "csrf?" }))
        .send()
        .await
        .unwrap();
    response.status().as_u16()
}

#[tokio::test]
async fn a_write_riding_on_the_cookie_from_another_site_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    let cookie = cookie_of(&app, "ada").await;
    let host = app.addr().to_string();
    let ours = format!("http://{host}");
    let refused: [&[(&str, &str)]; 4] = [
        &[("sec-fetch-site", "cross-site")],
        &[("sec-fetch-site", "same-site")],
        &[("origin", "http://evil.example")],
        &[("origin", "null")],
    ];
    for headers in refused {
        assert_eq!(post_with(&app, &cookie, headers).await, 403, "{headers:?}");
    }
    let form = app
        .http
        .post(app.url("/api/post_message"))
        .header("cookie", &cookie);
    let form = form
        .header("sec-fetch-site", "cross-site")
        .form(&[("slug", "lobby"), ("body", "csrf?")]);
    assert_eq!(
        form.send().await.unwrap().status(),
        403,
        "a server function too"
    );
    let sign_out = app
        .http
        .delete(app.url("/api/session"))
        .header("cookie", &cookie);
    let sign_out = sign_out
        .header("origin", "http://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(sign_out.status(), 403, "signing someone out from elsewhere");
    let error: Value = sign_out.json().await.unwrap();
    assert!(
        error["error"].as_str().unwrap().contains("another site"),
        "{error}"
    );
    assert!(app.messages("lobby").await.is_empty(), "nothing was posted");

    let allowed: [&[(&str, &str)]; 4] = [
        &[("sec-fetch-site", "same-origin")],
        &[("sec-fetch-site", "none")],
        &[("origin", ours.as_str()), ("host", host.as_str())],
        &[],
    ];
    for headers in allowed {
        assert_eq!(post_with(&app, &cookie, headers).await, 201, "{headers:?}");
    }
    let bearer = app
        .client_as("grace")
        .await
        .post(app.url("/api/rooms/lobby/messages"));
    let bearer = bearer
        .header("sec-fetch-site", "cross-site")
        .json(&json!({ "body": "by token" }));
    assert_eq!(
        bearer.send().await.unwrap().status(),
        201,
        "a bearer token is not ambient"
    );
    assert_eq!(app.messages("lobby").await.len(), 5);
}

/// `count` requests from `send`: the statuses.
async fn statuses<F: Future<Output = reqwest::Response>>(
    count: usize,
    send: impl Fn(usize) -> F,
) -> Vec<u16> {
    let mut statuses = Vec::new();
    for n in 0..count {
        statuses.push(send(n).await.status().as_u16());
    }
    statuses
}

/// An app with the default limits, except that buckets refill too slowly for a test to see
/// a token come back: a burst, then refusals, whatever the machine's speed.
async fn app_with_default_limits() -> TestApp {
    spawn_app_with(|config| {
        let slow = |burst| {
            Some(Rate {
                burst,
                per_minute: 1,
            })
        };
        config.limits = RateLimits {
            posts: slow(10),
            sign_ins_per_address: slow(8),
            sign_ins_per_username: slow(3),
            ..RateLimits::default()
        };
    })
    .await
}

#[tokio::test]
async fn posting_is_limited_per_account_with_retry_after_and_nothing_stored() {
    let app = app_with_default_limits().await;
    let ada = app.client_as("ada").await;
    let post = |n: usize| {
        let request = ada
            .post(app.url("/api/rooms/lobby/messages"))
            .json(&json!({ "body": format!("{n}") }));
        async move { request.send().await.unwrap() }
    };
    let burst = statuses(10, post).await;
    assert_eq!(burst, [201; 10], "a burst of 10");
    let limited = post(10).await;
    assert_eq!(limited.status(), 429);
    let wait: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "Retry-After: {wait}");
    assert_eq!(
        app.messages("lobby").await.len(),
        10,
        "the refused post was not stored"
    );
    let (status, _) = app.post_json("lobby", "grace", "someone else").await;
    assert_eq!(status, 201, "another account has its own allowance");
    let form = ada
        .post(app.url("/api/post_message"))
        .form(&[("slug", "lobby"), ("body", "again")]);
    let form = form.send().await.unwrap();
    assert_eq!(form.status(), 429, "the server function shares the limit");
    assert!(form.headers().contains_key("retry-after"));
}

#[tokio::test]
async fn room_creation_is_limited_per_account() {
    let app = app_with_default_limits().await;
    let ada = app.client_as("ada").await;
    let create = |n: usize| {
        let room = json!({ "slug": format!("room-{n}"), "title": "Room" });
        let request = ada.post(app.url("/api/rooms")).json(&room);
        async move { request.send().await.unwrap() }
    };
    assert_eq!(statuses(6, create).await, [201, 201, 201, 201, 201, 429]);
    assert_eq!(app.rooms().await.len(), 6, "the lobby and five");
}

#[tokio::test]
async fn sign_ins_are_limited_per_username_and_per_address() {
    let app = app_with_default_limits().await;
    cookie_of(&app, "ada").await;
    let sign_in = |username: String, password: &'static str| {
        let body = json!({ "username": username, "password": password });
        let request = app.http.post(app.url("/api/session")).json(&body);
        async move { request.send().await.unwrap() }
    };
    let guesses = statuses(4, |_| sign_in("ada".into(), "guess guess")).await;
    assert_eq!(
        guesses,
        [401, 401, 401, 429],
        "guessing one account slows down"
    );
    let right = sign_in("ada".into(), PASSWORD).await;
    assert_eq!(
        right.status(),
        429,
        "even the right password waits: nothing to learn"
    );
    assert!(right.headers().contains_key("retry-after"));

    // Eight attempts from one address, whatever the names, then it waits.
    let spread = statuses(3, |n| sign_in(format!("nobody-{n}"), "guess guess")).await;
    assert_eq!(spread, [401; 3]);
    assert_eq!(sign_in("grace".into(), PASSWORD).await.status(), 429);
}

#[tokio::test]
async fn sign_ups_are_limited_per_address_and_a_trusted_proxy_names_the_address() {
    let app = spawn_app_with(|config| {
        config.limits = RateLimits::default();
        config.trusted_proxies = TrustedProxies::parse("127.0.0.1").unwrap();
    })
    .await;
    let sign_up = |username: String, forwarded_for: &'static str| {
        let body = json!({ "username": username, "password": PASSWORD });
        let request = app
            .http
            .post(app.url("/api/accounts"))
            .header("x-forwarded-for", forwarded_for);
        let request = request.json(&body);
        async move { request.send().await.unwrap() }
    };
    let from_one = statuses(6, |n| sign_up(format!("one-{n}"), "203.0.113.1")).await;
    assert_eq!(from_one, [201, 201, 201, 201, 201, 429]);
    let limited = sign_up("one-more".into(), "203.0.113.1").await;
    assert!(limited.headers().contains_key("retry-after"));
    let login = json!({ "username": "one-5", "password": PASSWORD });
    let not_made = app
        .http
        .post(app.url("/api/session"))
        .json(&login)
        .send()
        .await
        .unwrap();
    assert_eq!(
        not_made.status(),
        401,
        "the refused sign-up made no account"
    );
    assert_eq!(
        sign_up("two-0".into(), "203.0.113.2").await.status(),
        201,
        "another client"
    );
}

#[tokio::test]
async fn a_forwarded_address_from_an_untrusted_peer_is_ignored() {
    let app = app_with_default_limits().await;
    let sign_up = |n: usize| {
        let body = json!({ "username": format!("user-{n}"), "password": PASSWORD });
        let forwarded = format!("198.51.100.{n}");
        let request = app
            .http
            .post(app.url("/api/accounts"))
            .header("x-forwarded-for", forwarded);
        let request = request.json(&body);
        async move { request.send().await.unwrap() }
    };
    assert_eq!(
        statuses(6, sign_up).await,
        [201, 201, 201, 201, 201, 429],
        "one address"
    );
}

/// Opens a stream of `path` on a fresh connection (served directly) or on one that served a
/// request before (through the router): the status, and the stream if it opened.
async fn open_stream(app: &TestApp, path: &str, routed: bool) -> (u16, Option<SseClient>) {
    let client = reqwest::Client::new();
    if routed {
        app.reuse_connection(&client).await;
    }
    let response = client.get(app.url(path)).send().await.unwrap();
    (
        response.status().as_u16(),
        SseClient::from_response(response),
    )
}

#[tokio::test]
async fn open_streams_are_capped_per_address_on_both_paths_and_freed_when_they_end() {
    let app = spawn_app_with(|config| config.streams.per_address = 2).await;
    let mut open = Vec::new();
    for (path, routed) in [("/live?topic=rooms", false), ("/rooms/lobby/stream", true)] {
        let (status, stream) = open_stream(&app, path, routed).await;
        assert_eq!(status, 200);
        open.push(stream.unwrap());
    }
    for (path, routed) in [
        ("/live?topic=rooms", false),
        ("/rooms/lobby/stream", true),
        ("/live?topic=rooms", true),
    ] {
        let (status, stream) = open_stream(&app, path, routed).await;
        assert_eq!(
            (status, stream.is_none()),
            (429, true),
            "{path}, routed: {routed}"
        );
    }
    open.truncate(1);
    wait_for_streams(&app, 1).await;
    assert_eq!(
        open_stream(&app, "/rooms/lobby/stream", false).await.0,
        200,
        "a place again"
    );
}

#[tokio::test]
async fn open_streams_are_capped_in_total_with_503() {
    let app = spawn_app_with(|config| config.streams.total = 1).await;
    let (status, first) = open_stream(&app, "/live?topic=rooms", false).await;
    assert_eq!((status, first.is_some()), (200, true));
    for routed in [false, true] {
        assert_eq!(
            open_stream(&app, "/rooms/lobby/stream", routed).await.0,
            503
        );
    }
    let busy = app
        .http
        .get(app.url("/live?topic=rooms"))
        .send()
        .await
        .unwrap();
    let error: Value = busy.json().await.unwrap();
    assert_eq!(error["error"], "the server is full; try again in a moment");
}

/// Waits until the server counts `count` open streams (a hang, not a timing, fails).
async fn wait_for_streams(app: &TestApp, count: u64) {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    while app.open_streams().await != count {
        assert!(
            tokio::time::Instant::now() < deadline,
            "streams never closed"
        );
        tokio::task::yield_now().await;
    }
}
