//! Adding members never lists usernames: a public room is answered before the name is looked
//! up, a private room answers every name no account has alike, and additions are rate
//! limited per account.

use serde_json::{Value, json};

use murmur::protect::{Rate, RateLimits};

use super::helpers::{TestApp, spawn_app, spawn_app_with};

/// `POST /api/rooms/{slug}/members` for `username`, as `by`: the status, `Retry-After` and
/// the answer.
async fn add(app: &TestApp, by: &str, slug: &str, username: &str) -> (u16, Option<String>, Value) {
    let client = app.client_as(by).await;
    let url = app.url(&format!("/api/rooms/{slug}/members"));
    let response = client
        .post(url)
        .json(&json!({ "username": username }))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|wait| wait.to_str().unwrap().to_owned());
    (status, retry_after, response.json().await.unwrap())
}

/// `DELETE /api/rooms/{slug}/members/{username}` as `by`: the status and the answer.
async fn remove(app: &TestApp, by: &str, slug: &str, username: &str) -> (u16, Value) {
    let client = app.client_as(by).await;
    let url = app.url(&format!("/api/rooms/{slug}/members/{username}"));
    let response = client.delete(url).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// The usernames of private room `slug`'s members, as `who` lists them.
async fn members(app: &TestApp, who: &str, slug: &str) -> Vec<String> {
    let (status, listed) = app
        .get_json_as(who, &format!("/api/rooms/{slug}/members"))
        .await;
    assert_eq!(status, 200, "{listed}");
    let listed = listed.as_array().unwrap().iter();
    listed
        .map(|member| member["username"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_public_room_is_answered_as_public_whether_or_not_the_name_has_an_account() {
    let app = spawn_app().await;
    app.token("grace").await;
    let grace = add(&app, "ada", "lobby", "grace").await;
    let nobody = add(&app, "ada", "lobby", "nobody").await;
    assert_eq!(grace.0, 422, "{}", grace.2);
    assert!(grace.2["error"].as_str().unwrap().contains("public"));
    assert_eq!(grace, nobody, "one answer: nothing says who has an account");

    let grace = remove(&app, "ada", "lobby", "grace").await;
    assert_eq!(grace.0, 422, "{}", grace.1);
    assert_eq!(grace, remove(&app, "ada", "lobby", "nobody").await);
}

#[tokio::test]
async fn a_private_room_answers_every_name_it_cannot_add_alike_and_adds_nobody() {
    let app = spawn_app().await;
    app.create_private_room("ada", "secret").await;
    app.token("grace").await;
    let shape = |(status, _, answer): (u16, Option<String>, Value), name: &str| {
        let error = answer["error"].as_str().unwrap().replace(name, "<name>");
        (status, error)
    };
    let unknown = shape(add(&app, "ada", "secret", "nobody").await, "nobody");
    assert_eq!(unknown.0, 404, "{unknown:?}");
    for refused in ["x", "no spaces", "robert'); drop table users; --"] {
        let answer = shape(add(&app, "ada", "secret", refused).await, refused);
        assert_eq!(answer, unknown, "{refused:?}");
    }
    assert_eq!(members(&app, "ada", "secret").await, ["ada"]);

    // Someone outside the room learns nothing at all: the room isn't there for them.
    let outsider_real = add(&app, "eve", "secret", "grace").await;
    assert_eq!(outsider_real.0, 404);
    assert_eq!(outsider_real, add(&app, "eve", "secret", "nobody").await);
}

#[tokio::test]
async fn adding_members_is_rate_limited_per_account_and_refused_names_count() {
    let app = spawn_app_with(|config| {
        config.limits = RateLimits {
            members: Some(Rate {
                burst: 3,
                per_minute: 1,
            }),
            ..RateLimits::off()
        };
    })
    .await;
    app.create_private_room("ada", "secret").await;
    app.create_private_room("bob", "bobs").await;
    for name in ["grace", "linus"] {
        app.token(name).await;
    }
    assert_eq!(add(&app, "ada", "secret", "nobody1").await.0, 404);
    assert_eq!(add(&app, "ada", "secret", "nobody2").await.0, 404);
    assert_eq!(add(&app, "ada", "secret", "grace").await.0, 201);

    let (status, retry_after, refused) = add(&app, "ada", "secret", "linus").await;
    assert_eq!(status, 429, "{refused}");
    let wait = retry_after.expect("Retry-After");
    assert!(wait.parse::<u64>().is_ok(), "{wait:?}");
    assert!(refused["error"].as_str().unwrap().contains("try again"));
    assert_eq!(members(&app, "ada", "secret").await, ["ada", "grace"]);

    assert_eq!(
        add(&app, "bob", "bobs", "linus").await.0,
        201,
        "another account has its own"
    );
}
