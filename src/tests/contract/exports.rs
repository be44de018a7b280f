//! The export store's contract: jobs as asked for, their progress told on the requester's
//! topic, restarts, staleness and expiry.

use murmur::accounts::domain::Account;
use murmur::chat::domain::{MessageBody, RoomSlug, RoomTitle};
use murmur::chat::store::{ChatStore, DeleteAs};
use murmur::exports::format::Format;
use murmur::exports::store::{ExportStore, Job};
use murmur::inbox::store::UserEvent;
use murmur::server::Stores;
use murmur::time::Timestamp;

use super::person;

/// The event of a job halfway through.
const HALF: (&str, &str) = ("export-progress", r#"{"id":1,"percent":50}"#);
/// The event of a job done.
const DONE: (&str, &str) = ("export-ready", r#"{"id":1}"#);

/// Account `ada`, and her public room `archive`, empty.
async fn archive(stores: &Stores) -> (Account, RoomSlug) {
    let ada = person(stores, "ada").await;
    let slug = RoomSlug::parse("archive").unwrap();
    let title = RoomTitle::parse("Archive").unwrap();
    let room = stores.chat.create_room(&slug, &title, false, &ada).await;
    room.unwrap();
    (ada, slug)
}

/// `author` posts `one`, `two` and `three` in room `slug`: the id of the newest.
async fn post_three(chat: &dyn ChatStore, slug: &RoomSlug, author: &Account) -> i64 {
    let mut newest = 0;
    for text in ["one", "two", "three"] {
        let body = MessageBody::parse(text).unwrap();
        let posted = chat.insert_message(slug, author, &body, &[]).await;
        newest = posted.unwrap().message.id;
    }
    newest
}

/// Ada's exports of room `slug`: CSV asked for at 1 000, JSON lines at 2 000.
async fn two_jobs(exports: &dyn ExportStore, slug: &RoomSlug) -> (Job, Job) {
    let first = exports.create("ada", slug, Format::Csv, Timestamp(1_000));
    let second = exports.create("ada", slug, Format::JsonLines, Timestamp(2_000));
    (first.await.unwrap(), second.await.unwrap())
}

/// A room's extent is how many messages it has and its newest message's id.
pub async fn a_rooms_extent_is_its_message_count_and_newest_message(stores: &Stores) {
    let (ada, slug) = archive(stores).await;
    let exports = &*stores.exports;
    assert_eq!(exports.extent("archive").await.unwrap(), (0, 0));
    let newest = post_three(&*stores.chat, &slug, &ada).await;
    assert_eq!(exports.extent("archive").await.unwrap(), (3, newest));
}

/// A job starts running at 0%, as asked for; it is its requester's, listed newest first,
/// from when it was asked for; it runs until it ends.
pub async fn a_job_is_its_requesters_newest_first_until_it_expires(stores: &Stores) {
    let (_, slug) = archive(stores).await;
    let exports = &*stores.exports;
    let (first, second) = two_jobs(exports, &slug).await;
    assert_eq!(
        (first.requester.as_str(), first.room.as_str(), first.format),
        ("ada", "archive", Format::Csv)
    );
    assert_eq!((first.state.as_str(), first.percent), ("running", 0));
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
}

/// Each step of a job is recorded with its event on the requester's topic, whose cursor
/// it answers, each after the one before; the last step ends the job.
pub async fn each_step_is_recorded_with_its_event_and_the_last_ends_the_job(stores: &Stores) {
    let (_, slug) = archive(stores).await;
    let (exports, inbox) = (&*stores.exports, &*stores.inbox);
    let (first, second) = two_jobs(exports, &slug).await;
    let before = inbox.latest("ada").await.unwrap();
    let (halfway, after) = exports.advance(&first, 50, None, HALF).await.unwrap();
    assert_eq!(after, before, "each event says the one before");
    let ended = exports.advance(&first, 100, Some("ready"), DONE).await;
    let (ended, after) = ended.unwrap();
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
        Some(vec![event(halfway, HALF), event(ended, DONE)])
    );
    let ready = exports.job(first.id, Timestamp(0)).await.unwrap().unwrap();
    assert_eq!((ready.state.as_str(), ready.percent), ("ready", 100));
    assert_eq!(
        exports.running().await.unwrap(),
        std::slice::from_ref(&second)
    );
}

/// A job begun again runs from nothing.
pub async fn a_job_begun_again_runs_from_nothing(stores: &Stores) {
    let (_, slug) = archive(stores).await;
    let exports = &*stores.exports;
    let (_, second) = two_jobs(exports, &slug).await;
    exports.advance(&second, 50, None, HALF).await.unwrap();
    exports.begin(second.id, Timestamp::now()).await.unwrap();
    let again = exports.job(second.id, Timestamp(0)).await.unwrap().unwrap();
    assert_eq!((again.state.as_str(), again.percent), ("running", 0));
}

/// A job is stale once a message of its room is deleted after its file was begun.
pub async fn a_job_is_stale_once_a_message_is_deleted_after_it_was_begun(stores: &Stores) {
    let (ada, slug) = archive(stores).await;
    let (chat, exports) = (&*stores.chat, &*stores.exports);
    let newest = post_three(chat, &slug, &ada).await;
    let (_, second) = two_jobs(exports, &slug).await;
    exports.begin(second.id, Timestamp::now()).await.unwrap();
    assert!(!exports.stale(second.id).await.unwrap());
    chat.delete_message(&slug, newest, &ada, DeleteAs::Member)
        .await
        .unwrap();
    assert!(
        exports.stale(second.id).await.unwrap(),
        "deleted since begun"
    );
}

/// Jobs asked for before a time expire then, if they have ended; running ones stay.
pub async fn ended_jobs_expire_and_running_ones_stay(stores: &Stores) {
    let (_, slug) = archive(stores).await;
    let exports = &*stores.exports;
    let (first, second) = two_jobs(exports, &slug).await;
    exports
        .advance(&first, 100, Some("ready"), DONE)
        .await
        .unwrap();
    exports.begin(second.id, Timestamp::now()).await.unwrap();
    let again = exports.job(second.id, Timestamp(0)).await.unwrap().unwrap();
    assert_eq!(
        exports.expire(Timestamp(5_000)).await.unwrap(),
        [first.id],
        "ended only"
    );
    assert_eq!(exports.job(first.id, Timestamp(0)).await.unwrap(), None);
    assert_eq!(exports.running().await.unwrap(), [again]);
}

/// One runner at a time claims a job, until it lets go; claims are per job.
pub async fn one_runner_at_a_time_claims_a_job(stores: &Stores) {
    let (_, slug) = archive(stores).await;
    let exports = &*stores.exports;
    let (first, second) = two_jobs(exports, &slug).await;
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
