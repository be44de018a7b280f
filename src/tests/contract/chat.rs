//! The chat store's contract: rooms, members, and the changes to a room's messages.

use murmur::accounts::domain::Account;
use murmur::chat::domain::{MessageBody, RoomSlug, RoomTitle};
use murmur::chat::store::{ChatStore, Membership, StoreError};

/// Rooms with members: a private room starts with its creator; members come and go; a
/// message's author is the account that posted it.
pub async fn chat_store_keeps_its_membership_contract(
    chat: &dyn ChatStore,
    ada: &Account,
    grace: &Account,
) {
    let secret = RoomSlug::parse("secret").unwrap();
    let title = RoomTitle::parse("Secret").unwrap();
    let room = chat.create_room(&secret, &title, true, ada).await.unwrap();
    assert!(room.private);
    let taken = chat.create_room(&secret, &title, false, grace).await;
    assert!(matches!(taken, Err(StoreError::SlugTaken(_))));
    let member = |username: &str, creator| Membership {
        room: "secret".into(),
        username: username.into(),
        creator,
    };
    assert_eq!(chat.memberships().await.unwrap(), [member("ada", true)]);

    chat.add_member(&secret, grace).await.unwrap();
    chat.add_member(&secret, grace).await.unwrap();
    assert_eq!(
        chat.memberships().await.unwrap(),
        [member("ada", true), member("grace", false)]
    );
    let nowhere = chat
        .add_member(&RoomSlug::parse("nowhere").unwrap(), grace)
        .await;
    assert!(matches!(nowhere, Err(StoreError::RoomNotFound(_))));
    assert!(chat.remove_member(&secret, grace).await.unwrap());
    assert!(
        !chat.remove_member(&secret, grace).await.unwrap(),
        "already gone"
    );
    assert_eq!(chat.memberships().await.unwrap(), [member("ada", true)]);

    let body = MessageBody::parse("hello").unwrap();
    let posted = chat.insert_message(&secret, grace, &body, &[]).await;
    let posted = posted.unwrap();
    assert_eq!(
        (posted.message.author.as_str(), posted.room.message_count),
        ("grace", 1)
    );
    let public = chat.rooms().await.unwrap();
    assert!(
        public
            .iter()
            .any(|room| room.slug == "secret" && room.private)
    );
}

/// Every change to a room is numbered in commit order; an edit is its author's, a deletion
/// its author's or the room creator's; a stream resumes from any number up to the latest.
pub async fn chat_store_keeps_its_change_contract(
    chat: &dyn ChatStore,
    ada: &Account,
    grace: &Account,
) {
    let slug = RoomSlug::parse("changes").unwrap();
    let title = RoomTitle::parse("Changes").unwrap();
    chat.create_room(&slug, &title, false, ada).await.unwrap();
    assert_eq!(
        chat.changes_after(&slug, 0, 10).await.unwrap(),
        Some(vec![])
    );
    assert_eq!(
        chat.changes_after(&slug, 1, 10).await.unwrap(),
        None,
        "past the latest"
    );
    let body = |text: &str| MessageBody::parse(text).unwrap();
    let first = chat.insert_message(&slug, grace, &body("one"), &[]).await;
    let first = first.unwrap();
    assert_eq!(first.after, 0, "the room's first change follows none");
    let second = chat.insert_message(&slug, grace, &body("two"), &[]).await;
    let second = second.unwrap();
    assert_eq!(
        second.after, first.message.id,
        "each change says the one before"
    );
    let (first, second) = (first.message, second.message);

    let refused = chat.edit_message(&slug, first.id, ada, &body("mine")).await;
    assert!(
        matches!(refused, Err(StoreError::NotAllowed(_))),
        "ada didn't write it"
    );
    let edited = chat
        .edit_message(&slug, first.id, grace, &body("uno"))
        .await
        .unwrap();
    assert_eq!(edited.after, second.id);
    let edited = edited.made;
    assert!(
        edited.seq > second.id,
        "an edit is numbered after what came before"
    );
    assert_eq!(
        (
            edited.message.body.as_str(),
            edited.message.edited_at.is_some()
        ),
        ("uno", true)
    );
    let deleted = chat.delete_message(&slug, second.id, ada).await.unwrap();
    assert_eq!(deleted.after, edited.seq);
    let (deleted, _) = deleted.made;
    assert!(deleted.seq > edited.seq, "the creator deletes anyone's");
    assert_eq!(deleted.message.body, "");
    assert_eq!(chat.latest_change(&slug).await.unwrap(), deleted.seq);
    let gone = chat.delete_message(&slug, second.id, grace).await;
    assert!(matches!(gone, Err(StoreError::MessageNotFound(_))));

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
