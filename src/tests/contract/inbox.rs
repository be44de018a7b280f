//! The inbox store's contract: a mention notifies in the message's own transaction, the
//! person's topic replays it, and edits and deletions follow it.

use murmur::accounts::domain::{Account, Username};
use murmur::chat::domain::{MessageBody, RoomSlug, RoomTitle};
use murmur::chat::store::{ChatStore, DeleteAs, Posted};
use murmur::inbox::Notification;
use murmur::inbox::store::InboxStore;
use murmur::server::Stores;

use super::ada_and_grace;

/// Room `mentions`, public, made by `ada`.
async fn mentions(chat: &dyn ChatStore, ada: &Account) -> RoomSlug {
    let slug = RoomSlug::parse("mentions").unwrap();
    let title = RoomTitle::parse("Mentions").unwrap();
    chat.create_room(&slug, &title, false, ada).await.unwrap();
    slug
}

/// What `ada` posting `hello @grace` in room `mentions` notifies grace of.
async fn mention_grace(chat: &dyn ChatStore, slug: &RoomSlug, ada: &Account) -> Notification {
    let posted = post(chat, slug, ada, "hello @grace", &["grace"]).await;
    posted.notified[0].notification.clone()
}

/// A mention of an account notifies it, as its first event, with an excerpt of the
/// message; a name without an account is passed over; each person's topic's latest event
/// is their newest notification.
pub async fn a_mention_notifies_an_account_and_passes_over_other_names(stores: &Stores) {
    let (ada, _) = ada_and_grace(stores).await;
    let (chat, inbox) = (&*stores.chat, &*stores.inbox);
    let slug = mentions(chat, &ada).await;
    assert_eq!(inbox.latest("grace").await.unwrap(), 0, "no event yet");
    let hello = "hello   @grace\nand @nobody";
    let first = post(chat, &slug, &ada, hello, &["grace", "nobody"]).await;
    let [notified] = &first.notified[..] else {
        panic!("grace alone is notified: {:?}", first.notified);
    };
    assert_eq!(notified.after, 0, "grace's first event");
    let (whom, notified) = (&notified.username, &notified.notification);
    let expected = Notification {
        id: notified.id,
        room: "mentions".into(),
        message_id: first.message.id,
        from: "ada".into(),
        excerpt: "hello @grace and @nobody".into(),
        read: false,
        created_at: first.message.created_at,
    };
    assert_eq!((whom.as_str(), notified), ("grace", &expected));
    assert_eq!(inbox.latest("grace").await.unwrap(), expected.id);
    assert_eq!(inbox.latest("nobody").await.unwrap(), 0);
    assert_eq!(
        inbox.notifications("grace", 10).await.unwrap(),
        std::slice::from_ref(&expected)
    );
}

/// A person's topic replays their notifications after a cursor, as notification events;
/// after the newest, nothing; past it, or before the start, the cursor is no position.
pub async fn a_persons_topic_replays_their_notifications_after_a_cursor(stores: &Stores) {
    let (ada, _) = ada_and_grace(stores).await;
    let (chat, inbox) = (&*stores.chat, &*stores.inbox);
    let slug = mentions(chat, &ada).await;
    let expected = mention_grace(chat, &slug, &ada).await;
    assert_topic(inbox, 0, &[&expected]).await;
    assert_eq!(
        inbox.events_after("grace", expected.id, 10).await.unwrap(),
        Some(vec![])
    );
    let past = inbox
        .events_after("grace", expected.id + 1, 10)
        .await
        .unwrap();
    assert_eq!(past, None, "past the newest");
    assert_eq!(inbox.events_after("grace", -1, 10).await.unwrap(), None);
}

