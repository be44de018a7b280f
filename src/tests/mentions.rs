//! One message can't notify a crowd: it notifies the first 50 accounts it names, and
//! naming sixty costs the database no more statements than naming one.

use super::helpers::{TestApp, spawn_app};

/// Makes accounts `fan101` … `fan160` straight in the database (nobody signs in as them).
async fn sixty_fans(app: &TestApp) {
    app.sql(
        "WITH RECURSIVE n (i) AS (SELECT 101 UNION ALL SELECT i + 1 FROM n WHERE i < 160)
         INSERT INTO users (username, password_hash, created_at)
         SELECT 'fan' || i, 'no password', 0 FROM n",
        &[],
    )
    .await;
}

/// How many notifications message `id` made, and how many of them went to fans past
/// `fan110`.
async fn notified(app: &TestApp, id: i64) -> (Option<i64>, Option<i64>) {
    let all = "SELECT COUNT(*) FROM notifications WHERE message_id = $1";
    let past_110 = "SELECT COUNT(*) FROM notifications n JOIN users u ON u.id = n.user_id
                    WHERE n.message_id = $1 AND u.username > 'fan110'";
    (app.sql(all, &[id]).await, app.sql(past_110, &[id]).await)
}

#[tokio::test]
async fn a_message_naming_sixty_accounts_notifies_the_first_fifty_named() {
    let app = spawn_app().await;
    sixty_fans(&app).await;
    // Named from fan160 down, after two names nobody has: the first fifty accounts named
    // are fan160 … fan111, whatever order the accounts were made in.
    let mut body = "@ghost @nobody".to_owned();
    for fan in (101..=160).rev() {
        body.push_str(&format!(" @fan{fan}"));
    }
    let id = app.post("lobby", "grace", &body).await;
    assert_eq!(notified(&app, id).await, (Some(50), Some(50)));
}

#[tokio::test]
async fn naming_sixty_accounts_costs_as_many_statements_as_naming_one() {
    let app = spawn_app().await;
    sixty_fans(&app).await;
    app.post("lobby", "grace", "warming up: her session is known")
        .await;
    let all: Vec<String> = (101..=160).map(|fan| format!("@fan{fan}")).collect();
    let mut cost = Vec::new();
    for named in [&all[..1], &all[..]] {
        let (_, before) = app.metrics().await;
        let id = app.post("lobby", "grace", &named.join(" ")).await;
        let (_, after) = app.metrics().await;
        cost.push(after - before);
        let expected = named.len().min(50) as i64;
        assert_eq!(notified(&app, id).await.0, Some(expected));
    }
    assert_eq!(cost[0], cost[1], "statements for one name, then sixty");
}
