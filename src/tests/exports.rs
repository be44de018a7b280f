//! Room exports: made in the background, told to the requester alone with cursors,
//! served to the requester alone, every message in order and byte-exact, and never
//! dropped by a restart.

use serde_json::{Value, json};

use murmur::protect::Rate;

use super::helpers::{SseClient, SseEvent, TestApp, spawn_app, spawn_app_with};

/// Bodies that break naive writers: quotes, commas, line breaks, non-ASCII.
const BODIES: [&str; 5] = [
    "plain",
    "commas, \"quotes\" and ''",
    "two\nlines, one \"quoted\"",
    "ünïcödé ☃ 𝄞 — 日本語",
    "ends with a quote\"",
];

async fn room_with_messages(app: &TestApp, slug: &str) -> Vec<Value> {
    app.create_room(slug).await;
    for body in BODIES {
        app.post(slug, "ada", body).await;
    }
    let (status, messages) = app
        .get_json(format!("/api/rooms/{slug}/messages?limit=200"))
        .await;
    assert_eq!(status, 200);
    messages.as_array().unwrap().clone()
}

/// Asks for an export as `who`: the status and the answer.
pub(super) async fn request(app: &TestApp, who: &str, slug: &str, format: &str) -> (u16, Value) {
    let client = app.client_as(who).await;
    let url = app.url(&format!("/api/rooms/{slug}/exports"));
    let response = client
        .post(url)
        .json(&json!({ "format": format }))
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

/// `path` fetched as `who`: the status and the body's bytes.
pub(super) async fn fetch_as(app: &TestApp, who: &str, path: &str) -> (u16, Vec<u8>) {
    let response = app
        .client_as(who)
        .await
        .get(app.url(path))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.bytes().await.unwrap().to_vec())
}

/// The events of export `id` on a person's topic, up to and including its end.
pub(super) async fn until_done(topic: &mut SseClient, id: i64) -> Vec<SseEvent> {
    let mut seen = Vec::new();
    loop {
        let event = topic.next().await;
        let payload = event.json();
        if payload["export"] != id {
            continue;
        }
        let done = payload["kind"] != "export-progress";
        seen.push(event);
        if done {
            return seen;
        }
    }
}

/// Ada asks for an export of `slug` as `format` with her topic open, and waits for its
/// end: her topic (for what comes next), the export's id, and its events.
async fn export_as_ada(app: &TestApp, slug: &str, format: &str) -> (SseClient, i64, Vec<SseEvent>) {
    let ada = app.client_as("ada").await;
    let mut topic = SseClient::open(&ada, &app.url("/live?topic=user:ada"), None)
        .await
        .unwrap();
    let (status, answer) = request(app, "ada", slug, format).await;
    assert_eq!(status, 202, "{answer}");
    let id = answer["id"].as_i64().unwrap();
    let events = until_done(&mut topic, id).await;
    (topic, id, events)
}

/// A CSV field as RFC 4180 has it.
fn csv_field(text: &str) -> String {
    match text.contains([',', '"', '\n', '\r']) {
        true => format!("\"{}\"", text.replace('"', "\"\"")),
        false => text.to_owned(),
    }
}

