//! Server-rendered pages.

use super::helpers::spawn_app;

#[tokio::test]
async fn the_directory_and_a_room_render_on_the_server() {
    let app = spawn_app().await;
    app.post_json("lobby", "Ada", "<script>alert(1)</script>")
        .await;

    let home = app.http.get(app.url("/")).send().await.unwrap();
    assert_eq!(home.status(), 200);
    let html = home.text().await.unwrap();
    assert!(html.contains("Lobby"), "the seeded room is listed");
    assert!(html.contains("1 message"));

    let room = app.http.get(app.url("/rooms/lobby")).send().await.unwrap();
    assert_eq!(room.status(), 200);
    let html = room.text().await.unwrap();
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "text is escaped"
    );
    assert!(
        html.contains(r"\u003cscript>alert(1)\u003c/script>"),
        "the message list island's seed carries it as JSON that cannot close its element"
    );
    assert!(!html.contains("<script>alert(1)"), "and never executed");
    assert!(html.contains("Sign in to post"), "signed out, no composer");
    assert!(!html.contains("name=\"body\""));
    let signed_in = app
        .client_as("ada")
        .await
        .get(app.url("/rooms/lobby"))
        .send();
    let html = signed_in.await.unwrap().text().await.unwrap();
    assert!(
        html.contains("name=\"body\""),
        "signed in, the composer is there"
    );
    assert!(html.contains("Signed in as"), "the top bar says who");
}

#[tokio::test]
async fn an_unknown_room_or_path_is_a_404_page() {
    let app = spawn_app().await;
    for path in ["/rooms/nowhere", "/no/such/page"] {
        let response = app.http.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 404, "{path}");
        assert!(
            response.text().await.unwrap().contains("Nothing here"),
            "{path}"
        );
    }
}

#[tokio::test]
async fn the_health_check_answers() {
    let app = spawn_app().await;
    let response = app.http.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(response.status(), 200);
}

/// Page loads are served from memory until a write changes what they show.
#[tokio::test]
async fn a_room_page_reads_the_database_once_until_a_post_changes_it() {
    let app = spawn_app().await;
    let load = || async {
        let page = app.http.get(app.url("/rooms/lobby")).send().await.unwrap();
        assert_eq!(page.status(), 200);
        page.text().await.unwrap()
    };
    load().await;
    let (_, queries) = app.metrics().await;
    assert!(!load().await.contains("fresh news"));
    assert_eq!(
        app.metrics().await.1,
        queries,
        "a warm page load costs no query"
    );

    let (status, _) = app.post_json("lobby", "Ada", "fresh news").await;
    assert_eq!(status, 201);
    let html = load().await;
    assert!(
        html.contains("fresh news"),
        "the post clears what it changed"
    );
    assert!(html.contains("1 message"), "in the room list too");
}
