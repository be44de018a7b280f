//! Accounts through the JSON API: signing up, in and out, sessions by cookie and by token,
//! and that nobody can post as someone else.

use serde_json::{Value, json};

use murmur::protect::TrustedProxies;

use super::helpers::{PASSWORD, TestApp, spawn_app, spawn_app_with, spawn_sqlite_app};

/// POSTs `username` and `password` as JSON to `path`.
async fn credentials(
    app: &TestApp,
    path: &str,
    username: &str,
    password: &str,
) -> reqwest::Response {
    let body = json!({ "username": username, "password": password });
    app.http
        .post(app.url(path))
        .json(&body)
        .send()
        .await
        .unwrap()
}

/// The `name=value` of a response's session cookie, and its whole `Set-Cookie` line.
fn session_cookie(response: &reqwest::Response) -> (String, String) {
    let line = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    let pair = line.split(';').next().unwrap().to_owned();
    let named = pair.strip_prefix("__Host-").unwrap_or(&pair);
    assert!(named.starts_with("murmur_session="), "{line}");
    (pair, line)
}

/// `GET /api/me` with `header: value`: its status and answer.
async fn me(app: &TestApp, header: &str, value: &str) -> (u16, Value) {
    let response = app
        .http
        .get(app.url("/api/me"))
        .header(header, value)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn signing_up_answers_the_username_and_a_session_cookie_that_signs_in() {
    let app = spawn_app().await;
    let created = credentials(&app, "/api/accounts", "Ada_L", PASSWORD).await;
    assert_eq!(created.status(), 201);
    let (cookie, line) = session_cookie(&created);
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(line.contains(attribute), "{attribute} in {line}");
    }
    assert!(!line.contains("Secure"), "served over plain http: {line}");
    assert_eq!(
        created.json::<Value>().await.unwrap(),
        json!({ "username": "ada_l" })
    );
    assert_eq!(
        me(&app, "cookie", &cookie).await,
        (200, json!({ "username": "ada_l" }))
    );
    assert_eq!(app.get_json("/api/me").await.0, 401, "no cookie, nobody");
}