#[tokio::test]
async fn an_export_is_told_to_its_requester_as_it_goes_and_holds_every_message_exactly() {
    let app = spawn_app().await;
    let messages = room_with_messages(&app, "archive").await;
    let (_, id, events) = export_as_ada(&app, "archive", "jsonl").await;
    let (ready, progress) = events.split_last().unwrap();
    let percents: Vec<i64> = progress
        .iter()
        .map(|e| e.json()["percent"].as_i64().unwrap())
        .collect();
    assert!(
        percents.windows(2).all(|pair| pair[0] < pair[1]),
        "{percents:?}"
    );
    assert_eq!(percents.last(), Some(&100));
    assert_eq!(
        ready.json(),
        json!({ "kind": "export-ready", "export": id, "room": "archive", "url": format!("/api/exports/{id}/download") })
    );
    let cursors: Vec<i64> = events
        .iter()
        .map(|e| {
            e.id.as_deref()
                .unwrap()
                .strip_prefix("user:ada@")
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect();
    assert!(
        cursors.windows(2).all(|pair| pair[0] < pair[1]),
        "each with a cursor, in order"
    );

    let (status, state) = app.get_json_as("ada", &format!("/api/exports/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(state, json!({ "id": id, "state": "ready", "percent": 100 }));
    let (status, file) = fetch_as(&app, "ada", &format!("/api/exports/{id}/download")).await;
    assert_eq!(status, 200);
    let lines: Vec<Value> = String::from_utf8(file)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(
        lines, messages,
        "the messages as the API gives them, in order"
    );

    // A tab that was away gets the whole story on reconnect, from its cursor.
    let ada = app.client_as("ada").await;
    let mut resumed = SseClient::open(&ada, &app.url("/live?topic=user:ada@0"), None)
        .await
        .unwrap();
    assert_eq!(until_done(&mut resumed, id).await.len(), events.len());
}

#[tokio::test]
async fn a_csv_export_quotes_as_rfc_4180_says() {
    let app = spawn_app().await;
    let messages = room_with_messages(&app, "archive").await;
    let (_, id, _) = export_as_ada(&app, "archive", "csv").await;
    let (status, file) = fetch_as(&app, "ada", &format!("/api/exports/{id}/download")).await;
    assert_eq!(status, 200);
    let mut expected = "id,author,created_at,body\r\n".to_owned();
    for message in &messages {
        let field = |name: &str| match &message[name] {
            Value::String(text) => csv_field(text),
            other => other.to_string(),
        };
        let row = ["id", "author", "created_at", "body"].map(field).join(",");
        expected.push_str(&row);
        expected.push_str("\r\n");
    }
    assert_eq!(String::from_utf8(file).unwrap(), expected);
}

#[tokio::test]
async fn an_export_is_its_requesters_alone() {
    let app = spawn_app().await;
    room_with_messages(&app, "archive").await;
    let (_, id, _) = export_as_ada(&app, "archive", "jsonl").await;
    for path in [
        format!("/api/exports/{id}"),
        format!("/api/exports/{id}/download"),
    ] {
        assert_eq!(fetch_as(&app, "bob", &path).await.0, 404, "{path}");
        let (status, _) = app.get_json(&path).await;
        assert_eq!(status, 401, "{path} signed out");
    }
    assert_eq!(
        fetch_as(&app, "ada", "/api/exports/999/download").await.0,
        404
    );
    assert_eq!(fetch_as(&app, "ada", "/api/exports/x").await.0, 404);
}

#[tokio::test]
async fn a_bad_request_for_an_export_is_refused_and_starts_nothing() {
    let app = spawn_app().await;
    app.create_room("archive").await;
    let (status, refused) = request(&app, "ada", "archive", "xml").await;
    assert_eq!(status, 422);
    assert!(
        refused["error"].as_str().unwrap().contains("jsonl"),
        "{refused}"
    );
    assert_eq!(request(&app, "ada", "nowhere", "csv").await.0, 404);
    app.create_private_room("ada", "secret").await;
    assert_eq!(
        request(&app, "eve", "secret", "csv").await.0,
        404,
        "as if it didn't exist"
    );
    let signed_out = app.http.post(app.url("/api/rooms/archive/exports"));
    let response = signed_out
        .json(&json!({ "format": "csv" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let (_, listed) = app.get_json_as("ada", "/api/exports").await;
    assert_eq!(listed, json!([]));
}

#[tokio::test]
async fn an_export_a_stopped_server_left_running_is_finished_by_the_next() {
    let app = spawn_app().await;
    let messages = room_with_messages(&app, "archive").await;
    // As a server killed mid-export leaves it: the job running, half a file written.
    let left_running = "INSERT INTO exports (user_id, room_id, format, percent, created_at)
         SELECT (SELECT id FROM users WHERE username = 'ada'), id, 'jsonl', 40, $1
         FROM rooms WHERE slug = 'archive' RETURNING id";
    let now = murmur::time::Timestamp::now().millis();
    let id = app.sql(left_running, &[now]).await.unwrap();
    let exports = app.exports_dir();
    std::fs::write(exports.join(format!("{id}.part")), "{\"half\":").unwrap();

    let app = app.restart().await;
    let ada = app.client_as("ada").await;
    let mut topic = SseClient::open(&ada, &app.url("/live?topic=user:ada@0"), None)
        .await
        .unwrap();
    let events = until_done(&mut topic, id).await;
    assert_eq!(events.last().unwrap().json()["kind"], "export-ready");
    let (status, file) = fetch_as(&app, "ada", &format!("/api/exports/{id}/download")).await;
    assert_eq!(status, 200);
    let lines: Vec<Value> = String::from_utf8(file)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(
        lines, messages,
        "started over: nothing of the half-written file"
    );
}

#[tokio::test]
async fn an_export_never_serves_a_message_deleted_after_it_was_made() {
    let app = spawn_app().await;
    let messages = room_with_messages(&app, "archive").await;
    let (mut topic, id, _) = export_as_ada(&app, "archive", "jsonl").await;
    let gone = messages[1]["id"].as_i64().unwrap();
    let url = app.url(&format!("/api/rooms/archive/messages/{gone}"));
    let ada = app.client_as("ada").await;
    assert_eq!(ada.delete(url).send().await.unwrap().status(), 204);

    let download = format!("/api/exports/{id}/download");
    let (status, answer) = fetch_as(&app, "ada", &download).await;
    assert_eq!(status, 409);
    assert!(String::from_utf8(answer).unwrap().contains("deleted"));
    let remade = until_done(&mut topic, id).await;
    assert_eq!(remade.last().unwrap().json()["kind"], "export-ready");
    let (status, file) = fetch_as(&app, "ada", &download).await;
    assert_eq!(status, 200);
    let file = String::from_utf8(file).unwrap();
    assert!(!file.contains("quotes"), "the deleted text is gone: {file}");
    assert_eq!(
        file.lines().count(),
        messages.len(),
        "its marker stays, as in the API"
    );
}

#[tokio::test]
async fn asking_for_too_many_exports_is_refused() {
    let app = spawn_app_with(|config| {
        config.limits.exports = Some(Rate {
            burst: 1,
            per_minute: 1,
        })
    })
    .await;
    app.create_room("archive").await;
    assert_eq!(request(&app, "ada", "archive", "csv").await.0, 202);
    let (status, refused) = request(&app, "ada", "archive", "csv").await;
    assert_eq!(status, 429);
    assert!(
        refused["error"].as_str().unwrap().contains("try again"),
        "{refused}"
    );
}

#[tokio::test]
async fn an_export_expires_after_a_day() {
    let app = spawn_app().await;
    room_with_messages(&app, "archive").await;
    let (_, id, _) = export_as_ada(&app, "archive", "jsonl").await;
    let a_day_and_a_minute = (24 * 60 + 1) * 60 * 1000;
    let age = "UPDATE exports SET created_at = created_at - $1";
    app.sql(age, &[a_day_and_a_minute]).await;
    for path in [
        format!("/api/exports/{id}"),
        format!("/api/exports/{id}/download"),
    ] {
        assert_eq!(fetch_as(&app, "ada", &path).await.0, 404, "{path}");
    }
    let (_, listed) = app.get_json_as("ada", "/api/exports").await;
    assert_eq!(listed, json!([]));
}

#[tokio::test]
async fn an_export_asked_for_from_another_site_with_the_cookie_is_refused() {
    let app = spawn_app().await;
    app.create_room("archive").await;
    let signed_up = app
        .http
        .post(app.url("/api/accounts"))
        .json(&json!({ "username": "ada", "password": super::helpers::PASSWORD }))
        .send()
        .await
        .unwrap();
    let cookie = signed_up.headers()["set-cookie"].to_str().unwrap();
    let cookie = cookie.split(';').next().unwrap().to_owned();
    let forged = app
        .http
        .post(app.url("/api/rooms/archive/exports"))
        .header("cookie", &cookie)
        .header("sec-fetch-site", "cross-site")
        .json(&json!({ "format": "csv" }))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    let listed = app
        .http
        .get(app.url("/api/exports"))
        .header("cookie", &cookie);
    let listed: Value = listed.send().await.unwrap().json().await.unwrap();
    assert_eq!(listed, json!([]), "nothing was started");
}
