//! Concurrent writers: numbers are handed out in commit order, per room and per person's
//! topic, so a reader that follows a cursor never misses a change committed behind it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use murmur::accounts::domain::Account;
use murmur::chat::domain::{MessageBody, RoomSlug, RoomTitle};
use murmur::server::Stores;

use super::person;

/// Writers at once.
const WRITERS: usize = 8;
/// Messages each writer posts.
const POSTS_EACH: usize = 50;

/// A cursor-following reader: polls `next(cursor)` until told to stop, then once more,
/// checking that each batch only moves forward; answers every number it saw, in order.
async fn follow<F, Fut>(stop: Arc<AtomicBool>, next: F) -> Vec<i64>
where
    F: Fn(i64) -> Fut,
    Fut: Future<Output = Vec<i64>>,
{
    let (mut cursor, mut seen) = (0, Vec::new());
    loop {
        // Read before polling: the last poll starts after every writer has finished.
        let stopping = stop.load(Ordering::SeqCst);
        for number in next(cursor).await {
            assert!(number > cursor, "{number} after {cursor}");
            cursor = number;
            seen.push(number);
        }
        if stopping {
            return seen;
        }
        tokio::task::yield_now().await;
    }
}

/// Asserts that a reader saw every one of `written` (sorted), naming those it missed: each
/// committed after the reader had passed its number.
fn assert_saw_all(seen: &[i64], written: &[i64]) {
    let missed: Vec<&i64> = written.iter().filter(|n| !seen.contains(n)).collect();
    assert!(missed.is_empty(), "committed behind the reader: {missed:?}");
    assert_eq!(seen, written);
}

/// Eight writers post to one room at once while a reader follows its changes: the reader
/// sees every message, so none committed with a number below one it had already passed;
/// and each message names the one before it, so the chain has no gap.
pub async fn a_rooms_changes_are_numbered_in_commit_order(stores: &Stores) {
    let (chat, ada) = (Arc::clone(&stores.chat), &person(stores, "ada").await);
    let slug = RoomSlug::parse("race").unwrap();
    let title = RoomTitle::parse("Race").unwrap();
    chat.create_room(&slug, &title, false, ada).await.unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let reader = tokio::spawn(follow(Arc::clone(&stop), {
        let (chat, slug) = (Arc::clone(&chat), slug.clone());
        move |cursor| {
            let (chat, slug) = (Arc::clone(&chat), slug.clone());
            async move {
                let changes = chat.changes_after(&slug, cursor, 1_000).await.unwrap();
                let changes = changes.expect("a cursor it was given is a position");
                changes.iter().map(|change| change.seq).collect()
            }
        }
    }));
    let writers: Vec<_> = (0..WRITERS)
        .map(|writer| {
            let (chat, slug, ada) = (Arc::clone(&chat), slug.clone(), ada.clone());
            tokio::spawn(async move {
                let mut ids = Vec::new();
                for n in 0..POSTS_EACH {
                    let body = MessageBody::parse(&format!("{writer}.{n}")).unwrap();
                    let posted = chat.insert_message(&slug, &ada, &body, &[]).await.unwrap();
                    ids.push((posted.message.id, posted.after));
                }
                ids
            })
        })
        .collect();
    let mut chain = Vec::new();
    for writer in writers {
        let ids = writer.await.unwrap();
        assert!(ids.is_sorted(), "one writer's numbers grow");
        chain.extend(ids);
    }
    chain.sort_unstable();
    let posted: Vec<i64> = chain.iter().map(|(id, _)| *id).collect();
    let befores: Vec<i64> = chain.iter().map(|(_, after)| *after).collect();
    assert_eq!(
        befores[1..],
        posted[..posted.len() - 1],
        "each follows the one before"
    );
    stop.store(true, Ordering::SeqCst);
    assert_saw_all(&reader.await.unwrap(), &posted);
    let all = chat.changes_after(&slug, 0, 1_000).await.unwrap().unwrap();
    let numbers: Vec<i64> = all.iter().map(|change| change.seq).collect();
    assert_eq!(numbers, posted, "every change once, in number order");
    let rooms = chat.rooms().await.unwrap();
    let race = rooms.iter().find(|room| room.slug == "race").unwrap();
    assert_eq!(race.message_count, (WRITERS * POSTS_EACH) as i64);
}

/// Eight people each post in a room of their own, mentioning someone and `person0`, in
/// whichever order, while a reader follows `person0`'s topic: it sees every notification, and
/// writers that lock several people never deadlock.
pub async fn a_persons_topic_is_numbered_in_commit_order(stores: &Stores) {
    let (chat, inbox) = (Arc::clone(&stores.chat), Arc::clone(&stores.inbox));
    let mut people = Vec::new();
    for writer in 0..WRITERS {
        people.push(person(stores, &format!("person{writer}")).await);
    }
    let stop = Arc::new(AtomicBool::new(false));
    let reader = tokio::spawn(follow(Arc::clone(&stop), {
        let inbox = Arc::clone(&inbox);
        move |cursor| {
            let inbox = Arc::clone(&inbox);
            async move {
                let events = inbox.events_after("person0", cursor, 1_000).await.unwrap();
                let events = events.expect("a cursor it was given is a position");
                events.iter().map(|event| event.id).collect()
            }
        }
    }));
    let writers: Vec<_> = people
        .iter()
        .enumerate()
        .map(|(writer, author): (usize, &Account)| {
            let (chat, author) = (Arc::clone(&chat), author.clone());
            // The other person first: a higher id than person0's, so locks go in id order only
            // if the store sorts them.
            let mentioned = vec![
                format!("person{}", writer % (WRITERS - 1) + 1),
                "person0".to_owned(),
            ];
            tokio::spawn(async move {
                let slug = RoomSlug::parse(&format!("room-{writer}")).unwrap();
                let title = RoomTitle::parse("Mine").unwrap();
                chat.create_room(&slug, &title, false, &author)
                    .await
                    .unwrap();
                let mut ids = Vec::new();
                for n in 0..POSTS_EACH {
                    let body = MessageBody::parse(&format!("@person0 {n}")).unwrap();
                    let posted = chat.insert_message(&slug, &author, &body, &mentioned);
                    let notified = posted.await.unwrap().notified;
                    let to_p0 = notified.iter().find(|n| n.username == "person0").unwrap();
                    ids.push(to_p0.notification.id);
                }
                ids
            })
        })
        .collect();
    let mut notified = Vec::new();
    for writer in writers {
        notified.extend(writer.await.unwrap());
    }
    stop.store(true, Ordering::SeqCst);
    notified.sort_unstable();
    assert_saw_all(&reader.await.unwrap(), &notified);
}
