//! Unread counts: what a signed-in reader has not read in each room, how reading moves it,
//! and that their other tabs hear of it.

use serde_json::Value;

use super::helpers::{SseClient, TestApp, spawn_app};

/// Each room's unread count as `username` lists the rooms.
async fn unread(app: &TestApp, username: &str) -> Vec<(String, i64)> {
    let client = app.client_as(username).await;
    let rooms: Vec<Value> = client
        .get(app.url("/api/rooms"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut counts: Vec<(String, i64)> = rooms
        .iter()
        .map(|room| {
            let count = room["unread"]
                .as_i64()
                .expect("a count for a signed-in reader");
            (room["slug"].as_str().unwrap().to_owned(), count)
        })
        .collect();
    counts.sort();
    counts
}

/// `username` has read `slug` up to message `up_to`, as the page tells the server.
async fn read(app: &TestApp, username: &str, slug: &str, up_to: i64) {
    let client = app.client_as(username).await;
    let response = client
        .post(app.url("/api/read_room"))
        .form(&[("slug", slug), ("up_to", &up_to.to_string())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

fn counts(pairs: &[(&str, i64)]) -> Vec<(String, i64)> {
    pairs
        .iter()
        .map(|(slug, n)| ((*slug).to_owned(), *n))
        .collect()
}

#[tokio::test]
async fn a_room_counts_messages_by_others_since_the_reader_last_read_it() {
    let app = spawn_app().await;
    app.create_room("general").await;
    app.post("general", "grace", "before ada signed up").await;
    app.token("ada").await;
    assert_eq!(
        unread(&app, "ada").await,
        counts(&[("general", 0), ("lobby", 0)])
    );

    let first = app.post("general", "grace", "one").await;
    app.post("general", "ada", "my own").await;
    let gone = app.post("general", "grace", "two").await;
    app.post("general", "grace", "three").await;
    let grace = app.client_as("grace").await;
    let deleted = grace.delete(app.url(&format!("/api/rooms/general/messages/{gone}")));
    assert_eq!(deleted.send().await.unwrap().status(), 204);
    assert_eq!(
        unread(&app, "ada").await,
        counts(&[("general", 2), ("lobby", 0)])
    );

    read(&app, "ada", "general", first).await;
    assert_eq!(
        unread(&app, "ada").await,
        counts(&[("general", 1), ("lobby", 0)])
    );
    read(&app, "ada", "general", first - 1).await;
    assert_eq!(
        unread(&app, "ada").await[0],
        ("general".into(), 1),
        "never backwards"
    );

    let (_, rooms) = app.get_json("/api/rooms").await;
    assert!(rooms[0].get("unread").is_none(), "signed out: no counts");
}

#[tokio::test]
async fn opening_a_room_marks_where_the_reader_was_and_reads_it_and_their_tabs_hear() {
    let app = spawn_app().await;
    app.create_room("general").await;
    app.token("ada").await;
    let read_up_to = app.post("general", "grace", "old news").await;
    read(&app, "ada", "general", read_up_to).await;
    app.post("general", "grace", "fresh news").await;
    let ada = app.client_as("ada").await;
    let mut tab = SseClient::open(&ada, &app.url("/live?topic=user:ada"), None)
        .await
        .unwrap();

    let page = ada.get(app.url("/rooms/general")).send().await.unwrap();
    let page = page.text().await.unwrap();
    let divider = page.find("New messages").expect("a divider");
    let (old, fresh) = (
        page.find("old news").unwrap(),
        page.rfind("fresh news").unwrap(),
    );
    assert!(
        old < divider && divider < fresh,
        "the divider sits before what is new"
    );
    assert_eq!(unread(&app, "ada").await[0], ("general".into(), 0));
    let event = tab.next().await;
    let payload: Value = serde_json::from_str(&event.data).unwrap();
    assert_eq!(
        (&payload["kind"], &payload["room"]),
        (&"room-read".into(), &"general".into())
    );
    assert_eq!(event.id, None);
}
