//! Guessing is slowed without locking the owner out: failures spend a username's budget,
//! successes don't, and a browser that signed in as someone before carries a signed device
//! cookie that holds it to a budget of its own instead — tried by a guesser who locks the
//! username, forges the cookie, or steals it.

use serde_json::json;

use murmur::protect::{Rate, RateLimits};

use super::helpers::{PASSWORD, TestApp, spawn_app_with};

/// Sign-ins limited per username only (so that one test machine can be both the guesser
/// and the owner), three failures at once, none coming back during the test.
async fn app() -> TestApp {
    spawn_app_with(|config| {
        config.limits = RateLimits {
            sign_ins_per_username: Some(Rate {
                burst: 3,
                per_minute: 1,
            }),
            ..RateLimits::off()
        };
    })
    .await
}

/// A sign-in as `username` with `password`, carrying `device` (a `name=value` cookie):
/// the response.
async fn sign_in(
    app: &TestApp,
    username: &str,
    password: &str,
    device: Option<&str>,
) -> reqwest::Response {
    let body = json!({ "username": username, "password": password });
    let mut request = app.http.post(app.url("/api/session")).json(&body);
    if let Some(device) = device {
        request = request.header("cookie", device);
    }
    request.send().await.unwrap()
}

/// The device cookie (`name=value`) a successful sign-in gave, and its whole line.
fn device_cookie(response: &reqwest::Response) -> (String, String) {
    let lines = response.headers().get_all("set-cookie").iter();
    let line = lines
        .map(|value| value.to_str().unwrap())
        .find(|line| line.starts_with("murmur_device="))
        .expect("a device cookie")
        .to_owned();
    (line.split(';').next().unwrap().to_owned(), line)
}

async fn statuses(app: &TestApp, count: usize, password: &str, device: Option<&str>) -> Vec<u16> {
    let mut statuses = Vec::new();
    for _ in 0..count {
        statuses.push(
            sign_in(app, "ada", password, device)
                .await
                .status()
                .as_u16(),
        );
    }
    statuses
}

#[tokio::test]
async fn a_guesser_who_locks_a_username_does_not_lock_out_its_owners_browser() {
    let app = app().await;
    app.token("ada").await;
    let signed_in = sign_in(&app, "ada", PASSWORD, None).await;
    assert_eq!(signed_in.status(), 200);
    let (device, line) = device_cookie(&signed_in);
    assert!(
        line.contains("HttpOnly") && line.contains("Path=/"),
        "{line}"
    );

    assert_eq!(
        statuses(&app, 4, "guess guess", None).await,
        [401, 401, 401, 429]
    );
    let stranger = sign_in(&app, "ada", PASSWORD, None).await;
    assert_eq!(stranger.status(), 429, "a browser never seen here waits");
    let owner = sign_in(&app, "ada", PASSWORD, Some(&device)).await;
    assert_eq!(owner.status(), 200, "the owner's browser is let in");
}

#[tokio::test]
async fn successful_sign_ins_spend_nothing_of_the_usernames_budget() {
    let app = app().await;
    app.token("ada").await;
    assert_eq!(statuses(&app, 6, PASSWORD, None).await, [200; 6]);
    assert_eq!(
        statuses(&app, 4, "guess guess", None).await,
        [401, 401, 401, 429]
    );
}

#[tokio::test]
async fn a_forged_altered_or_someone_elses_device_cookie_earns_nothing() {
    let app = app().await;
    app.token("ada").await;
    app.token("grace").await;
    let (graces, _) = device_cookie(&sign_in(&app, "grace", PASSWORD, None).await);
    let (adas, _) = device_cookie(&sign_in(&app, "ada", PASSWORD, None).await);
    assert_eq!(
        statuses(&app, 4, "guess guess", None).await,
        [401, 401, 401, 429]
    );
    let flipped = if adas.ends_with('0') { '1' } else { '0' };
    let altered = format!("{}{flipped}", &adas[..adas.len() - 1]);
    let forged = format!("murmur_device=ada.{}.{}", "0".repeat(32), "0".repeat(64));
    for cookie in [graces, altered, forged] {
        let response = sign_in(&app, "ada", PASSWORD, Some(&cookie)).await;
        assert_eq!(response.status(), 429, "{cookie}");
    }
}

#[tokio::test]
async fn a_stolen_device_cookie_guesses_no_faster_than_anyone() {
    let app = app().await;
    app.token("ada").await;
    let (device, _) = device_cookie(&sign_in(&app, "ada", PASSWORD, None).await);
    let guesses = statuses(&app, 4, "guess guess", Some(&device)).await;
    assert_eq!(guesses, [401, 401, 401, 429], "held to a budget of its own");
    let guessed = sign_in(&app, "ada", PASSWORD, Some(&device)).await;
    assert_eq!(guessed.status(), 429);
    let owner_elsewhere = sign_in(&app, "ada", PASSWORD, None).await;
    assert_eq!(
        owner_elsewhere.status(),
        200,
        "the username's budget is untouched"
    );
}
