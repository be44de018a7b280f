//! The operations dashboard: its figures for the accounts in `MURMUR_ADMINS`, a 404 to
//! anyone else on every surface; what happens counted once, live on the `admin` topic; and
//! every instance's share on PostgreSQL.

use serde_json::Value;

use super::helpers::{SseClient, TestApp, spawn_app_with, spawn_two_instances_with};
use murmur::accounts::Admins;
use murmur::admin::MINUTES;
use murmur::protect::{Rate, RateLimits};

const SURFACES: [&str; 4] = [
    "/admin",
    "/admin/charts",
    "/api/admin/stats",
    "/live?topic=admin",
];

async fn spawn_app_with_an_admin() -> TestApp {
    spawn_app_with(|config| {
        config.admins = Admins::parse("boss").unwrap();
        // One post at once, to be refused a second.
        config.limits = RateLimits {
            posts: Some(Rate {
                burst: 1,
                per_minute: 1,
            }),
            ..RateLimits::off()
        };
    })
    .await
}

/// The admin's `GET /api/admin/stats`.
async fn stats(app: &TestApp) -> Value {
    let (status, stats) = app.get_json_as("boss", "/api/admin/stats").await;
    assert_eq!(status, 200, "{stats}");
    stats
}

/// The sum of `field` over the last hour's minutes, every instance's.
fn hour(stats: &Value, field: &str) -> u64 {
    let total = stats["total"].as_array().unwrap();
    assert_eq!(total.len(), MINUTES);
    total
        .iter()
        .map(|minute| minute[field].as_u64().unwrap())
        .sum()
}

/// Reads the `admin` topic until an instance reports `check` of its current minute.
async fn until_reported(stream: &mut SseClient, check: impl Fn(&Value) -> bool) -> Value {
    loop {
        let report = stream.next().await.json();
        assert_eq!(report["kind"], "stats", "{report}");
        if check(&report) {
            return report;
        }
    }
}

#[tokio::test]
async fn anyone_but_an_admin_finds_nothing_on_any_of_the_dashboards_surfaces() {
    let app = spawn_app_with_an_admin().await;
    let signed_out = reqwest::Client::new();
    for client in [signed_out, app.client_as("ada").await] {
        for path in SURFACES {
            let answer = client.get(app.url(path)).send().await.unwrap();
            assert_eq!(answer.status(), 404, "{path}");
            if path == "/admin" {
                let page = answer.text().await.unwrap();
                assert!(page.contains("Nothing here"), "{page}");
                assert!(!page.contains("Operations"), "no trace of the dashboard");
            }
        }
    }
    let boss = app.client_as("boss").await;
    for path in &SURFACES[..3] {
        let answer = boss.get(app.url(path)).send().await.unwrap();
        assert_eq!(answer.status(), 200, "{path}");
    }
    let page = boss
        .get(app.url("/admin"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for figure in [
        "Open streams",
        "Posts per minute",
        "Deliveries per second",
        "Sign-ins per minute",
    ] {
        assert!(page.contains(figure), "{figure}");
    }
    assert!(page.contains("<table"), "a table behind each chart");
    assert!(
        SseClient::open(&boss, &app.url("/live?topic=admin"), None)
            .await
            .is_some()
    );
}

#[tokio::test]
async fn posts_sign_ins_and_refusals_are_counted_once_and_reach_the_admin_live() {
    let app = spawn_app_with_an_admin().await;
    app.create_room("ops").await;
    let boss = app.client_as("boss").await;
    let mut admin = SseClient::open(&boss, &app.url("/live?topic=admin"), None)
        .await
        .expect("the admin's stream opens");
    let mut room = app.sse("/rooms/ops/stream").await;

    assert_eq!(app.post_json("ops", "ada", "hello").await.0, 201);
    assert_eq!(app.post_json("ops", "ada", "too soon").await.0, 429);
    room.next().await;
    let report = until_reported(&mut admin, |report| {
        report["minute"]["posts"].as_u64() >= Some(1)
            && report["minute"]["refusals"].as_u64() >= Some(1)
    })
    .await;
    assert!(report["instance"].is_string(), "{report}");

    let stats = stats(&app).await;
    // The room (boss' is made by create_room) and ada: one sign-up and sign-in each.
    assert_eq!(hour(&stats, "posts"), 1, "{stats}");
    assert_eq!(hour(&stats, "refusals"), 1, "{stats}");
    assert!(
        hour(&stats, "sign_ups") >= 2 && hour(&stats, "sign_ins") >= 2,
        "{stats}"
    );
    assert!(
        hour(&stats, "deliveries") >= 1,
        "the room's stream was handed the post"
    );
    let now = stats["total"].as_array().unwrap().last().unwrap().clone();
    assert!(
        now["streams"].as_u64() >= Some(2),
        "the admin's and the room's: {now}"
    );
    assert_eq!(stats["instances"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn on_postgres_each_instance_hears_the_others_figures_and_shows_its_share() {
    let (a, b) = spawn_two_instances_with(|config| {
        config.admins = Admins::parse("boss").unwrap();
    })
    .await;
    a.create_room("ops").await;
    let boss = a.client_as("boss").await;
    let mut admin = SseClient::open(&boss, &a.url("/live?topic=admin"), None)
        .await
        .expect("the admin's stream opens");

    // Only B counts the post: the report that has it is B's, heard through A.
    assert_eq!(b.post_json("ops", "ada", "through B").await.0, 201);
    let theirs = until_reported(&mut admin, |report| {
        report["minute"]["posts"].as_u64() >= Some(1)
    })
    .await;

    let stats = stats(&a).await;
    let instances = stats["instances"].as_array().unwrap();
    let names: Vec<&Value> = instances.iter().map(|i| &i["instance"]).collect();
    assert_eq!(names.len(), 2, "A's own and B's: {stats}");
    assert!(names.contains(&&theirs["instance"]), "{stats}");
    assert_eq!(
        hour(&stats, "posts"),
        1,
        "counted by B, shown by A: {stats}"
    );
    let charts = boss
        .get(a.url("/admin/charts"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let b_name = theirs["instance"].as_str().unwrap();
    assert!(charts.contains(b_name), "B's row in the instances' table");
}