/// A later notification has a larger cursor, and notifications are listed newest first,
/// as many as asked for.
pub async fn notifications_are_listed_newest_first(stores: &Stores) {
    let (ada, _) = ada_and_grace(stores).await;
    let (chat, inbox) = (&*stores.chat, &*stores.inbox);
    let slug = mentions(chat, &ada).await;
    let first = mention_grace(chat, &slug, &ada).await;
    let second = post(chat, &slug, &ada, "@grace again", &["grace"]).await;
    let second = second.notified[0].notification.clone();
    assert!(second.id > first.id, "a later event has a larger cursor");
    let listed = inbox.notifications("grace", 10).await.unwrap();
    assert_eq!(listed, [second.clone(), first.clone()], "newest first");
    assert_eq!(
        inbox.notifications("grace", 1).await.unwrap(),
        std::slice::from_ref(&second)
    );
}

/// Reading a notification, or the room it is from, marks it read, once.
pub async fn reading_marks_notifications_read(stores: &Stores) {
    let (ada, _) = ada_and_grace(stores).await;
    let (chat, inbox) = (&*stores.chat, &*stores.inbox);
    let slug = mentions(chat, &ada).await;
    let first = mention_grace(chat, &slug, &ada).await;
    post(chat, &slug, &ada, "@grace again", &["grace"]).await;
    assert_eq!(inbox.mark_read("grace", first.id).await.unwrap(), 1);
    assert_eq!(
        inbox.mark_read("grace", first.id).await.unwrap(),
        0,
        "already read"
    );
    assert_eq!(inbox.mark_room_read("grace", "mentions").await.unwrap(), 1);
    let listed = inbox.notifications("grace", 10).await.unwrap();
    assert!(listed.iter().all(|notification| notification.read));
}

/// An edit of a message rewords the excerpt of its notifications.
pub async fn an_edit_rewords_its_notifications(stores: &Stores) {
    let (ada, _) = ada_and_grace(stores).await;
    let (chat, inbox) = (&*stores.chat, &*stores.inbox);
    let slug = mentions(chat, &ada).await;
    let notified = mention_grace(chat, &slug, &ada).await;
    let reworded = MessageBody::parse("@grace, said   otherwise").unwrap();
    chat.edit_message(&slug, notified.message_id, &ada, &reworded)
        .await
        .unwrap();
    let listed = inbox.notifications("grace", 10).await.unwrap();
    assert_eq!(
        listed[0].excerpt, "@grace, said otherwise",
        "the excerpt follows"
    );
}

/// Deleting a message takes its notifications back, from the list and from the topic,
/// and says whose they were.
pub async fn a_deletion_takes_its_notifications_back(stores: &Stores) {
    let (ada, _) = ada_and_grace(stores).await;
    let (chat, inbox) = (&*stores.chat, &*stores.inbox);
    let slug = mentions(chat, &ada).await;
    let first = mention_grace(chat, &slug, &ada).await;
    let second = post(chat, &slug, &ada, "@grace again", &["grace"]).await;
    let second = second.notified[0].notification.clone();
    let (_, withdrawn) = chat
        .delete_message(&slug, first.message_id, &ada, DeleteAs::Member)
        .await
        .unwrap()
        .made;
    assert_eq!(withdrawn, ["grace"]);
    let listed = inbox.notifications("grace", 10).await.unwrap();
    assert_eq!(listed.iter().map(|n| n.id).collect::<Vec<_>>(), [second.id]);
    assert_topic(inbox, 0, &[&listed[0]]).await;
}

/// A private room's notifications go once its reader is no longer a member; their
/// events keep their place on the topic, unsent.
pub async fn a_room_no_longer_seen_takes_its_notifications_along(stores: &Stores) {
    let (ada, grace) = ada_and_grace(stores).await;
    let (chat, inbox) = (&*stores.chat, &*stores.inbox);
    let slug = mentions(chat, &ada).await;
    let seen = mention_grace(chat, &slug, &ada).await;
    let hidden = RoomSlug::parse("hidden").unwrap();
    let title = RoomTitle::parse("Mentions").unwrap();
    chat.create_room(&hidden, &title, true, &ada).await.unwrap();
    chat.add_member(&hidden, &grace).await.unwrap();
    let secret = post(chat, &hidden, &ada, "@grace psst", &["grace"]).await;
    let secret = secret.notified[0].notification.clone();
    assert_eq!(inbox.notifications("grace", 10).await.unwrap()[0], secret);
    chat.remove_member(&hidden, &grace).await.unwrap();
    let listed = inbox.notifications("grace", 10).await.unwrap();
    assert_eq!(listed.iter().map(|n| n.id).collect::<Vec<_>>(), [seen.id]);
    assert_eq!(inbox.latest("grace").await.unwrap(), secret.id);
    assert_topic(inbox, seen.id, &[]).await;
}

