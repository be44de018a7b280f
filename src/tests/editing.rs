//! Editing and deleting messages: who may, what every viewer sees live, and what a stream
//! that was away replays when it resumes.

use serde_json::{Value, json};

use murmur::protect::{Rate, RateLimits};

use super::helpers::{SseClient, SseEvent, TestApp, spawn_app, spawn_app_with, spawn_sqlite_app};

/// `PATCH` message `id` of `slug` to `body` as `who`: status and JSON.
async fn edit(app: &TestApp, who: &str, slug: &str, id: impl ToString, body: &str) -> (u16, Value) {
    let response = app
        .client_as(who)
        .await
        .patch(app.url(&format!("/api/rooms/{slug}/messages/{}", id.to_string())))
        .json(&json!({ "body": body }))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// `DELETE` message `id` of `slug` as `who`: the status.
async fn delete(app: &TestApp, who: &str, slug: &str, id: impl ToString) -> u16 {
    let response = app
        .client_as(who)
        .await
        .delete(app.url(&format!("/api/rooms/{slug}/messages/{}", id.to_string())))
        .send()
        .await
        .unwrap();
    response.status().as_u16()
}

/// The message with `id`, as the API lists it.
async fn listed(app: &TestApp, slug: &str, id: i64) -> Value {
    let messages = app.messages(slug).await;
    let found = messages.into_iter().find(|message| message["id"] == id);
    found.expect("the message is listed")
}

/// `(event name, cursor, payload)` of the next event.
async fn next(stream: &mut SseClient) -> (String, i64, Value) {
    let SseEvent { event, id, data } = stream.next().await;
    let cursor = id.expect("an id").parse().expect("a numeric id");
    let payload = serde_json::from_str(&data).expect("JSON");
    (event.expect("a name"), cursor, payload)
}

#[tokio::test]
async fn the_author_edits_and_deletes_a_message_and_an_open_stream_sees_both() {
    let app = spawn_app().await;
    app.create_room("general").await;
    let mut stream = app.sse("/rooms/general/stream").await;
    let id = app.post("general", "ada", "helo").await;
    let (name, posted_at, _) = next(&mut stream).await;
    assert_eq!((name.as_str(), posted_at), ("message", id));

    let (status, edited) = edit(&app, "ada", "general", id, "hello").await;
    assert_eq!(status, 200, "{edited}");
    assert_eq!(
        (edited["id"].as_i64(), &edited["body"]),
        (Some(id), &json!("hello"))
    );
    assert!(edited["edited_at"].is_string(), "{edited}");
    let (name, edited_at, payload) = next(&mut stream).await;
    assert_eq!((name.as_str(), payload), ("edited", edited.clone()));
    assert!(edited_at > posted_at, "an edit moves the room's cursor");
    assert_eq!(listed(&app, "general", id).await, edited);

    assert_eq!(delete(&app, "ada", "general", id).await, 204);
    let (name, deleted_at, payload) = next(&mut stream).await;
    assert_eq!((name.as_str(), payload), ("deleted", json!({ "id": id })));
    assert!(deleted_at > edited_at);
    let marker = listed(&app, "general", id).await;
    assert_eq!(marker["body"], "", "the text is gone: {marker}");
    assert!(marker["deleted_at"].is_string(), "{marker}");
    assert_eq!(
        app.message_count("general").await,
        1,
        "the marker still counts"
    );
}

#[tokio::test]
async fn the_rooms_creator_may_delete_any_message_and_nobody_else_may_change_one() {
    let app = spawn_app().await;
    app.create_room("general").await; // created by `owner`
    let id = app.post("general", "ada", "mine").await;

    assert_eq!(edit(&app, "bob", "general", id, "theirs").await.0, 403);
    assert_eq!(delete(&app, "bob", "general", id).await, 403);
    let (status, refusal) = edit(&app, "owner", "general", id, "theirs").await;
    assert_eq!(status, 403, "the creator deletes, but doesn't edit");
    assert_eq!(refusal["error"], "only its author may edit a message");
    let signed_out = app
        .http
        .delete(app.url(&format!("/api/rooms/general/messages/{id}")));
    assert_eq!(signed_out.send().await.unwrap().status(), 401);
    assert_eq!(
        listed(&app, "general", id).await["body"],
        "mine",
        "nothing changed"
    );

    assert_eq!(delete(&app, "owner", "general", id).await, 204);
    assert!(listed(&app, "general", id).await["deleted_at"].is_string());
    let mine = app.post("general", "bob", "my own").await;
    assert_eq!(
        delete(&app, "bob", "general", mine).await,
        204,
        "anyone deletes their own"
    );
}

#[tokio::test]
async fn changing_a_message_that_isnt_there_is_404_and_bad_text_is_refused_as_when_posting() {
    let app = spawn_app().await;
    app.create_room("general").await;
    app.create_room("other").await;
    let id = app.post("general", "ada", "text").await;
    let elsewhere = app.post("other", "ada", "elsewhere").await;

    for missing in [json!(987_654), json!(elsewhere), json!("abc")] {
        let missing = missing.to_string().replace('"', "");
        let (status, error) = edit(&app, "ada", "general", &missing, "x").await;
        assert_eq!(status, 404, "PATCH {missing}: {error}");
        assert_eq!(
            delete(&app, "ada", "general", &missing).await,
            404,
            "DELETE {missing}"
        );
    }
    assert_eq!(edit(&app, "ada", "nowhere", id, "x").await.0, 404);
    for bad in ["", "   ", &"x".repeat(4_001)] {
        let (status, error) = edit(&app, "ada", "general", id, bad).await;
        assert_eq!(status, 422, "{error}");
    }
    assert_eq!(listed(&app, "general", id).await["body"], "text");
    assert!(listed(&app, "general", id).await.get("edited_at").is_none());

    assert_eq!(delete(&app, "ada", "general", id).await, 204);
    assert_eq!(
        delete(&app, "ada", "general", id).await,
        404,
        "already gone"
    );
    assert_eq!(edit(&app, "ada", "general", id, "back").await.0, 404);
}

#[tokio::test]
async fn a_stream_resumed_from_before_an_edit_and_a_delete_replays_both_in_order_once() {
    let app = spawn_app().await;
    app.create_room("general").await;
    let first = app.post("general", "ada", "first").await;
    let second = app.post("general", "ada", "second").await;
    let third = app.post("general", "ada", "third").await;
    edit(&app, "ada", "general", first, "first, edited").await;
    assert_eq!(delete(&app, "ada", "general", second).await, 204);

    // Away since the third message: the edit, then the deletion, each once.
    let app = app.restart().await;
    let mut stream = app
        .sse_after("/rooms/general/stream", &third.to_string())
        .await;
    let (name, edit_cursor, payload) = next(&mut stream).await;
    assert_eq!(
        (name.as_str(), &payload["body"]),
        ("edited", &json!("first, edited"))
    );
    let (name, delete_cursor, payload) = next(&mut stream).await;
    assert_eq!(
        (name.as_str(), payload),
        ("deleted", json!({ "id": second }))
    );
    assert!(third < edit_cursor && edit_cursor < delete_cursor);
    let fourth = app.post("general", "ada", "fourth").await;
    assert_eq!(
        next(&mut stream).await.1,
        fourth,
        "then live, nothing repeated"
    );

    // Away since the first message: what changed after it, in the order it changed.
    let mut stream = app
        .sse_after("/rooms/general/stream", &first.to_string())
        .await;
    let mut replayed = Vec::new();
    for _ in 0..4 {
        let (name, _, payload) = next(&mut stream).await;
        replayed.push((name, payload["id"].as_i64().unwrap()));
    }
    let expected = [
        ("message", third),
        ("edited", first),
        ("deleted", second),
        ("message", fourth),
    ];
    let expected = expected.map(|(name, id)| (name.to_owned(), id));
    assert_eq!(replayed, expected);

    // Away since before it all: each message once, as it reads now, in the order of its
    // latest change; the deleted one only as gone.
    let mut stream = app.sse_after("/rooms/general/stream", "0").await;
    let mut replayed = Vec::new();
    for _ in 0..4 {
        let (name, _, payload) = next(&mut stream).await;
        replayed.push((name, payload["body"].as_str().unwrap_or("").to_owned()));
    }
    let expected = [
        ("message", "third"),
        ("message", "first, edited"),
        ("deleted", ""),
        ("message", "fourth"),
    ];
    assert_eq!(
        replayed,
        expected.map(|(n, b)| (n.to_owned(), b.to_owned()))
    );
}

#[tokio::test]
async fn the_multi_topic_stream_carries_each_change_with_its_kind_and_cursor() {
    let app = spawn_app().await;
    app.create_room("general").await;
    let one = app.post("general", "ada", "one").await;
    let two = app.post("general", "ada", "two").await;
    assert_eq!(edit(&app, "ada", "general", one, "uno").await.0, 200);
    assert_eq!(delete(&app, "ada", "general", two).await, 204);

    let mut stream = app.sse(&format!("/live?topic=room:general@{one}")).await;
    let mut kinds = Vec::new();
    for _ in 0..2 {
        let event = stream.next().await;
        assert_eq!(event.event.as_deref(), Some("room:general"));
        assert!(event.id.as_deref().unwrap().starts_with("room:general@"));
        kinds.push(event.json()["kind"].as_str().unwrap().to_owned());
    }
    assert_eq!(kinds, ["edited", "deleted"]);
    app.post("general", "ada", "three").await;
    assert_eq!(stream.next().await.json()["kind"], "message");
}

#[tokio::test]
async fn a_deleted_messages_text_is_gone_from_the_database_file() {
    // SQLite's file: Postgres keeps the old row version until VACUUM (see its chat store).
    let app = spawn_sqlite_app().await;
    app.create_room("general").await;
    let secret = "the launch code is zebra-4471";
    let id = app.post("general", "ada", secret).await;
    edit(&app, "ada", "general", id, &format!("{secret}!")).await;
    let on_disk = || {
        let path = app.database_url.trim_start_matches("sqlite://").to_owned();
        let mut bytes = std::fs::read(&path).unwrap();
        bytes.extend(std::fs::read(format!("{path}-wal")).unwrap_or_default());
        bytes
            .windows(secret.len())
            .any(|window| window == secret.as_bytes())
    };
    assert!(on_disk(), "the text is in the file before");

    assert_eq!(delete(&app, "ada", "general", id).await, 204);
    assert!(!on_disk(), "and nowhere in it after");
}

#[tokio::test]
async fn plain_forms_edit_and_delete_with_javascript_off() {
    let app = spawn_app().await;
    app.create_room("general").await;
    let id = app.post("general", "ada", "typo").await;
    let ada = app.client_as("ada").await;
    let form = [
        ("slug", "general"),
        ("id", &id.to_string()),
        ("body", "fixed"),
    ];
    let form_post = |path: &str, fields: &[(&str, &str)]| {
        ada.post(app.url(path))
            .header("accept", "text/html")
            .header("referer", app.url("/rooms/general"))
            .form(fields)
            .send()
    };
    let edited = form_post("/api/edit_message", &form).await.unwrap();
    assert_eq!(edited.status(), 302);
    assert_eq!(
        edited.headers()["location"],
        format!("/rooms/general#m{id}")
    );
    assert_eq!(listed(&app, "general", id).await["body"], "fixed");

    let bob = app.client_as("bob").await;
    let refused = bob
        .post(app.url("/api/delete_message"))
        .form(&form[..2])
        .send();
    assert_eq!(refused.await.unwrap().status(), 403);
    let deleted = form_post("/api/delete_message", &form[..2]).await.unwrap();
    assert_eq!(deleted.status(), 302);
    assert!(listed(&app, "general", id).await["deleted_at"].is_string());
}

#[tokio::test]
async fn changes_riding_on_the_cookie_from_another_site_are_refused_and_count_as_posts() {
    let app = spawn_app_with(|config| {
        let posts = Rate {
            burst: 3,
            per_minute: 1,
        };
        config.limits = RateLimits {
            posts: Some(posts),
            ..RateLimits::off()
        };
    })
    .await;
    app.create_room("general").await;
    let id = app.post("general", "ada", "one").await;
    let cookie = format!("murmur_session={}", app.token("ada").await);
    let path = app.url(&format!("/api/rooms/general/messages/{id}"));
    let from_elsewhere = [
        app.http.patch(&path).json(&json!({ "body": "pwned" })),
        app.http.delete(&path),
    ];
    for request in from_elsewhere {
        let request = request
            .header("cookie", &cookie)
            .header("sec-fetch-site", "cross-site");
        assert_eq!(request.send().await.unwrap().status(), 403);
    }
    assert_eq!(
        listed(&app, "general", id).await["body"],
        "one",
        "nothing changed"
    );

    // One post, then two edits use the burst of three; the next change waits.
    assert_eq!(edit(&app, "ada", "general", id, "two").await.0, 200);
    assert_eq!(edit(&app, "ada", "general", id, "three").await.0, 200);
    let (status, error) = edit(&app, "ada", "general", id, "four").await;
    assert_eq!(status, 429, "{error}");
    assert_eq!(delete(&app, "ada", "general", id).await, 429);
    assert_eq!(listed(&app, "general", id).await["body"], "three");
}
