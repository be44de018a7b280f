//! The export store's contract: jobs as asked for, their progress told on the requester's
//! topic, restarts, staleness and expiry.

use murmur::accounts::domain::Account;
use murmur::chat::domain::{MessageBody, RoomSlug, RoomTitle};
use murmur::chat::store::ChatStore;
use murmur::exports::format::Format;
use murmur::exports::store::ExportStore;
use murmur::inbox::store::{InboxStore, UserEvent};
use murmur::time::Timestamp;

/// A job starts running at 0%; each step is recorded with its event, whose cursor it
/// answers, and the last ends it; a job begun again runs from nothing; it is stale once a
/// message of its room is deleted after its file was begun; ended jobs expire; one runner
/// at a time claims a job.
pub async fn export_store_keeps_its_contract(
    chat: &dyn ChatStore,
    inbox: &dyn InboxStore,
    exports: &dyn ExportStore,
    ada: &Account,
) {
    let slug = RoomSlug::parse("archive").unwrap();
    let title = RoomTitle::parse("Archive").unwrap();
    chat.create_room(&slug, &title, false, ada).await.unwrap();
    assert_eq!(exports.extent("archive").await.unwrap(), (0, 0));
    let mut newest = 0;
    for text in ["one", "two", "three"] {
        let body = MessageBody::parse(text).unwrap();
        newest = chat
            .insert_message(&slug, ada, &body, &[])
            .await
            .unwrap()
            .message
            .id;
    }
    assert_eq!(exports.extent("archive").await.unwrap(), (3, newest));

    let first = exports
        .create("ada", &slug, Format::Csv, Timestamp(1_000))
        .await
        .unwrap();
    assert_eq!(
        (first.requester.as_str(), first.room.as_str(), first.format),
        ("ada", "archive", Format::Csv)
    );
    assert_eq!((first.state.as_str(), first.percent), ("running", 0));
    let second = exports.create("ada", &slug, Format::JsonLines, Timestamp(2_000));
    let second = second.await.unwrap();
    assert_eq!(
        exports.job(first.id, Timestamp(1_000)).await.unwrap(),
        Some(first.clone())
    );
    assert_eq!(
        exports.job(first.id, Timestamp(1_001)).await.unwrap(),
        None,
        "expired"
    );
    let listed = exports.jobs_of("ada", Timestamp(0)).await.unwrap();
    assert_eq!(listed, [second.clone(), first.clone()], "newest first");
    assert_eq!(
        exports.jobs_of("ada", Timestamp(1_500)).await.unwrap(),
        std::slice::from_ref(&second)
    );
    assert_eq!(
        exports.running().await.unwrap(),
        [first.clone(), second.clone()]
    );

    let before = inbox.latest("ada").await.unwrap();
    let half = ("export-progress", r#"{"id":1,"percent":50}"#);
    let (halfway, after) = exports.advance(&first, 50, None, half).await.unwrap();
    assert_eq!(after, before, "each event says the one before");
    let done = ("export-ready", r#"{"id":1}"#);
    let (ended, after) = exports
        .advance(&first, 100, Some("ready"), done)
        .await
        .unwrap();
    assert_eq!(after, halfway);
    assert!(before < halfway && halfway < ended, "cursors in order");
    assert_eq!(inbox.latest("ada").await.unwrap(), ended);
    let event = |id, (name, payload): (&str, &str)| UserEvent {
        id,
        name: name.into(),
        payload: payload.into(),
    };
    assert_eq!(
        inbox.events_after("ada", before, 10).await.unwrap(),
        Some(vec![event(halfway, half), event(ended, done)])
    );
    let ready = exports.job(first.id, Timestamp(0)).await.unwrap().unwrap();
    assert_eq!((ready.state.as_str(), ready.percent), ("ready", 100));
    assert_eq!(
        exports.running().await.unwrap(),
        std::slice::from_ref(&second)
    );

    let begun = Timestamp::now();
    exports.begin(second.id, begun).await.unwrap();
    let again = exports.job(second.id, Timestamp(0)).await.unwrap().unwrap();
    assert_eq!((again.state.as_str(), again.percent), ("running", 0));
    assert!(!exports.stale(second.id).await.unwrap());
    chat.delete_message(&slug, newest, ada).await.unwrap();
    assert!(
        exports.stale(second.id).await.unwrap(),
        "deleted since begun"
    );

    assert_eq!(
        exports.expire(Timestamp(5_000)).await.unwrap(),
        [first.id],
        "ended only"
    );
    assert_eq!(exports.job(first.id, Timestamp(0)).await.unwrap(), None);
    assert_eq!(exports.running().await.unwrap(), [again]);

    let claim = exports.claim(second.id).await.unwrap();
    assert!(claim.is_some(), "a job nobody runs is claimed");
    assert!(
        exports.claim(second.id).await.unwrap().is_none(),
        "one runner at a time"
    );
    assert!(exports.claim(first.id).await.unwrap().is_some(), "per job");
    claim.unwrap().release().await;
    assert!(
        exports.claim(second.id).await.unwrap().is_some(),
        "let go with the claim"
    );
}
