//! Smaller protections, each tried: `/metrics` only for this machine or the token's holder,
//! error text on a page never taken from the URL, and an IPv6 client counted by its /64.

use serde_json::json;

use murmur::protect::{Rate, RateLimits, TrustedProxies};
use murmur::server::MetricsToken;

use super::helpers::{PASSWORD, SseClient, spawn_app_with};

#[tokio::test]
async fn metrics_answer_this_machine_and_elsewhere_only_the_holder_of_the_token() {
    let app = spawn_app_with(|config| {
        config.trusted_proxies = TrustedProxies::parse("127.0.0.1").unwrap();
        config.metrics_token = MetricsToken(Some("s3cret-metrics".into()));
    })
    .await;
    let metrics = |forwarded_for: Option<&str>, bearer: Option<&str>| {
        let mut request = app.http.get(app.url("/metrics"));
        if let Some(address) = forwarded_for {
            request = request.header("x-forwarded-for", address);
        }
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        async move { request.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(metrics(None, None).await, 200, "from this machine");
    let elsewhere = Some("203.0.113.9");
    assert_eq!(metrics(elsewhere, None).await, 403);
    assert_eq!(metrics(elsewhere, Some("s3cret-metric")).await, 403);
    assert_eq!(metrics(elsewhere, Some("s3cret-metrics2")).await, 403);
    assert_eq!(metrics(elsewhere, Some("s3cret-metrics")).await, 200);

    let untokened = spawn_app_with(|config| {
        config.trusted_proxies = TrustedProxies::parse("127.0.0.1").unwrap();
    })
    .await;
    let request = untokened.http.get(untokened.url("/metrics"));
    let request = request
        .header("x-forwarded-for", "2001:db8::1")
        .bearer_auth("");
    assert_eq!(
        request.send().await.unwrap().status(),
        403,
        "no token, no way in"
    );
}

#[tokio::test]
async fn error_text_on_a_page_never_comes_from_a_url_someone_else_wrote() {
    let app = spawn_app_with(|_| {}).await;
    let planted = r#"{"error":"Your session expired: sign in again at evil.example","status":401}"#;
    let encoded = base64_url(planted);
    for page in ["/rooms/lobby", "/", "/signin"] {
        let url = format!("{page}?__path=%2Fapi%2Fpost_message&__err={encoded}");
        let text = app
            .http
            .get(app.url(&url))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            !text.contains("evil.example"),
            "{page} shows the planted error"
        );
    }
}

#[tokio::test]
async fn a_refused_form_shows_its_error_to_the_browser_it_sent_back_and_no_other() {
    let app = spawn_app_with(|_| {}).await;
    let ada = app.client_as("ada").await;
    let refused = ada
        .post(app.url("/api/create_room"))
        .header("accept", "text/html")
        .header("referer", app.url("/"))
        .form(&[("slug", "lobby"), ("title", "Again")])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 302);
    let location = refused.headers()["location"].to_str().unwrap().to_owned();
    let vouched = refused.headers().get_all("set-cookie").iter();
    let vouched = vouched
        .map(|value| value.to_str().unwrap())
        .find(|line| line.starts_with("murmur_form_error="))
        .expect("the redirect vouches for its error");
    let vouched = vouched.split(';').next().unwrap().to_owned();
    let page = |cookie: Option<String>| {
        let mut request = ada.get(&location);
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        async move { request.send().await.unwrap().text().await.unwrap() }
    };
    let expected = "the room “lobby” already exists";
    assert!(page(Some(vouched)).await.contains(expected));
    assert!(
        !page(None).await.contains(expected),
        "the same URL, sent by someone else"
    );
}

/// `text` in URL-safe base64 without padding, as Leptos writes a form's error.
fn base64_url(text: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let bytes = text.as_bytes();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

#[tokio::test]
async fn an_ipv6_client_is_limited_by_its_slash_64_not_by_each_address() {
    let app = spawn_app_with(|config| {
        config.trusted_proxies = TrustedProxies::parse("127.0.0.1").unwrap();
        config.limits = RateLimits {
            sign_ups_per_address: Some(Rate {
                burst: 2,
                per_minute: 1,
            }),
            ..RateLimits::off()
        };
    })
    .await;
    let sign_up = |username: &str, from: &'static str| {
        let body = json!({ "username": username, "password": PASSWORD });
        let request = app
            .http
            .post(app.url("/api/accounts"))
            .header("x-forwarded-for", from);
        let request = request.json(&body);
        async move { request.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(sign_up("one", "2001:db8:1:2::1").await, 201);
    assert_eq!(sign_up("two", "2001:db8:1:2::ffff").await, 201);
    assert_eq!(
        sign_up("three", "2001:db8:1:2:abcd:1234:5678:9").await,
        429,
        "the same /64"
    );
    assert_eq!(
        sign_up("four", "2001:db8:1:3::1").await,
        201,
        "another network"
    );
}

#[tokio::test]
async fn an_ipv6_client_holds_its_share_of_streams_by_its_slash_64() {
    let app = spawn_app_with(|config| {
        config.trusted_proxies = TrustedProxies::parse("127.0.0.1").unwrap();
        config.streams.per_address = 2;
    })
    .await;
    let fresh = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let open = |from: &'static str| {
        let request = fresh.get(app.url("/live?topic=rooms"));
        async move {
            request
                .header("x-forwarded-for", from)
                .send()
                .await
                .unwrap()
        }
    };
    let first = SseClient::from_response(open("2001:db8:1:2::1").await).expect("first");
    let second = SseClient::from_response(open("2001:db8:1:2:ffff::9").await).expect("second");
    let third = open("2001:db8:1:2:abcd::7").await;
    assert_eq!(third.status(), 429, "the same /64 holds two");
    let elsewhere = SseClient::from_response(open("2001:db8:1:3::1").await);
    assert!(elsewhere.is_some(), "another network");
    drop((first, second));
}
