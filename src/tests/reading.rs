//! A GET changes nothing when another site asked for it: a room's page loaded on the cookie
//! reads the room and the mentions in it only when the browser says the person or this site
//! asked for it (`Sec-Fetch-Site: none` or `same-origin`). Otherwise the page's own script
//! reads it with a POST once it is in view — a write the cross-site check lets through only
//! from this site.

use serde_json::{Value, json};

use super::helpers::{PASSWORD, TestApp, spawn_app};

/// A browser's session cookie (`name=value`) for `username`, signed in anew.
async fn cookie_of(app: &TestApp, username: &str) -> String {
    app.token(username).await;
    let body = json!({ "username": username, "password": PASSWORD });
    let signed_in = app.http.post(app.url("/api/session")).json(&body).send();
    let signed_in = signed_in.await.unwrap();
    assert_eq!(signed_in.status(), 200);
    let lines = signed_in.headers().get_all("set-cookie").iter();
    let mut lines = lines.map(|line| line.to_str().unwrap());
    let line = lines.find(|line| line.starts_with("murmur_session="));
    line.expect("a session cookie")
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}

/// Room `slug`'s page, loaded with `cookie` and `Sec-Fetch-Site: site` (or without it).
async fn open_page(app: &TestApp, cookie: &str, slug: &str, site: Option<&str>) -> String {
    let page = app.url(&format!("/rooms/{slug}"));
    let mut request = app.http.get(page).header("cookie", cookie);
    if let Some(site) = site {
        request = request.header("sec-fetch-site", site);
    }
    let page = request.send().await.unwrap();
    assert_eq!(page.status(), 200);
    page.text().await.unwrap()
}

/// What `who` has not read: room `slug`'s unread count, and their unread notifications.
async fn unread(app: &TestApp, who: &str, slug: &str) -> (i64, usize) {
    let (_, rooms) = app.get_json_as(who, "/api/rooms").await;
    let rooms = rooms.as_array().unwrap().iter();
    let room = rooms.into_iter().find(|room| room["slug"] == slug).unwrap();
    let (_, notifications) = app.get_json_as(who, "/api/notifications").await;
    let notifications = notifications.as_array().unwrap().iter();
    let mentions = notifications.filter(|n| n["read"] == false).count();
    (room["unread"].as_i64().unwrap(), mentions)
}

#[tokio::test]
async fn a_room_page_another_site_asked_for_reads_nothing_and_one_the_person_opened_reads_all() {
    let app = spawn_app().await;
    let cookie = cookie_of(&app, "ada").await;
    app.post("lobby", "grace", "@ada look at this").await;
    assert_eq!(unread(&app, "ada", "lobby").await, (1, 1));

    for site in [Some("cross-site"), Some("same-site"), None] {
        let page = open_page(&app, &cookie, "lobby", site).await;
        assert!(page.contains("look at this"), "the page is shown: {site:?}");
        assert!(page.contains(r#""read_when_opened":false"#), "{site:?}");
        assert_eq!(unread(&app, "ada", "lobby").await, (1, 1), "{site:?}");
    }

    let page = open_page(&app, &cookie, "lobby", Some("same-origin")).await;
    assert!(page.contains(r#""read_when_opened":true"#));
    assert_eq!(unread(&app, "ada", "lobby").await, (0, 0));
    app.post("lobby", "grace", "@ada and this").await;
    open_page(&app, &cookie, "lobby", Some("none")).await;
    assert_eq!(unread(&app, "ada", "lobby").await, (0, 0), "typed in");
}

#[tokio::test]
async fn a_page_another_site_opened_is_read_by_its_own_post_and_never_by_a_forged_one() {
    let app = spawn_app().await;
    let cookie = cookie_of(&app, "ada").await;
    let id = app.post("lobby", "grace", "@ada look at this").await;
    open_page(&app, &cookie, "lobby", Some("cross-site")).await;

    // What the page's script sends once the room is in view, and the same sent by a form
    // on another site.
    let read = |site: &'static str| {
        let form = [("slug", "lobby".to_owned()), ("up_to", id.to_string())];
        let request = app.http.post(app.url("/api/read_room")).form(&form);
        request
            .header("cookie", &cookie)
            .header("sec-fetch-site", site)
    };
    let forged = read("cross-site").send().await.unwrap();
    assert_eq!(forged.status(), 403);
    assert_eq!(unread(&app, "ada", "lobby").await, (1, 1));
    let own = read("same-origin").send().await.unwrap();
    assert_eq!(own.status(), 200, "{:?}", own.json::<Value>().await);
    assert_eq!(unread(&app, "ada", "lobby").await, (0, 0));
}
