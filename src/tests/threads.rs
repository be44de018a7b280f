//! Comment threads (`/api/threads`): one per page of a site allowed to embed Murmur, kept
//! out of the chat's room list and directory, moderated by `MURMUR_ADMINS`.

use serde_json::{Value, json};

use murmur::accounts::Admins;
use murmur::protect::EmbedOrigins;

use super::helpers::{TestApp, spawn_app_with};

pub(super) const BLOG: &str = "http://blog.example:4000";
pub(super) const POST: &str = "http://blog.example:4000/posts/1";

pub(super) async fn spawn_app_with_threads() -> TestApp {
    spawn_app_with(|config| {
        config.embed_origins = EmbedOrigins::parse(BLOG).unwrap();
        config.admins = Admins::parse("moderator").unwrap();
    })
    .await
}

/// `POST /api/threads` as `who`: the status and the JSON answered.
async fn open_thread(app: &TestApp, who: &str, page: &Value) -> (u16, Value) {
    let client = app.client_as(who).await;
    let answer = client.post(app.url("/api/threads")).json(page).send();
    let answer = answer.await.unwrap();
    let status = answer.status().as_u16();
    (status, answer.json().await.unwrap_or(Value::Null))
}

/// `GET /api/threads?url=<page>`.
pub(super) async fn find_thread(app: &TestApp, page: &str) -> (u16, Value) {
    let query: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("url", page)
        .finish();
    app.get_json(format!("/api/threads?{query}")).await
}

