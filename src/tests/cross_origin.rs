//! Scripts on other origins (`MURMUR_EMBED_ORIGINS`): an allowed origin reads the API and
//! the streams with a bearer token, every other origin gets no CORS headers, a cookie never
//! signs a cross-origin call in, and no page but `/embed/…` may be framed.

use reqwest::RequestBuilder;
use reqwest::header::HeaderMap;
use serde_json::json;

use murmur::protect::EmbedOrigins;

use super::helpers::{SseClient, TestApp, spawn_app, spawn_app_with};

const BLOG: &str = "http://blog.example:4000";
const EVIL: &str = "http://evil.example";

async fn spawn_app_embedded_by_the_blog() -> TestApp {
    spawn_app_with(|config| config.embed_origins = EmbedOrigins::parse(BLOG).unwrap()).await
}

/// `request` as a script on `origin` sends it.
fn from(origin: &str, request: RequestBuilder) -> RequestBuilder {
    request
        .header("origin", origin)
        .header("sec-fetch-mode", "cors")
        .header("sec-fetch-site", "cross-site")
}

fn allowed_origin(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get("access-control-allow-origin")?;
    Some(value.to_str().unwrap())
}

fn varies_by_origin(headers: &HeaderMap) -> bool {
    headers.get_all("vary").iter().any(|value| {
        value
            .to_str()
            .unwrap()
            .to_ascii_lowercase()
            .contains("origin")
    })
}

#[tokio::test]
async fn an_allowed_origin_reads_the_api_and_its_preflights_are_answered() {
    let app = spawn_app_embedded_by_the_blog().await;
    let read = from(BLOG, app.http.get(app.url("/api/rooms")));
    let read = read.send().await.unwrap();
    assert_eq!(read.status(), 200);
    assert_eq!(allowed_origin(read.headers()), Some(BLOG));
    assert!(varies_by_origin(read.headers()));
    assert!(
        !read
            .headers()
            .contains_key("access-control-allow-credentials"),
        "bearer tokens only"
    );

    let preflight = app
        .http
        .request(
            reqwest::Method::OPTIONS,
            app.url("/api/rooms/lobby/messages"),
        )
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization, content-type",
        );
    let answer = from(BLOG, preflight).send().await.unwrap();
    assert_eq!(answer.status(), 204);
    let headers = answer.headers();
    assert_eq!(allowed_origin(headers), Some(BLOG));
    let text = |name: &str| headers[name].to_str().unwrap().to_owned();
    assert!(text("access-control-allow-methods").contains("POST"));
    assert!(text("access-control-allow-methods").contains("DELETE"));
    assert!(text("access-control-allow-headers").contains("authorization"));
    assert!(text("access-control-allow-headers").contains("content-type"));
    assert!(!headers.contains_key("access-control-allow-credentials"));
}

#[tokio::test]
async fn other_origins_get_no_cors_headers_and_no_preflight() {
    let app = spawn_app_embedded_by_the_blog().await;
    let read = from(EVIL, app.http.get(app.url("/api/rooms")));
    let read = read.send().await.unwrap();
    assert_eq!(allowed_origin(read.headers()), None);

    let preflight = app
        .http
        .request(reqwest::Method::OPTIONS, app.url("/api/rooms"))
        .header("access-control-request-method", "POST");
    let refused = from(EVIL, preflight).send().await.unwrap();
    assert_eq!(refused.status(), 403);
    assert_eq!(allowed_origin(refused.headers()), None);
    let error: serde_json::Value = refused.json().await.unwrap();
    assert!(
        error["error"].as_str().unwrap().contains("origin"),
        "{error}"
    );

    // Without MURMUR_EMBED_ORIGINS, no origin is allowed.
    let closed = spawn_app().await;
    let read = from(BLOG, closed.http.get(closed.url("/api/rooms")));
    let read = read.send().await.unwrap();
    assert_eq!(allowed_origin(read.headers()), None);
    assert!(!varies_by_origin(read.headers()));
}

