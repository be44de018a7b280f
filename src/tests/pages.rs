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
    assert!(!html.contains("<script>alert(1)"), "and never executed");
    assert!(html.contains("name=\"body\""), "the composer is there");
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