#[tokio::test]
async fn usernames_are_unique_ignoring_case_and_bad_input_is_refused() {
    let app = spawn_app().await;
    assert_eq!(
        credentials(&app, "/api/accounts", "grace", PASSWORD)
            .await
            .status(),
        201
    );
    let taken = credentials(&app, "/api/accounts", "GRACE", PASSWORD).await;
    assert_eq!(taken.status(), 409);
    assert_eq!(
        taken.json::<Value>().await.unwrap()["error"],
        "the username “grace” is taken"
    );
    let long = "p".repeat(257);
    for (username, password) in [
        ("ab", PASSWORD),
        ("has space", PASSWORD),
        (&"u".repeat(25), PASSWORD),
        ("<script>", PASSWORD),
        ("alan", "short"),
        ("alan", long.as_str()),
    ] {
        let refused = credentials(&app, "/api/accounts", username, password).await;
        assert_eq!(
            refused.status(),
            422,
            "{username:?} / {} chars",
            password.len()
        );
        assert!(refused.headers().get("set-cookie").is_none());
        let error: Value = refused.json().await.unwrap();
        assert!(
            error["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{error}"
        );
    }
    let missing = app
        .http
        .post(app.url("/api/accounts"))
        .json(&json!({ "username": "alan" }));
    assert_eq!(
        missing.send().await.unwrap().status(),
        422,
        "a missing password"
    );
    assert_eq!(
        credentials(&app, "/api/session", "alan", PASSWORD)
            .await
            .status(),
        401,
        "none made"
    );
}

#[tokio::test]
async fn signing_in_answers_a_token_and_one_message_for_a_wrong_name_or_password() {
    let app = spawn_app().await;
    credentials(&app, "/api/accounts", "linus", PASSWORD).await;
    let signed_in = credentials(&app, "/api/session", "Linus", PASSWORD).await;
    assert_eq!(signed_in.status(), 200);
    let (cookie, _) = session_cookie(&signed_in);
    let answer: Value = signed_in.json().await.unwrap();
    assert_eq!(answer["username"], "linus");
    let token = answer["token"].as_str().unwrap();
    assert_eq!(token.len(), 64, "256 bits, in hex");
    assert_eq!(
        me(&app, "authorization", &format!("Bearer {token}"))
            .await
            .0,
        200
    );
    assert_eq!(me(&app, "cookie", &cookie).await.0, 200);

    let wrong_password = credentials(&app, "/api/session", "linus", "not the password").await;
    let unknown_user = credentials(&app, "/api/session", "nobody", PASSWORD).await;
    assert_eq!(
        (
            wrong_password.status().as_u16(),
            unknown_user.status().as_u16()
        ),
        (401, 401)
    );
    let (wrong_password, unknown_user): (Value, Value) = (
        wrong_password.json().await.unwrap(),
        unknown_user.json().await.unwrap(),
    );
    assert_eq!(
        wrong_password, unknown_user,
        "the same answer: no way to tell which"
    );
    assert_eq!(wrong_password["error"], "wrong username or password");
    assert_eq!(me(&app, "authorization", "Bearer nonsense").await.0, 401);
    assert_eq!(
        me(&app, "authorization", &format!("Bearer {}", "0".repeat(64)))
            .await
            .0,
        401
    );
}

#[tokio::test]
async fn signing_out_ends_the_session_for_its_token_and_its_cookie_for_good() {
    let app = spawn_app().await;
    credentials(&app, "/api/accounts", "margaret", PASSWORD).await;
    let by_token = credentials(&app, "/api/session", "margaret", PASSWORD).await;
    let token = by_token.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let by_cookie =
        session_cookie(&credentials(&app, "/api/session", "margaret", PASSWORD).await).0;
    let bearer = format!("Bearer {token}");

    let signed_out = app
        .http
        .delete(app.url("/api/session"))
        .header("authorization", &bearer);
    let signed_out = signed_out.send().await.unwrap();
    assert_eq!(signed_out.status(), 204);
    assert_eq!(
        me(&app, "authorization", &bearer).await.0,
        401,
        "the token never works again"
    );
    assert_eq!(
        me(&app, "cookie", &by_cookie).await.0,
        200,
        "another session is untouched"
    );

    let signed_out = app
        .http
        .delete(app.url("/api/session"))
        .header("cookie", &by_cookie);
    let signed_out = signed_out.send().await.unwrap();
    assert_eq!(signed_out.status(), 204);
    let (_, cleared) = session_cookie(&signed_out);
    assert!(
        cleared.contains("Max-Age=0"),
        "the browser forgets it: {cleared}"
    );
    assert_eq!(
        me(&app, "cookie", &by_cookie).await.0,
        401,
        "the cookie never works again"
    );
    let post = app
        .http
        .post(app.url("/api/rooms/lobby/messages"))
        .header("cookie", &by_cookie);
    assert_eq!(
        post.json(&json!({ "body": "hi" }))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
}

#[tokio::test]
async fn posting_and_creating_rooms_need_an_account_and_the_author_is_always_the_caller() {
    let app = spawn_app().await;
    let anonymous = [
        app.http
            .post(app.url("/api/rooms/lobby/messages"))
            .json(&json!({ "author": "ada", "body": "hi" })),
        app.http
            .post(app.url("/api/rooms"))
            .json(&json!({ "slug": "mine", "title": "Mine" })),
        app.http
            .post(app.url("/api/post_message"))
            .form(&[("slug", "lobby"), ("body", "hi")]),
        app.http
            .post(app.url("/api/create_room"))
            .form(&[("slug", "mine"), ("title", "Mine")]),
    ];
    for request in anonymous {
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 401, "{}", response.url());
    }
    assert!(app.messages("lobby").await.is_empty());
    assert_eq!(app.rooms().await.len(), 1, "only the lobby");

    app.token("ada").await;
    let eve = app.client_as("eve").await;
    let forged = eve.post(app.url("/api/rooms/lobby/messages"));
    let forged = forged
        .json(&json!({ "author": "ada", "body": "I am Ada" }))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 201);
    assert_eq!(forged.json::<Value>().await.unwrap()["author"], "eve");
    let forged = eve.post(app.url("/api/post_message"));
    let forged = forged
        .form(&[("slug", "lobby"), ("author", "ada"), ("body", "me too")])
        .send()
        .await;
    assert_eq!(
        forged.unwrap().json::<Value>().await.unwrap()["author"],
        "eve"
    );
    let authors: Vec<Value> = app
        .messages("lobby")
        .await
        .iter()
        .map(|m| m["author"].clone())
        .collect();
    assert_eq!(authors, ["eve", "eve"]);
}

