//! Private rooms: every surface answers a non-member as if the room didn't exist, members
//! come and go, and someone removed stops receiving the room at once.

use serde_json::{Value, json};

use super::helpers::{SseClient, TestApp, spawn_app};

/// Creates private room `slug` as `owner` and posts `first` in it; returns the message id.
async fn private_room(app: &TestApp, owner: &str, slug: &str, first: &str) -> i64 {
    app.create_private_room(owner, slug).await;
    let (status, message) = app.post_json(slug, owner, first).await;
    assert_eq!(status, 201);
    message["id"].as_i64().unwrap()
}

/// `method path` as `username` (or signed out): the status.
async fn status_as(app: &TestApp, username: Option<&str>, method: &str, path: &str) -> u16 {
    let client = match username {
        Some(username) => app.client_as(username).await,
        None => app.http.clone(),
    };
    let request = client.request(method.parse().unwrap(), app.url(path));
    let request = match method {
        "POST" if path.starts_with("/api/rooms/") => {
            request.json(&json!({ "body": "hi", "username": "eve" }))
        }
        "POST" => request.form(&[("slug", "secret"), ("username", "eve"), ("body", "hi")]),
        _ => request,
    };
    request.send().await.unwrap().status().as_u16()
}

/// A stream opened as `username`: on a fresh connection (served directly) or on one that
/// served a request before (through the router). `None` unless it answers 200.
async fn stream_as(app: &TestApp, username: &str, path: &str, routed: bool) -> Option<SseClient> {
    let client = app.client_as(username).await;
    if routed {
        app.reuse_connection(&client).await;
    }
    SseClient::open(&client, &app.url(path), None).await
}

