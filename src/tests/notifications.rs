//! Mentions and notifications: who is notified, that only they receive it, on their own
//! topic, and that it survives being away; reading, editing and deleting follow.

use serde_json::{Value, json};

use super::helpers::{SseClient, SseEvent, TestApp, spawn_app};

/// `username`'s own topic on the multi-topic stream, as them (after `cursor`, if any);
/// through the router when `routed`, otherwise on a fresh connection.
async fn own_topic(app: &TestApp, username: &str, cursor: Option<i64>, routed: bool) -> SseClient {
    let client = app.client_as(username).await;
    if routed {
        app.reuse_connection(&client).await;
    }
    let topic = match cursor {
        Some(cursor) => format!("user:{username}@{cursor}"),
        None => format!("user:{username}"),
    };
    let url = app.url(&format!("/live?topic={topic}"));
    let stream = SseClient::open(&client, &url, None).await;
    stream.expect("one's own topic is open to one")
}

/// `(kind, cursor, payload)` of the next event, checking it is `username`'s.
async fn next(stream: &mut SseClient, username: &str) -> (String, Option<i64>, Value) {
    let SseEvent { event, id, data } = stream.next().await;
    let topic = format!("user:{username}");
    assert_eq!(event.as_deref(), Some(topic.as_str()));
    let cursor = id.map(|id| {
        let cursor = id.strip_prefix(&format!("{topic}@")).expect("topic@cursor");
        cursor.parse().expect("a numeric cursor")
    });
    let payload: Value = serde_json::from_str(&data).expect("JSON");
    let kind = payload["kind"].as_str().expect("a kind").to_owned();
    (kind, cursor, payload)
}

