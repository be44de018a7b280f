//! Signing out ends what the session opened, tried as the holder of a stolen token would:
//! every stream it authenticated ends (on every instance) and sends nothing more, and the
//! token is signed out when it comes back. Signing in or out replaces the cookie, whatever
//! renewal of the old session the same response carries.

use serde_json::{Value, json};

use super::helpers::{PASSWORD, SseClient, TestApp, spawn_app, spawn_two_instances_with};
use murmur::time::Timestamp;

/// A new session of `username` (who has an account): its token.
async fn sign_in(app: &TestApp, username: &str) -> String {
    app.token(username).await;
    let credentials = json!({ "username": username, "password": PASSWORD });
    let response = app
        .http
        .post(app.url("/api/session"))
        .json(&credentials)
        .send();
    let body: Value = response.await.unwrap().json().await.unwrap();
    body["token"].as_str().unwrap().to_owned()
}

/// A stream of `path` opened with `token`; `None` unless it answers 200.
async fn stream_with(app: &TestApp, token: &str, path: &str) -> Option<SseClient> {
    let request = app.http.get(app.url(path)).bearer_auth(token);
    SseClient::from_response(
        request
            .header("accept", "text/event-stream")
            .send()
            .await
            .ok()?,
    )
}

async fn sign_out(app: &TestApp, token: &str) {
    let response = app.http.delete(app.url("/api/session")).bearer_auth(token);
    assert_eq!(response.send().await.unwrap().status(), 204);
}

/// Ada's private room `secret`, with grace in it.
async fn secret_room(app: &TestApp) {
    app.create_private_room("ada", "secret").await;
    app.token("grace").await;
    let added = app
        .client_as("ada")
        .await
        .post(app.url("/api/rooms/secret/members"));
    let added = added
        .json(&json!({ "username": "grace" }))
        .send()
        .await
        .unwrap();
    assert_eq!(added.status(), 201);
}

#[tokio::test]
async fn signing_out_ends_every_stream_the_session_opened_and_nothing_more_reaches_them() {
    let app = spawn_app().await;
    secret_room(&app).await;
    let stolen = sign_in(&app, "ada").await;
    let mut streams = Vec::new();
    for path in [
        "/live?topic=room:secret&topic=user:ada&topic=rooms",
        "/rooms/secret/stream",
        "/live?topic=user:ada",
    ] {
        streams.push(stream_with(&app, &stolen, path).await.expect(path));
    }
    let other_session = sign_in(&app, "ada").await;
    let mut stays = stream_with(&app, &other_session, "/live?topic=room:secret")
        .await
        .unwrap();

    sign_out(&app, &stolen).await;
    // After the sign-out: a message in the private room that mentions ada.
    app.post("secret", "grace", "@ada the plan").await;
    for stream in &mut streams {
        assert!(stream.ended().await, "ended, with nothing sent");
    }
    assert_eq!(
        stays.next().await.json()["body"],
        "@ada the plan",
        "her other session"
    );

    for path in ["/live?topic=room:secret", "/rooms/secret/stream"] {
        let again = app
            .http
            .get(app.url(path))
            .bearer_auth(&stolen)
            .send()
            .await
            .unwrap();
        assert_eq!(
            again.status(),
            404,
            "{path}: signed out, the room is not there"
        );
    }
    let personal = app
        .http
        .get(app.url("/live?topic=user:ada"))
        .bearer_auth(&stolen);
    assert_eq!(personal.send().await.unwrap().status(), 403);
}

#[tokio::test]
async fn signing_out_through_one_instance_ends_the_sessions_streams_on_the_other() {
    let (a, b) = spawn_two_instances_with(|_| {}).await;
    secret_room(&a).await;
    let stolen = sign_in(&a, "ada").await;
    let mut on_b = stream_with(&b, &stolen, "/live?topic=room:secret&topic=user:ada")
        .await
        .unwrap();
    sign_out(&a, &stolen).await;
    assert!(on_b.ended().await, "ended on B too");
    let again = b
        .http
        .get(b.url("/live?topic=room:secret"))
        .bearer_auth(&stolen);
    assert_eq!(again.send().await.unwrap().status(), 404);
}

/// Makes every session due for renewal: the next request with one moves its expiry on and
/// sends its cookie again.
async fn due_for_renewal(app: &TestApp) {
    let in_a_day = Timestamp::now().millis() + 24 * 3600 * 1000;
    app.sql("UPDATE sessions SET expires_at = $1", &[in_a_day])
        .await;
}

/// The value of the last `murmur_session` cookie `response` sets.
fn last_session_cookie(response: &reqwest::Response) -> String {
    let cookies = response.headers().get_all("set-cookie").iter();
    let mut session =
        cookies.filter_map(|value| value.to_str().unwrap().strip_prefix("murmur_session="));
    let last = session.next_back().expect("a session cookie");
    last.split(';').next().unwrap().to_owned()
}

#[tokio::test]
async fn signing_in_as_someone_else_replaces_the_cookie_even_when_the_old_one_is_renewed() {
    let app = spawn_app().await;
    app.token("grace").await;
    let ada = sign_in(&app, "ada").await;
    due_for_renewal(&app).await;
    let credentials = json!({ "username": "grace", "password": PASSWORD });
    let response = app
        .http
        .post(app.url("/api/session"))
        .header("cookie", format!("murmur_session={ada}"))
        .json(&credentials)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let cookie = last_session_cookie(&response);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        cookie,
        body["token"].as_str().unwrap(),
        "grace's, not ada's renewed"
    );
}

#[tokio::test]
async fn signing_out_clears_the_cookie_even_when_the_session_was_due_for_renewal() {
    let app = spawn_app().await;
    let json_api = sign_in(&app, "ada").await;
    let form = sign_in(&app, "ada").await;
    due_for_renewal(&app).await;
    let response = app
        .http
        .delete(app.url("/api/session"))
        .header("cookie", format!("murmur_session={json_api}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert_eq!(last_session_cookie(&response), "", "removed, not renewed");
    let response = app
        .http
        .post(app.url("/api/sign_out"))
        .header("cookie", format!("murmur_session={form}"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 302);
    assert_eq!(last_session_cookie(&response), "");
    for token in [json_api, form] {
        let me = app.http.get(app.url("/api/me")).bearer_auth(token).send();
        assert_eq!(me.await.unwrap().status(), 401);
    }
}
