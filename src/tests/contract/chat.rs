//! The chat store's contract: rooms, members, and the changes to a room's messages.

use murmur::accounts::domain::Account;
use murmur::chat::domain::{MessageBody, RoomSlug, RoomSummary, RoomTitle};
use murmur::chat::store::{ChatStore, DeleteAs, Membership, Posted, StoreError};
use murmur::server::Stores;

use super::ada_and_grace;

fn body(text: &str) -> MessageBody {
    MessageBody::parse(text).unwrap()
}

/// Room `secret`, private, made by `creator`.
async fn secret(chat: &dyn ChatStore, creator: &Account) -> RoomSummary {
    let slug = RoomSlug::parse("secret").unwrap();
    let title = RoomTitle::parse("Secret").unwrap();
    chat.create_room(&slug, &title, true, creator)
        .await
        .unwrap()
}

/// `username`'s membership of room `secret`.
fn member(username: &str, creator: bool) -> Membership {
    Membership {
        room: "secret".into(),
        username: username.into(),
        creator,
    }
}

/// A private room starts with its creator as its only member, and is listed with the
/// others.
pub async fn a_private_room_starts_with_its_creator_alone(stores: &Stores) {
    let (ada, _) = ada_and_grace(stores).await;
    let chat = &*stores.chat;
    let room = secret(chat, &ada).await;
    assert!(room.private);
    assert_eq!(chat.memberships().await.unwrap(), [member("ada", true)]);
    let listed = chat.rooms().await.unwrap();
    assert!(
        listed
            .iter()
            .any(|room| room.slug == "secret" && room.private)
    );
}

/// A second room can't take a slug that a room has.
pub async fn a_slug_names_one_room(stores: &Stores) {
    let (ada, grace) = ada_and_grace(stores).await;
    let chat = &*stores.chat;
    secret(chat, &ada).await;
    let slug = RoomSlug::parse("secret").unwrap();
    let title = RoomTitle::parse("Secret").unwrap();
    let taken = chat.create_room(&slug, &title, false, &grace).await;
    assert!(matches!(taken, Err(StoreError::SlugTaken(_))));
}

/// Members are added once however often they are added, to rooms that exist, and removed
/// once.
pub async fn members_come_and_go(stores: &Stores) {
    let (ada, grace) = ada_and_grace(stores).await;
    let chat = &*stores.chat;
    secret(chat, &ada).await;
    let slug = RoomSlug::parse("secret").unwrap();
    chat.add_member(&slug, &grace).await.unwrap();
    chat.add_member(&slug, &grace).await.unwrap();
    assert_eq!(
        chat.memberships().await.unwrap(),
        [member("ada", true), member("grace", false)]
    );
    let nowhere = chat
        .add_member(&RoomSlug::parse("nowhere").unwrap(), &grace)
        .await;
    assert!(matches!(nowhere, Err(StoreError::RoomNotFound(_))));
    assert!(chat.remove_member(&slug, &grace).await.unwrap());
    assert!(
        !chat.remove_member(&slug, &grace).await.unwrap(),
        "already gone"
    );
    assert_eq!(chat.memberships().await.unwrap(), [member("ada", true)]);
}

/// A message's author is the account that posted it, and the room counts it.
pub async fn a_messages_author_is_the_account_that_posted_it(stores: &Stores) {
    let (ada, grace) = ada_and_grace(stores).await;
    let chat = &*stores.chat;
    secret(chat, &ada).await;
    let slug = RoomSlug::parse("secret").unwrap();
    let posted = chat
        .insert_message(&slug, &grace, &body("hello"), &[])
        .await;
    let posted = posted.unwrap();
    assert_eq!(
        (posted.message.author.as_str(), posted.room.message_count),
        ("grace", 1)
    );
}

/// Room `changes`, public, made by `ada`, with messages `one` then `two` by `grace`.
async fn changes(
    chat: &dyn ChatStore,
    ada: &Account,
    grace: &Account,
) -> (RoomSlug, Posted, Posted) {
    let slug = RoomSlug::parse("changes").unwrap();
    let title = RoomTitle::parse("Changes").unwrap();
    chat.create_room(&slug, &title, false, ada).await.unwrap();
    let first = chat.insert_message(&slug, grace, &body("one"), &[]).await;
    let first = first.unwrap();
    let second = chat.insert_message(&slug, grace, &body("two"), &[]).await;
    (slug, first, second.unwrap())
}