#[tokio::test]
async fn a_bearer_token_posts_cross_origin_and_a_cookie_never_signs_a_call_in() {
    let app = spawn_app_embedded_by_the_blog().await;
    let token = app.token("ada").await;
    let post = app.http.post(app.url("/api/rooms/lobby/messages"));
    let post = from(BLOG, post.bearer_auth(&token)).json(&json!({ "body": "from the blog" }));
    let posted = post.send().await.unwrap();
    assert_eq!(posted.status(), 201);
    assert_eq!(allowed_origin(posted.headers()), Some(BLOG));

    let cookie = format!("murmur_session={token}");
    let me = app.http.get(app.url("/api/me")).header("cookie", &cookie);
    assert_eq!(me.send().await.unwrap().status(), 200, "the cookie at home");
    let me = from(
        BLOG,
        app.http.get(app.url("/api/me")).header("cookie", &cookie),
    );
    assert_eq!(
        me.send().await.unwrap().status(),
        401,
        "the cookie elsewhere"
    );
    let post = app.http.post(app.url("/api/rooms/lobby/messages"));
    let post = from(BLOG, post.header("cookie", &cookie)).json(&json!({ "body": "ridden" }));
    // A write that came from another site without a token is refused before anything.
    assert_eq!(post.send().await.unwrap().status(), 403);
    let bodies: Vec<_> = app.messages("lobby").await;
    assert_eq!(bodies.len(), 1, "{bodies:?}");
}

#[tokio::test]
async fn streams_are_readable_from_an_allowed_origin_and_resume_after_a_drop() {
    let app = spawn_app_embedded_by_the_blog().await;
    for path in ["/rooms/lobby/stream", "/live?topic=room:lobby"] {
        let open = from(BLOG, app.http.get(app.url(path)));
        let response = open.header("accept", "text/event-stream").send().await;
        let mut stream = SseClient::from_response(response.unwrap()).expect("a stream");
        assert_eq!(
            allowed_origin(&stream.response_headers),
            Some(BLOG),
            "{path}"
        );
        app.post("lobby", "ada", &format!("first on {path}")).await;
        let first = stream.next().await;
        assert_eq!(first.json()["body"], format!("first on {path}"));
        drop(stream);

        app.post("lobby", "ada", &format!("missed on {path}")).await;
        let resume = from(BLOG, app.http.get(app.url(path)));
        let resume = resume
            .header("accept", "text/event-stream")
            .header("last-event-id", first.id.clone().unwrap());
        let mut stream = SseClient::from_response(resume.send().await.unwrap()).unwrap();
        assert_eq!(allowed_origin(&stream.response_headers), Some(BLOG));
        assert_eq!(
            stream.next().await.json()["body"],
            format!("missed on {path}")
        );
    }
}

#[tokio::test]
async fn no_page_may_be_framed_but_embeds_by_the_allowed_origins() {
    let app = spawn_app_embedded_by_the_blog().await;
    for path in ["/", "/rooms/lobby", "/signin", "/api/rooms"] {
        let page = app.http.get(app.url(path)).send().await.unwrap();
        let policy = page.headers()["content-security-policy"].to_str().unwrap();
        assert_eq!(policy, "frame-ancestors 'none'", "{path}");
    }
    let embed = app.http.get(app.url("/embed/thread")).send().await.unwrap();
    let policy = embed.headers()["content-security-policy"].to_str().unwrap();
    assert_eq!(policy, format!("frame-ancestors {BLOG}"));

    let closed = spawn_app().await;
    let embed = closed.http.get(closed.url("/embed/thread")).send().await;
    let embed = embed.unwrap();
    let policy = embed.headers()["content-security-policy"].to_str().unwrap();
    assert_eq!(policy, "frame-ancestors 'none'", "no origins, no framing");
}
