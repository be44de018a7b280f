//! Upgrading: a database made by the version before accounts migrates at start and keeps
//! every room and message; old messages keep the author text they were posted under.

use std::path::Path;

use sqlx::migrate::Migrator;

use super::helpers::spawn_sqlite_app_with;

/// The only migration of the version before accounts.
const BEFORE_ACCOUNTS: &str = "20261121000000_rooms_and_messages.sql";

#[tokio::test]
async fn a_database_from_before_accounts_keeps_its_rooms_and_messages() {
    let dir = tempfile::tempdir().unwrap();
    let old_migrations = dir.path().join("migrations");
    std::fs::create_dir(&old_migrations).unwrap();
    let source = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations/sqlite")
        .join(BEFORE_ACCOUNTS);
    std::fs::copy(source, old_migrations.join(BEFORE_ACCOUNTS)).unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("old.db").display());
    {
        let old = sqlx::SqlitePool::connect(&url).await.unwrap();
        Migrator::new(old_migrations.as_path())
            .await
            .unwrap()
            .run(&old)
            .await
            .unwrap();
        let rows = "INSERT INTO rooms (slug, title, created_at, message_count, last_activity)
                    VALUES ('old-times', 'Old times', 1, 2, 3);
                    INSERT INTO messages (room_id, author, body, created_at)
                    SELECT id, 'Old Timer', 'from before accounts', 2 FROM rooms WHERE slug = 'old-times';
                    INSERT INTO messages (room_id, author, body, created_at)
                    SELECT id, 'Ada', 'me too', 3 FROM rooms WHERE slug = 'old-times';";
        sqlx::raw_sql(rows).execute(&old).await.unwrap();
        old.close().await;
    }

    let app = spawn_sqlite_app_with(move |config| config.database_url = url).await;
    let rooms = app.rooms().await;
    let old = rooms
        .iter()
        .find(|room| room["slug"] == "old-times")
        .expect("kept");
    assert_eq!(
        (old["message_count"].as_i64(), old["private"].as_bool()),
        (Some(2), Some(false))
    );
    assert!(rooms.iter().any(|room| room["slug"] == "lobby"));
    let messages = app.messages("old-times").await;
    let kept: Vec<(&str, &str)> = messages
        .iter()
        .map(|m| (m["author"].as_str().unwrap(), m["body"].as_str().unwrap()))
        .collect();
    assert_eq!(
        kept,
        [("Old Timer", "from before accounts"), ("Ada", "me too")]
    );

    let (status, posted) = app
        .post_json("old-times", "ada", "now with an account")
        .await;
    assert_eq!(status, 201);
    assert_eq!(posted["author"], "ada");
    assert!(
        posted["id"].as_i64() > messages[1]["id"].as_i64(),
        "ids go on growing"
    );
}