/// `username`'s notifications, newest first.
async fn notifications(app: &TestApp, username: &str) -> Vec<Value> {
    let client = app.client_as(username).await;
    let response = client.get(app.url("/api/notifications")).send().await;
    let response = response.unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// `POST /api/notifications/read` as `username` with `body`: the status.
async fn mark_read(app: &TestApp, username: &str, body: Value) -> u16 {
    let client = app.client_as(username).await;
    let request = client.post(app.url("/api/notifications/read")).json(&body);
    request.send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn a_mention_notifies_its_target_once_and_nobody_else() {
    let app = spawn_app().await;
    app.create_room("general").await;
    app.token("ada").await;
    let mut ada = own_topic(&app, "ada", None, false).await;
    let mut bob = own_topic(&app, "bob", None, true).await;

    let body = "hi @Ada and @ada, @nobody, and me @grace";
    let id = app.post("general", "grace", body).await;
    let (kind, cursor, notification) = next(&mut ada, "ada").await;
    assert_eq!(kind, "notification");
    let expected = json!({
        "kind": "notification",
        "id": cursor.expect("a notification has a cursor"),
        "room": "general",
        "message_id": id,
        "from": "grace",
        "excerpt": body,
        "read": false,
        "created_at": notification["created_at"],
    });
    assert_eq!(notification, expected);

    // Bob's first event is his own mention: the one for ada never reached him.
    let for_bob = app.post("general", "grace", "and @bob").await;
    let (kind, _, notification) = next(&mut bob, "bob").await;
    assert_eq!(
        (kind.as_str(), &notification["message_id"]),
        ("notification", &json!(for_bob))
    );

    let listed = notifications(&app, "ada").await;
    assert_eq!(
        listed.len(),
        1,
        "one notification for two mentions: {listed:?}"
    );
    let mut without_kind = expected;
    without_kind.as_object_mut().unwrap().remove("kind");
    assert_eq!(listed[0], without_kind);
    assert!(
        notifications(&app, "grace").await.is_empty(),
        "no self-mention"
    );
}

#[tokio::test]
async fn a_mention_in_a_private_room_notifies_only_its_members() {
    let app = spawn_app().await;
    let ada = app.client_as("ada").await;
    app.token("grace").await;
    app.create_private_room("ada", "secret").await;
    let added = ada
        .post(app.url("/api/rooms/secret/members"))
        .json(&json!({ "username": "grace" }))
        .send()
        .await;
    assert_eq!(added.unwrap().status(), 201);
    app.token("bob").await;

    app.post("secret", "ada", "@grace @bob: a secret").await;
    assert_eq!(notifications(&app, "grace").await.len(), 1);
    assert!(
        notifications(&app, "bob").await.is_empty(),
        "bob is no member"
    );
}

#[tokio::test]
async fn someone_elses_topic_is_refused_on_both_stream_paths() {
    let app = spawn_app().await;
    app.token("ada").await;
    for routed in [false, true] {
        for who in [Some("eve"), None] {
            let client = match who {
                Some(who) => app.client_as(who).await,
                None => reqwest::Client::new(),
            };
            if routed {
                app.reuse_connection(&client).await;
            }
            let response = client
                .get(app.url("/live?topic=user:ada&topic=rooms"))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 403, "{who:?}, routed: {routed}");
        }
    }
}

#[tokio::test]
async fn notifications_made_while_away_arrive_on_reconnect_after_the_cursor() {
    let app = spawn_app().await;
    app.create_room("general").await;
    app.token("ada").await;
    let mut ada = own_topic(&app, "ada", None, false).await;
    app.post("general", "grace", "@ada one").await;
    let (_, seen, _) = next(&mut ada, "ada").await;
    let seen = seen.unwrap();
    drop(ada);

    let two = app.post("general", "grace", "@ada two").await;
    let three = app.post("general", "bob", "@ada three").await;
    for routed in [false, true] {
        let mut back = own_topic(&app, "ada", Some(seen), routed).await;
        let (kind, first, payload) = next(&mut back, "ada").await;
        assert_eq!(
            (kind.as_str(), &payload["message_id"]),
            ("notification", &json!(two))
        );
        let (_, second, payload) = next(&mut back, "ada").await;
        assert_eq!(payload["message_id"], three);
        assert!(
            seen < first.unwrap() && first < second,
            "in order, after the cursor"
        );
    }

    // The browser's way back: `Last-Event-ID`.
    let client = app.client_as("ada").await;
    let url = app.url("/live?topic=user:ada");
    let last = format!("user:ada@{seen}");
    let mut back = SseClient::open(&client, &url, Some(&last)).await.unwrap();
    let (_, _, payload) = next(&mut back, "ada").await;
    assert_eq!(payload["message_id"], two);
}

#[tokio::test]
async fn marking_read_tells_every_tab_of_the_reader() {
    let app = spawn_app().await;
    app.create_room("general").await;
    app.token("ada").await;
    app.post("general", "grace", "@ada first").await;
    app.post("general", "grace", "@ada second").await;
    let listed = notifications(&app, "ada").await;
    let (newest, older) = (listed[0]["id"].as_i64().unwrap(), listed[1]["id"].clone());
    let mut tabs = [
        own_topic(&app, "ada", None, false).await,
        own_topic(&app, "ada", None, true).await,
    ];

    assert_eq!(mark_read(&app, "ada", json!({ "up_to": older })).await, 204);
    for tab in &mut tabs {
        let (kind, cursor, payload) = next(tab, "ada").await;
        assert_eq!(
            (kind.as_str(), cursor),
            ("read", None),
            "not kept: no cursor"
        );
        assert_eq!(payload["up_to"], older);
    }
    let read: Vec<bool> = notifications(&app, "ada")
        .await
        .iter()
        .map(|n| n["read"].as_bool().unwrap())
        .collect();
    assert_eq!(read, [false, true]);

    // Opening the room reads the rest.
    let page = app
        .client_as("ada")
        .await
        .get(app.url("/rooms/general"))
        .send()
        .await;
    assert_eq!(page.unwrap().status(), 200);
    // Two things were read, told in either order: the room, and its notifications.
    let mut told = [
        next(&mut tabs[0], "ada").await,
        next(&mut tabs[0], "ada").await,
    ]
    .map(|(kind, _, payload)| (kind, payload["room"].to_string()));
    told.sort();
    let general = || "\"general\"".to_owned();
    assert_eq!(
        told,
        [("read".into(), general()), ("room-read".into(), general())]
    );
    assert!(
        notifications(&app, "ada")
            .await
            .iter()
            .all(|n| n["read"] == true)
    );
    assert_eq!(
        mark_read(&app, "ada", json!({ "up_to": newest })).await,
        204
    );
}

#[tokio::test]
async fn notifications_refuse_strangers_and_bad_input_and_change_nothing() {
    let app = spawn_app().await;
    app.create_room("general").await;
    app.token("ada").await;
    app.post("general", "grace", "@ada hi").await;
    let (status, _) = app.get_json("/api/notifications").await;
    assert_eq!(status, 401);
    let signed_out = app.http.post(app.url("/api/notifications/read"));
    let signed_out = signed_out.json(&json!({ "up_to": 1 })).send().await;
    assert_eq!(signed_out.unwrap().status(), 401);
    for bad in [json!({}), json!({ "up_to": "all" }), json!("1")] {
        let status = mark_read(&app, "ada", bad.clone()).await;
        assert!(status == 400 || status == 422, "{bad}: {status}");
    }
    assert_eq!(notifications(&app, "ada").await[0]["read"], false);
}

#[tokio::test]
async fn an_edit_rewrites_the_excerpt_and_a_deletion_takes_the_notification_back() {
    let app = spawn_app().await;
    app.create_room("general").await;
    app.token("ada").await;
    let id = app.post("general", "grace", "@ada secret plans").await;
    let grace = app.client_as("grace").await;
    let message = app.url(&format!("/api/rooms/general/messages/{id}"));
    let edited = grace
        .patch(&message)
        .json(&json!({ "body": "@ada no plans" }));
    assert_eq!(edited.send().await.unwrap().status(), 200);
    assert_eq!(
        notifications(&app, "ada").await[0]["excerpt"],
        "@ada no plans"
    );

    let mut ada = own_topic(&app, "ada", Some(0), false).await;
    let (kind, _, payload) = next(&mut ada, "ada").await;
    assert_eq!(
        (kind.as_str(), &payload["excerpt"]),
        ("notification", &json!("@ada no plans"))
    );
    assert_eq!(grace.delete(&message).send().await.unwrap().status(), 204);
    let (kind, cursor, payload) = next(&mut ada, "ada").await;
    assert_eq!((kind.as_str(), cursor), ("withdrawn", None));
    assert_eq!(payload["message_id"], id);
    assert!(notifications(&app, "ada").await.is_empty());

    // Nothing of it is replayed either.
    app.post("general", "grace", "@ada later").await;
    let mut replay = own_topic(&app, "ada", Some(0), true).await;
    let (_, _, payload) = next(&mut replay, "ada").await;
    assert_eq!(payload["excerpt"], "@ada later");
}

#[tokio::test]
async fn every_page_renders_the_bell_with_the_unread_count_for_the_signed_in_only() {
    let app = spawn_app().await;
    app.create_room("general").await;
    app.token("ada").await;
    app.post("general", "grace", "@ada hi").await;
    let ada = app.client_as("ada").await;
    for path in ["/", "/rooms/lobby"] {
        let page = ada
            .get(app.url(path))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains("Notifications, 1 unread"), "{path}: {page}");
    }
    let page = app
        .http
        .get(app.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!page.contains("Notifications,"), "signed out: no bell");
}
