//! The chat store's contract for comment threads: one room per page, its standing comments
//! counted, and moderators' deletions.

use murmur::chat::domain::{MessageBody, RoomSlug, RoomTitle};
use murmur::chat::store::{DeleteAs, StoreError};
use murmur::server::Stores;

use super::ada_and_grace;

const PAGE: &str = "https://blog.example/posts/1";

fn slug(name: &str) -> RoomSlug {
    RoomSlug::parse(name).unwrap()
}

/// A page's thread is made once; asked for again, even under another slug and title, the
/// same room answers; it is listed with the rooms, with its page.
pub async fn a_page_has_one_thread(stores: &Stores) {
    let (ada, grace) = ada_and_grace(stores).await;
    let chat = &*stores.chat;
    assert!(chat.thread(PAGE).await.unwrap().is_none());
    let title = RoomTitle::parse("A post").unwrap();
    let (made, created) = chat
        .open_thread(PAGE, &title, &slug("thread-a"), &ada)
        .await
        .unwrap();
    assert!(created);
    assert_eq!(
        (made.slug.as_str(), made.title.as_str(), made.private),
        ("thread-a", "A post", false)
    );
    assert_eq!(made.thread.as_deref(), Some(PAGE));
    let other = RoomTitle::parse("Another title").unwrap();
    let again = chat
        .open_thread(PAGE, &other, &slug("thread-b"), &grace)
        .await;
    let (again, created) = again.unwrap();
    assert!(!created);
    assert_eq!(again, made);
    let found = chat.thread(PAGE).await.unwrap().expect("the thread");
    assert_eq!((found.room, found.count), (made.clone(), 0));
    let listed = chat.rooms().await.unwrap();
    assert!(listed.contains(&made));
    let lobby = listed.iter().find(|room| room.slug == "lobby").unwrap();
    assert_eq!(lobby.thread, None);
}

/// A thread's count is its standing comments: a deleted one is not counted.
pub async fn a_thread_counts_its_standing_comments(stores: &Stores) {
    let (ada, grace) = ada_and_grace(stores).await;
    let chat = &*stores.chat;
    let title = RoomTitle::parse("A post").unwrap();
    let room = slug("thread-a");
    chat.open_thread(PAGE, &title, &room, &ada).await.unwrap();
    let body = MessageBody::parse("First!").unwrap();
    let first = chat
        .insert_message(&room, &grace, &body, &[])
        .await
        .unwrap();
    chat.insert_message(&room, &ada, &body, &[]).await.unwrap();
    let deleted = chat.delete_message(&room, first.message.id, &grace, DeleteAs::Member);
    deleted.await.unwrap();
    let found = chat.thread(PAGE).await.unwrap().expect("the thread");
    assert_eq!(found.count, 1);
    assert_eq!(
        found.room.message_count, 2,
        "the room still counts the marker"
    );
}

/// A moderator deletes anyone's comment; a member who neither wrote it nor made the
/// thread may not.
pub async fn a_moderator_deletes_any_comment(stores: &Stores) {
    let (ada, grace) = ada_and_grace(stores).await;
    let chat = &*stores.chat;
    let title = RoomTitle::parse("A post").unwrap();
    let room = slug("thread-a");
    chat.open_thread(PAGE, &title, &room, &ada).await.unwrap();
    let body = MessageBody::parse("Rude words").unwrap();
    let posted = chat.insert_message(&room, &ada, &body, &[]).await.unwrap();
    let id = posted.message.id;
    let refused = chat
        .delete_message(&room, id, &grace, DeleteAs::Member)
        .await;
    assert!(matches!(refused, Err(StoreError::NotAllowed(_))));
    let deleted = chat
        .delete_message(&room, id, &grace, DeleteAs::Moderator)
        .await;
    let (deleted, _) = deleted.expect("a moderator deletes it").made;
    assert_eq!(deleted.message.body, "");
}