/// A message naming more accounts than `NOTIFIED_AT_MOST` notifies the first 50 it names
/// (a name without an account takes no place), each once, numbered after their own topic's
/// last event; deleting it takes every one back.
pub async fn a_message_notifies_the_first_fifty_accounts_it_names(stores: &Stores) {
    let (ada, _) = ada_and_grace(stores).await;
    let (chat, inbox, accounts) = (&*stores.chat, &*stores.inbox, &*stores.accounts);
    let slug = RoomSlug::parse("crowd").unwrap();
    let title = RoomTitle::parse("Crowd").unwrap();
    chat.create_room(&slug, &title, false, &ada).await.unwrap();
    let mut names = vec!["ghost".to_owned()];
    for fan in (1..=60).rev() {
        let name = format!("fan{fan:02}");
        let username = Username::parse(&name).unwrap();
        accounts.create_account(&username, "h", 1).await.unwrap();
        names.push(name);
    }
    let named: Vec<&str> = names.iter().map(String::as_str).collect();
    let whom = |posted: &Posted| {
        let mut whom: Vec<(String, i64)> = (posted.notified.iter())
            .map(|n| (n.username.clone(), n.after))
            .collect();
        whom.sort();
        whom
    };
    let first = post(chat, &slug, &ada, "a crowd", &named).await;
    let mut expected: Vec<(String, i64)> = (11..=60).map(|fan| (format!("fan{fan}"), 0)).collect();
    assert_eq!(
        whom(&first),
        expected,
        "fan60 down to fan11, each a first event"
    );
    for notified in &first.notified {
        let cursor = inbox.latest(&notified.username).await.unwrap();
        assert_eq!(cursor, notified.notification.id);
    }

    let again = post(chat, &slug, &ada, "again", &named).await;
    for (fan, after) in &mut expected {
        let earlier = first.notified.iter().find(|n| &n.username == fan).unwrap();
        *after = earlier.notification.id;
    }
    assert_eq!(whom(&again), expected, "each after their own last event");
    let deleted = chat
        .delete_message(&slug, again.message.id, &ada, DeleteAs::Member)
        .await;
    let (_, mut withdrawn) = deleted.unwrap().made;
    withdrawn.sort();
    let fans: Vec<String> = expected.into_iter().map(|(fan, _)| fan).collect();
    assert_eq!(withdrawn, fans);
    let fan60 = first
        .notified
        .iter()
        .find(|n| n.username == "fan60")
        .unwrap();
    assert_eq!(inbox.latest("fan60").await.unwrap(), fan60.notification.id);
}

/// `author` posts `text` in room `slug`, mentioning `names`.
async fn post(
    chat: &dyn ChatStore,
    slug: &RoomSlug,
    author: &Account,
    text: &str,
    names: &[&str],
) -> Posted {
    let body = MessageBody::parse(text).unwrap();
    let names: Vec<String> = names.iter().map(|&name| name.to_owned()).collect();
    chat.insert_message(slug, author, &body, &names)
        .await
        .unwrap()
}

/// Grace's topic after `cursor` replays exactly `expected`, as notification events.
async fn assert_topic(inbox: &dyn InboxStore, cursor: i64, expected: &[&Notification]) {
    let events = inbox
        .events_after("grace", cursor, 10)
        .await
        .unwrap()
        .unwrap();
    let replayed: Vec<(i64, &str, Notification)> = events
        .iter()
        .map(|event| {
            let payload = serde_json::from_str(&event.payload).unwrap();
            (event.id, event.name.as_str(), payload)
        })
        .collect();
    let expected: Vec<(i64, &str, Notification)> = expected
        .iter()
        .map(|&notification| (notification.id, "notification", notification.clone()))
        .collect();
    assert_eq!(replayed, expected);
}