/// A room without messages resumes from 0 with nothing to send, and from no later number.
pub async fn a_new_room_has_no_change_to_resume_after(stores: &Stores) {
    let (ada, _) = ada_and_grace(stores).await;
    let chat = &*stores.chat;
    let slug = RoomSlug::parse("changes").unwrap();
    let title = RoomTitle::parse("Changes").unwrap();
    chat.create_room(&slug, &title, false, &ada).await.unwrap();
    assert_eq!(
        chat.changes_after(&slug, 0, 10).await.unwrap(),
        Some(vec![])
    );
    assert_eq!(
        chat.changes_after(&slug, 1, 10).await.unwrap(),
        None,
        "past the latest"
    );
}

/// Every change to a room (a post, an edit, a deletion) is numbered after those before it
/// and says which came just before; the latest is the room's latest change.
pub async fn each_change_is_numbered_after_the_one_before(stores: &Stores) {
    let (ada, grace) = ada_and_grace(stores).await;
    let chat = &*stores.chat;
    let (slug, first, second) = changes(chat, &ada, &grace).await;
    assert_eq!(first.after, 0, "the room's first change follows none");
    assert_eq!(
        second.after, first.message.id,
        "each change says the one before"
    );
    let (first, second) = (first.message, second.message);
    let edited = chat
        .edit_message(&slug, first.id, &grace, &body("uno"))
        .await;
    let edited = edited.unwrap();
    assert_eq!(edited.after, second.id);
    let edited = edited.made;
    assert!(
        edited.seq > second.id,
        "an edit is numbered after what came before"
    );
    let deleted = chat
        .delete_message(&slug, second.id, &ada, DeleteAs::Member)
        .await
        .unwrap();
    assert_eq!(deleted.after, edited.seq);
    let (deleted, _) = deleted.made;
    assert!(deleted.seq > edited.seq);
    assert_eq!(chat.latest_change(&slug).await.unwrap(), deleted.seq);
}

/// Only a message's author may edit it; the edit is the message as it now reads, marked
/// edited.
pub async fn an_edit_is_its_authors_alone(stores: &Stores) {
    let (ada, grace) = ada_and_grace(stores).await;
    let chat = &*stores.chat;
    let (slug, first, _) = changes(chat, &ada, &grace).await;
    let first = first.message;
    let refused = chat
        .edit_message(&slug, first.id, &ada, &body("mine"))
        .await;
    assert!(
        matches!(refused, Err(StoreError::NotAllowed(_))),
        "ada didn't write it"
    );
    let edited = chat
        .edit_message(&slug, first.id, &grace, &body("uno"))
        .await;
    let edited = edited.unwrap().made;
    assert_eq!(
        (
            edited.message.body.as_str(),
            edited.message.edited_at.is_some()
        ),
        ("uno", true)
    );
}

/// A message is deleted by its author or by the room's creator, once: its text is erased.
pub async fn a_deletion_is_its_authors_or_the_room_creators(stores: &Stores) {
    let (ada, grace) = ada_and_grace(stores).await;
    let chat = &*stores.chat;
    let (slug, first, second) = changes(chat, &ada, &grace).await;
    let (first, second) = (first.message, second.message);
    let deleted = chat
        .delete_message(&slug, second.id, &ada, DeleteAs::Member)
        .await;
    let (deleted, _) = deleted.expect("the creator deletes anyone's").made;
    assert_eq!(deleted.message.body, "");
    let own = chat
        .delete_message(&slug, first.id, &grace, DeleteAs::Member)
        .await;
    let (own, _) = own.expect("the author deletes their own").made;
    assert_eq!(own.message.body, "");
    let gone = chat
        .delete_message(&slug, second.id, &grace, DeleteAs::Member)
        .await;
    assert!(matches!(gone, Err(StoreError::MessageNotFound(_))));
}

/// A stream resumes after any change up to the latest: each later change once, in order,
/// as it left the message; after no change past the latest.
pub async fn a_stream_resumes_after_any_change_up_to_the_latest(stores: &Stores) {
    let (ada, grace) = ada_and_grace(stores).await;
    let chat = &*stores.chat;
    let (slug, first, second) = changes(chat, &ada, &grace).await;
    let (first, second) = (first.message, second.message);
    let edited = chat
        .edit_message(&slug, first.id, &grace, &body("uno"))
        .await;
    let edited = edited.unwrap().made;
    let deleted = chat
        .delete_message(&slug, second.id, &ada, DeleteAs::Member)
        .await;
    let (deleted, _) = deleted.unwrap().made;
    let changes = chat
        .changes_after(&slug, first.id, 10)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        changes,
        [edited.clone(), deleted.clone()],
        "each once, in order"
    );
    let after_edit = chat
        .changes_after(&slug, edited.seq, 10)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after_edit, std::slice::from_ref(&deleted));
    assert_eq!(
        chat.changes_after(&slug, deleted.seq + 1, 10)
            .await
            .unwrap(),
        None
    );
}