/// The room of `page`'s thread, opened by ada.
async fn thread_room(app: &TestApp) -> String {
    let (status, thread) = open_thread(app, "ada", &json!({"url": POST, "title": "A post"})).await;
    assert_eq!(status, 201, "{thread}");
    thread["room"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_page_of_an_allowed_site_has_one_thread_and_its_comments_are_the_rooms_messages() {
    let app = spawn_app_with_threads().await;
    let (status, missing) = find_thread(&app, POST).await;
    assert_eq!(status, 404, "{missing}");

    let page = json!({"url": format!("{POST}#comments"), "title": "A post"});
    let (status, made) = open_thread(&app, "ada", &page).await;
    assert_eq!(status, 201, "{made}");
    let room = made["room"].as_str().unwrap();
    assert_eq!(made, json!({"room": room, "url": POST, "title": "A post"}));

    let again = json!({"url": POST, "title": "Another title"});
    let (status, found) = open_thread(&app, "grace", &again).await;
    assert_eq!((status, &found), (200, &made));

    app.post(room, "grace", "First!").await;
    let (status, found) = find_thread(&app, POST).await;
    assert_eq!(status, 200);
    assert_eq!(
        found,
        json!({"room": room, "url": POST, "title": "A post", "count": 1})
    );
    assert_eq!(app.messages(room).await[0]["body"], "First!");
}

#[tokio::test]
async fn only_pages_of_allowed_sites_get_a_thread_and_only_for_someone_signed_in() {
    let app = spawn_app_with_threads().await;
    for (page, why) in [
        ("http://evil.example/posts/1", "a site not in the list"),
        (
            "http://blog.example:4001/posts/1",
            "another port is another site",
        ),
        (
            "https://blog.example:4000/posts/1",
            "another scheme is another site",
        ),
        ("javascript:alert(1)", "not a page"),
        ("/posts/1", "not a full address"),
    ] {
        let (status, refused) = open_thread(&app, "ada", &json!({"url": page, "title": "T"})).await;
        assert_eq!(status, 422, "{why}: {refused}");
        assert!(refused["error"].as_str().unwrap().len() > 10, "{refused}");
    }
    let (status, refused) = open_thread(&app, "ada", &json!({"url": POST, "title": " "})).await;
    assert_eq!(status, 422, "an empty title: {refused}");
    let (status, refused) = open_thread(&app, "ada", &json!({"url": POST})).await;
    assert_eq!(status, 422, "no title: {refused}");

    let anonymous = app.http.post(app.url("/api/threads"));
    let anonymous = anonymous.json(&json!({"url": POST, "title": "T"})).send();
    assert_eq!(anonymous.await.unwrap().status(), 401);

    let (status, _) = find_thread(&app, POST).await;
    assert_eq!(status, 404, "no refused call made a thread");
    assert_eq!(app.rooms().await.len(), 1, "nor a room");
}

#[tokio::test]
async fn threads_stay_out_of_the_room_list_and_the_directory_and_have_a_topic_of_their_own() {
    let app = spawn_app_with_threads().await;
    let mut directory = app.sse("/live?topic=rooms").await;
    let mut threads = app.sse("/live?topic=threads").await;

    let room = thread_room(&app).await;
    let made = threads.next().await;
    assert_eq!(made.event.as_deref(), Some("threads"));
    let made = made.json();
    assert_eq!(
        (made["slug"].as_str(), made["thread"].as_str()),
        (Some(&*room), Some(POST))
    );
    app.post(&room, "grace", "First!").await;
    let commented = threads.next().await.json();
    assert_eq!(
        (
            commented["slug"].as_str(),
            commented["message_count"].as_i64()
        ),
        (Some(&*room), Some(1))
    );

    let listed = app.rooms().await;
    assert!(
        listed.iter().all(|listed| listed["slug"] != room),
        "{listed:?}"
    );
    // The directory's next event is the lobby's, not the thread's.
    app.post("lobby", "ada", "hello").await;
    let next = directory.next().await.json();
    assert_eq!(next["slug"], "lobby");
}

#[tokio::test]
async fn a_moderator_deletes_any_comment_in_a_thread_and_no_one_else_does() {
    let app = spawn_app_with_threads().await;
    let room = thread_room(&app).await;
    let rude = app.post(&room, "ada", "rude words").await;
    let delete = |who: &'static str, room: String, id: i64| {
        let app = &app;
        async move {
            let client = app.client_as(who).await;
            let path = format!("/api/rooms/{room}/messages/{id}");
            client.delete(app.url(&path)).send().await.unwrap().status()
        }
    };
    assert_eq!(delete("grace", room.clone(), rude).await, 403);
    assert_eq!(delete("moderator", room.clone(), rude).await, 204);
    let (_, found) = find_thread(&app, POST).await;
    assert_eq!(found["count"], 0);

    let chat = app.post("lobby", "ada", "a chat message").await;
    assert_eq!(
        delete("moderator", "lobby".into(), chat).await,
        403,
        "a chat room is not a thread"
    );
}

#[tokio::test]
async fn an_allowed_site_opens_a_thread_from_its_own_scripts() {
    let app = spawn_app_with_threads().await;
    let token = app.token("ada").await;
    let request = app.http.post(app.url("/api/threads"));
    let answer = request
        .header("origin", BLOG)
        .header("sec-fetch-mode", "cors")
        .bearer_auth(token)
        .json(&json!({"url": POST, "title": "A post"}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 201);
    assert_eq!(answer.headers()["access-control-allow-origin"], BLOG);
}

#[tokio::test]
async fn the_embedded_page_shows_a_threads_comments_and_may_be_framed_by_allowed_sites_alone() {
    let app = spawn_app_with_threads().await;
    let page = |parent: &str| {
        let query: String = form_urlencoded::Serializer::new(String::new())
            .append_pair("url", POST)
            .append_pair("parent", parent)
            .finish();
        app.url(&format!("/embed/thread?{query}"))
    };
    let before = app.http.get(page(BLOG)).send().await.unwrap();
    assert_eq!(before.status(), 200);
    let csp = before.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(csp, format!("frame-ancestors {BLOG}"));
    let html = before.text().await.unwrap();
    assert!(
        html.contains("0 comments") && html.contains("No comments yet"),
        "{html}"
    );
    assert!(!html.contains(r#"class="topbar""#), "no app bar in a frame");

    let room = thread_room(&app).await;
    app.post(&room, "grace", "<b>First</b>!").await;
    let html = app
        .http
        .get(page(BLOG))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("1 comment"), "{html}");
    assert!(html.contains("&lt;b&gt;First&lt;/b&gt;!"), "escaped");
    assert!(
        html.contains(r#"id="frame-seed""#),
        "told whom to tell its height"
    );
    let elsewhere = app
        .http
        .get(page("http://evil.example"))
        .send()
        .await
        .unwrap();
    let html = elsewhere.text().await.unwrap();
    assert!(
        !html.contains(r#"id="frame-seed""#),
        "a site not in the list is told nothing"
    );

    let room_page = app
        .http
        .get(app.url(&format!("/rooms/{room}")))
        .send()
        .await
        .unwrap();
    assert_eq!(
        room_page.headers()["content-security-policy"],
        "frame-ancestors 'none'"
    );
}