#[tokio::test]
async fn a_private_room_is_not_found_by_anyone_but_its_members_on_every_surface() {
    let app = spawn_app().await;
    let first = private_room(&app, "ada", "secret", "for members").await;
    app.token("eve").await;
    let surfaces = [
        ("GET", "/rooms/secret".to_owned()),
        ("GET", "/api/rooms/secret/messages".to_owned()),
        ("POST", "/api/rooms/secret/messages".to_owned()),
        ("GET", "/api/rooms/secret/members".to_owned()),
        ("POST", "/api/rooms/secret/members".to_owned()),
        ("DELETE", "/api/rooms/secret/members/ada".to_owned()),
        ("POST", "/api/get_room".to_owned()),
        ("POST", "/api/list_messages".to_owned()),
        ("POST", "/api/list_members".to_owned()),
        ("POST", "/api/add_member".to_owned()),
        ("POST", "/api/post_message".to_owned()),
        ("POST", "/api/remove_member".to_owned()),
        ("GET", "/rooms/secret/stream".to_owned()),
        ("GET", "/rooms/secret/stream?after=0".to_owned()),
        ("GET", format!("/rooms/secret/stream?after={first}")),
        ("GET", "/live?topic=room:secret".to_owned()),
        ("GET", format!("/live?topic=room:secret@{first}")),
        ("GET", "/live?topic=rooms&topic=room:secret@0".to_owned()),
    ];
    for (method, path) in &surfaces {
        assert_eq!(
            status_as(&app, Some("eve"), method, path).await,
            404,
            "eve: {method} {path}"
        );
        // Signed out, some calls want an account first: the answer is the same as for a
        // room that doesn't exist, and never a success.
        let (secret, nowhere) = (
            status_as(&app, None, method, path).await,
            status_as(&app, None, method, &path.replace("secret", "nowhere")).await,
        );
        assert_eq!(secret, nowhere, "signed out: {method} {path}");
        assert!(secret >= 400, "signed out: {method} {path}: {secret}");
    }
    // Resuming with the header a reconnecting browser sends.
    let eve = app.client_as("eve").await;
    for (path, cursor) in [
        ("/rooms/secret/stream", first.to_string()),
        ("/live?topic=room:secret", format!("room:secret@{first}")),
    ] {
        assert!(
            SseClient::open(&eve, &app.url(path), Some(&cursor))
                .await
                .is_none(),
            "{path}"
        );
    }
    // The same stream asked for by a stranger through the router (not only directly).
    assert!(
        stream_as(&app, "eve", "/live?topic=room:secret", true)
            .await
            .is_none()
    );
    assert!(
        stream_as(&app, "eve", "/rooms/secret/stream", true)
            .await
            .is_none()
    );
    let no_such_room = status_as(&app, Some("eve"), "GET", "/live?topic=room:nowhere").await;
    assert_eq!(no_such_room, 404, "exactly like a room that doesn't exist");

    let listed = async |username: &str| {
        let client = app.client_as(username).await;
        let rooms: Vec<Value> = client
            .get(app.url("/api/rooms"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        rooms.iter().any(|room| room["slug"] == "secret")
    };
    assert!(
        !app.rooms()
            .await
            .iter()
            .any(|room| room["slug"] == "secret"),
        "signed out"
    );
    assert!(!listed("eve").await);
    assert!(listed("ada").await, "its member sees it");
    for routed in [false, true] {
        let mut stream = stream_as(&app, "ada", "/rooms/secret/stream?after=0", routed)
            .await
            .unwrap();
        assert_eq!(
            stream.next().await.json()["id"],
            first,
            "a member resumes it"
        );
    }
}

#[tokio::test]
async fn a_private_rooms_activity_reaches_only_its_members_in_the_directory() {
    let app = spawn_app().await;
    private_room(&app, "ada", "secret", "first").await;
    let mut eve = stream_as(&app, "eve", "/live?topic=rooms", false)
        .await
        .unwrap();
    let mut ada = stream_as(&app, "ada", "/live?topic=rooms", false)
        .await
        .unwrap();
    let mut anonymous = app.sse("/live?topic=rooms").await;
    app.post_json("secret", "ada", "whisper").await;
    app.post_json("lobby", "ada", "out loud").await;

    assert_eq!(ada.next().await.json()["slug"], "secret");
    assert_eq!(ada.next().await.json()["slug"], "lobby");
    for stranger in [&mut eve, &mut anonymous] {
        let event = stranger.next().await;
        assert_eq!(
            event.json()["slug"],
            "lobby",
            "the private room's summary never came first"
        );
    }
}

#[tokio::test]
async fn someone_added_sees_the_room_appear_live_and_can_read_it() {
    let app = spawn_app().await;
    let first = private_room(&app, "ada", "secret", "welcome").await;
    app.token("grace").await;
    let mut grace = stream_as(&app, "grace", "/live?topic=rooms", false)
        .await
        .unwrap();
    let ada = app.client_as("ada").await;

    let unknown = ada
        .post(app.url("/api/rooms/secret/members"))
        .json(&json!({ "username": "nobody" }));
    assert_eq!(
        unknown.send().await.unwrap().status(),
        404,
        "no such account"
    );
    let added = ada
        .post(app.url("/api/rooms/secret/members"))
        .json(&json!({ "username": "Grace" }));
    let added = added.send().await.unwrap();
    assert_eq!(added.status(), 201);
    assert_eq!(
        added.json::<Value>().await.unwrap(),
        json!({ "room": "secret", "username": "grace" })
    );

    let appeared = grace.next().await;
    assert_eq!(
        (
            appeared.json()["slug"].clone(),
            appeared.json()["private"].clone()
        ),
        (json!("secret"), json!(true))
    );
    let mut stream = stream_as(&app, "grace", "/rooms/secret/stream?after=0", false)
        .await
        .unwrap();
    assert_eq!(stream.next().await.json()["id"], first);
    let members: Value = ada
        .get(app.url("/api/rooms/secret/members"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        members,
        json!([{ "username": "ada", "creator": true }, { "username": "grace", "creator": false }])
    );
    let public = ada
        .post(app.url("/api/rooms/lobby/members"))
        .json(&json!({ "username": "grace" }));
    assert_eq!(
        public.send().await.unwrap().status(),
        422,
        "a public room has no members to add"
    );
}

#[tokio::test]
async fn members_leave_the_creator_removes_and_nobody_else_can() {
    let app = spawn_app().await;
    private_room(&app, "ada", "secret", "hi").await;
    let ada = app.client_as("ada").await;
    for name in ["grace", "linus"] {
        app.token(name).await;
        let added = ada
            .post(app.url("/api/rooms/secret/members"))
            .json(&json!({ "username": name }));
        assert_eq!(added.send().await.unwrap().status(), 201);
    }
    let app = &app;
    let remove = |by: &'static str, who: &'static str| async move {
        let client = app.client_as(by).await;
        let path = format!("/api/rooms/secret/members/{who}");
        client
            .delete(app.url(&path))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    };
    assert_eq!(
        remove("grace", "linus").await,
        403,
        "only the creator removes others"
    );
    assert_eq!(
        remove("eve", "linus").await,
        404,
        "a stranger finds no room"
    );
    assert_eq!(remove("linus", "linus").await, 204, "a member leaves");
    assert_eq!(
        remove("ada", "linus").await,
        404,
        "no longer a member (nor can he see it)"
    );
    assert_eq!(
        remove("ada", "grace").await,
        204,
        "the creator removes a member"
    );
    assert_eq!(
        status_as(app, Some("grace"), "GET", "/api/rooms/secret/messages").await,
        404
    );
    assert_eq!(
        status_as(app, Some("ada"), "GET", "/api/rooms/secret/messages").await,
        200
    );
}

#[tokio::test]
async fn someone_removed_stops_receiving_the_room_at_once_on_both_paths_and_cannot_reconnect() {
    let app = spawn_app().await;
    let first = private_room(&app, "ada", "secret", "before").await;
    let ada = app.client_as("ada").await;
    app.token("grace").await;
    let added = ada
        .post(app.url("/api/rooms/secret/members"))
        .json(&json!({ "username": "grace" }));
    assert_eq!(added.send().await.unwrap().status(), 201);
    let mut room_direct = stream_as(&app, "grace", "/rooms/secret/stream", false)
        .await
        .unwrap();
    let mut room_routed = stream_as(&app, "grace", "/rooms/secret/stream", true)
        .await
        .unwrap();
    let mut live = stream_as(
        &app,
        "grace",
        "/live?topic=room:secret&topic=room:lobby",
        false,
    )
    .await
    .unwrap();
    app.post_json("secret", "ada", "while a member").await;
    for stream in [&mut room_direct, &mut room_routed, &mut live] {
        assert_eq!(stream.next().await.json()["body"], "while a member");
    }

    let removed = ada
        .delete(app.url("/api/rooms/secret/members/grace"))
        .send()
        .await
        .unwrap();
    assert_eq!(removed.status(), 204);
    app.post_json("secret", "ada", "after the removal").await;
    for stream in [&mut room_direct, &mut room_routed] {
        let rest = stream.try_next().await;
        assert_eq!(
            rest.as_ref().and_then(|event| event.event.as_deref()),
            Some("resync")
        );
        assert!(
            stream.try_next().await.is_none(),
            "the stream is cut after the resync"
        );
    }
    let resync = live.next().await;
    assert_eq!(resync.event.as_deref(), Some("resync"));
    assert_eq!(
        resync.json()["revoked"],
        "room:secret",
        "the multi-topic stream says which topic it ended"
    );
    app.post_json("lobby", "ada", "elsewhere").await;
    let next = live.next().await;
    assert_eq!(
        next.json()["body"],
        "elsewhere",
        "the other topic goes on; the room's never comes"
    );

    let again = format!("/rooms/secret/stream?after={first}");
    assert!(
        stream_as(&app, "grace", &again, false).await.is_none(),
        "a reconnect cannot get it back"
    );
    assert!(
        stream_as(&app, "grace", "/live?topic=room:secret", true)
            .await
            .is_none()
    );
}