#[tokio::test]
async fn a_session_expires_unused_and_slides_forward_with_use() {
    let app = spawn_app().await;
    let signed_up = credentials(&app, "/api/accounts", "ada", PASSWORD).await;
    let (cookie, _) = session_cookie(&signed_up);
    let now = murmur::time::Timestamp::now().millis();
    let day = 24 * 3600 * 1000;
    let expire_at = "UPDATE sessions SET expires_at = $1";
    let me_with_cookie = |app: &TestApp| {
        app.http
            .get(app.url("/api/me"))
            .header("cookie", &cookie)
            .send()
    };

    let fresh = me_with_cookie(&app).await.unwrap();
    assert!(
        fresh.headers().get("set-cookie").is_none(),
        "used again the same day: no write"
    );
    // Time passes (the expiry is moved in the database, and a restart forgets what the
    // server kept in memory).
    app.sql(expire_at, &[now + day]).await;
    let app = app.restart().await;
    let used = me_with_cookie(&app).await.unwrap();
    assert_eq!(used.status(), 200);
    let (again, line) = session_cookie(&used);
    assert_eq!(again, cookie, "the same session");
    assert!(
        line.contains("Max-Age=2592000"),
        "the browser keeps it 30 more days: {line}"
    );
    let newest = "SELECT max(expires_at) FROM sessions";
    let expires_at = app.sql(newest, &[]).await.unwrap();
    assert!(
        expires_at >= now + 29 * day,
        "used, it lasts 30 days from now again"
    );

    app.sql(expire_at, &[now - 1]).await;
    let app = app.restart().await;
    assert_eq!(
        me(&app, "cookie", &cookie).await.0,
        401,
        "past its expiry, it is over"
    );
}

#[tokio::test]
async fn the_database_holds_no_password_or_token_in_clear() {
    let app = spawn_sqlite_app().await;
    let password = "a very memorable passphrase";
    credentials(&app, "/api/accounts", "hedy", password).await;
    let signed_in = credentials(&app, "/api/session", "hedy", password).await;
    let token = signed_in.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();

    let database = sqlx::SqlitePool::connect(&app.database_url).await.unwrap();
    let hash: String = sqlx::query_scalar("SELECT password_hash FROM users")
        .fetch_one(&database)
        .await
        .unwrap();
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    let file = app.database_url.trim_start_matches("sqlite://");
    let mut bytes = std::fs::read(file).unwrap();
    bytes.extend(std::fs::read(format!("{file}-wal")).unwrap_or_default());
    let holds = |needle: &str| {
        bytes
            .windows(needle.len())
            .any(|window| window == needle.as_bytes())
    };
    assert!(holds("hedy"), "the check can see the database's text");
    assert!(!holds(password), "the password is not stored");
    assert!(!holds(&token), "the token is not stored");
}

#[tokio::test]
async fn the_cookie_is_secure_only_when_a_trusted_proxy_says_the_client_came_over_https() {
    let proxied = spawn_app_with(|config| {
        config.trusted_proxies = TrustedProxies::parse("127.0.0.1").unwrap();
    })
    .await;
    let direct = spawn_app().await;
    for (app, secure) in [(&proxied, true), (&direct, false)] {
        let body = json!({ "username": "tls-user", "password": PASSWORD });
        let request = app
            .http
            .post(app.url("/api/accounts"))
            .header("x-forwarded-proto", "https");
        let created = request.json(&body).send().await.unwrap();
        let (pair, line) = session_cookie(&created);
        assert_eq!(line.contains("; Secure"), secure, "{line}");
        assert_eq!(pair.starts_with("__Host-murmur_session="), secure, "{line}");
    }
}

#[tokio::test]
async fn over_https_only_the_host_prefixed_cookie_signs_in_so_none_can_be_planted_beside_it() {
    let app = spawn_app_with(|config| {
        config.trusted_proxies = TrustedProxies::parse("127.0.0.1").unwrap();
    })
    .await;
    let token = app.token("ada").await;
    let me_over = |https: bool, cookie: String| {
        let mut request = app.http.get(app.url("/api/me")).header("cookie", cookie);
        if https {
            request = request.header("x-forwarded-proto", "https");
        }
        async move { request.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(
        me_over(true, format!("__Host-murmur_session={token}")).await,
        200
    );
    assert_eq!(
        me_over(true, format!("murmur_session={token}")).await,
        401,
        "a cookie without the prefix could have been set by a subdomain or over http"
    );
    assert_eq!(me_over(false, format!("murmur_session={token}")).await, 200);
}
