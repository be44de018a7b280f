//! Signing in inside a thread's frame on another site: the frame keeps a session of its own
//! in a partitioned cookie (`SameSite=None; Secure; Partitioned`), which signs the frame's
//! own requests in and nothing else — never a cross-site write, never a cross-origin call.

use reqwest::{Client, Response, redirect::Policy};

use super::helpers::{PASSWORD, TestApp};
use super::threads::{BLOG, POST, find_thread, spawn_app_with_threads};

/// The frame's page for [`POST`], as `embed.js` asks for it.
fn frame_page() -> String {
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("url", POST)
        .append_pair("title", "A post")
        .append_pair("parent", BLOG)
        .finish();
    format!("/embed/thread?{query}")
}

/// A browser's frame: no cookie jar (each test says what it carries), no redirects followed.
fn frame_client() -> Client {
    Client::builder().redirect(Policy::none()).build().unwrap()
}

/// What the frame sends as a plain form post of `fields` to `path`, carrying `cookie`.
async fn form(app: &TestApp, path: &str, cookie: &str, fields: &[(&str, &str)]) -> Response {
    frame_client()
        .post(app.url(path))
        .header("accept", "text/html")
        .header("sec-fetch-site", "same-origin")
        .header("referer", app.url(&frame_page()))
        .header("cookie", cookie)
        .form(fields)
        .send()
        .await
        .unwrap()
}

/// The `Set-Cookie` lines of `response` for cookie `name`.
fn set_cookies(response: &Response, name: &str) -> Vec<String> {
    let prefix = format!("{name}=");
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|line| line.to_str().unwrap().to_owned())
        .filter(|line| line.starts_with(&prefix))
        .collect()
}

/// The frame's page as the frame loads it, carrying `cookie`.
async fn frame_text(app: &TestApp, cookie: &str) -> String {
    let page = frame_client().get(app.url(&frame_page()));
    let page = page
        .header("sec-fetch-site", "same-origin")
        .header("cookie", cookie);
    page.send().await.unwrap().text().await.unwrap()
}

#[tokio::test]
async fn a_frame_signs_in_with_a_partitioned_cookie_of_its_own_that_signs_in_nothing_else() {
    let app = spawn_app_with_threads().await;
    app.token("ada").await;
    let next = frame_page();
    let fields = [
        ("username", "ada"),
        ("password", PASSWORD),
        ("next", next.as_str()),
    ];
    let signed_in = form(&app, "/api/sign_in", "", &fields).await;
    assert_eq!(signed_in.status(), 302);
    assert_eq!(signed_in.headers()["location"], next.as_str());
    let [line] = &set_cookies(&signed_in, "murmur_frame")[..] else {
        panic!("one frame cookie: {:?}", signed_in.headers());
    };
    for attribute in ["; HttpOnly", "; SameSite=None", "; Secure", "; Partitioned"] {
        assert!(line.contains(attribute), "{line} lacks {attribute}");
    }
    assert!(
        set_cookies(&signed_in, "murmur_session").is_empty(),
        "not the site's"
    );
    assert!(set_cookies(&signed_in, "murmur_device").is_empty());
    let cookie = line.split(';').next().unwrap().to_owned();

    // In the frame: signed in, and the first comment makes the thread.
    let framed = frame_text(&app, &cookie).await;
    assert!(framed.contains("Commenting as") && framed.contains("<strong>ada</strong>"));
    let first = [("url", POST), ("title", "A post"), ("body", "First!")];
    let commented = form(&app, "/api/start_thread", &cookie, &first).await;
    assert_eq!(commented.status(), 302, "back to the frame");
    let (status, thread) = find_thread(&app, POST).await;
    assert_eq!(
        (status, thread["count"].as_i64()),
        (200, Some(1)),
        "{thread}"
    );
    let room = thread["room"].as_str().unwrap().to_owned();
    assert!(frame_text(&app, &cookie).await.contains("First!"));

    // Anywhere else the cookie signs nothing in: a write from another site is refused, and
    // a script on another origin is answered as someone signed out.
    let forged = frame_client()
        .post(app.url("/api/post_message"))
        .header("sec-fetch-site", "cross-site")
        .header("cookie", &cookie)
        .form(&[("slug", room.as_str()), ("body", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    let scripted = frame_client()
        .get(app.url("/api/me"))
        .header("origin", BLOG)
        .header("sec-fetch-mode", "cors")
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(scripted.status(), 401);
    let (_, thread) = find_thread(&app, POST).await;
    assert_eq!(thread["count"], 1, "nothing forged was posted");

    // Signing out of the frame ends the session and clears the frame's cookie.
    let signed_out = form(&app, "/api/sign_out", &cookie, &[("next", next.as_str())]).await;
    assert_eq!(signed_out.headers()["location"], next.as_str());
    let [cleared] = &set_cookies(&signed_out, "murmur_frame")[..] else {
        panic!("the frame cookie cleared: {:?}", signed_out.headers());
    };
    assert!(
        cleared.contains("Max-Age=0") && cleared.contains("; Partitioned"),
        "{cleared}"
    );
    let after = frame_text(&app, &cookie).await;
    assert!(after.contains("Sign in to comment") && !after.contains("Commenting as"));
}

#[tokio::test]
async fn a_refused_sign_in_comes_back_to_the_frame_with_its_error_vouched_for_in_the_frame() {
    let app = spawn_app_with_threads().await;
    app.token("ada").await;
    let next = frame_page();
    let fields = [
        ("username", "ada"),
        ("password", "wrong password!"),
        ("next", next.as_str()),
    ];
    let refused = form(&app, "/api/sign_in", "", &fields).await;
    assert_eq!(refused.status(), 302);
    assert!(
        set_cookies(&refused, "murmur_frame").is_empty(),
        "not signed in"
    );
    let location = refused.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.contains("/embed/thread?"), "{location}");
    let [vouched] = &set_cookies(&refused, "murmur_form_error")[..] else {
        panic!("the error vouched for: {:?}", refused.headers());
    };
    assert!(
        vouched.contains("; Partitioned"),
        "a frame keeps only a frame's cookie: {vouched}"
    );
    let page = frame_client()
        .get(&location)
        .header("cookie", vouched.split(';').next().unwrap());
    let page = page.send().await.unwrap().text().await.unwrap();
    assert!(page.contains("wrong username or password"), "{page}");
}

#[tokio::test]
async fn the_first_comment_needs_an_account_an_allowed_page_and_words_and_makes_nothing_without() {
    let app = spawn_app_with_threads().await;
    let token = app.token("ada").await;
    let start = |cookie: String, url: &'static str, body: &'static str| {
        let app = &app;
        async move {
            let fields = [("url", url), ("title", "A post"), ("body", body)];
            let answer = form(app, "/api/start_thread", &cookie, &fields).await;
            let location = answer
                .headers()
                .get("location")
                .map(|l| l.to_str().unwrap().to_owned());
            location.unwrap_or_default()
        }
    };
    let ada = format!("murmur_frame={token}");
    assert!(
        start(String::new(), POST, "hello").await.contains("__err="),
        "signed out"
    );
    assert!(
        start(ada.clone(), POST, "  ").await.contains("__err="),
        "no words"
    );
    let elsewhere = "http://elsewhere.example/posts/1";
    assert!(
        start(ada.clone(), elsewhere, "hello")
            .await
            .contains("__err=")
    );
    assert_eq!(find_thread(&app, POST).await.0, 404, "no thread made");
    assert_eq!(find_thread(&app, elsewhere).await.0, 404);
}
