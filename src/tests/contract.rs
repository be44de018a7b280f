//! The contract every store backend keeps, written against the store traits: each backend
//! runs the same suite (SQLite today; the Postgres store must pass it too).

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use murmur::accounts::domain::{Account, Username};
use murmur::accounts::store::{AccountStore, AccountStoreError, SqliteAccountStore};
use murmur::chat::domain::{MessageBody, RoomSlug, RoomTitle};
use murmur::chat::store::{ChatStore, Membership, SqliteStore, StoreError};

/// Accounts: unique names ignoring case, credentials, and sessions that expire and end.
async fn account_store_keeps_its_contract(store: &dyn AccountStore) {
    let ada = Username::parse("ada").unwrap();
    let account = store.create_account(&ada, "hash-of-ada", 1).await.unwrap();
    assert_eq!(account.username, "ada");
    let again = store
        .create_account(&Username::parse("ADA").unwrap(), "other", 2)
        .await;
    assert!(matches!(again, Err(AccountStoreError::UsernameTaken(name)) if name == "ada"));
    let (found, hash) = store.credentials(&ada).await.unwrap().unwrap();
    assert_eq!(
        (found.clone(), hash.as_str()),
        (account.clone(), "hash-of-ada")
    );
    assert_eq!(store.account(&ada).await.unwrap(), Some(account.clone()));
    assert_eq!(
        store
            .account(&Username::parse("nobody").unwrap())
            .await
            .unwrap(),
        None
    );

    let token = [7u8; 32];
    store
        .create_session(&account, &token, 10, 100)
        .await
        .unwrap();
    assert_eq!(
        store.session(&token, 50).await.unwrap(),
        Some((account.clone(), 100))
    );
    assert_eq!(
        store.session(&token, 100).await.unwrap(),
        None,
        "expired at its expiry"
    );
    store.extend_session(&token, 200).await.unwrap();
    assert_eq!(
        store.session(&token, 150).await.unwrap(),
        Some((account.clone(), 200))
    );
    assert_eq!(
        store.session(&[8u8; 32], 50).await.unwrap(),
        None,
        "an unknown token"
    );
    store.delete_session(&token).await.unwrap();
    assert_eq!(
        store.session(&token, 50).await.unwrap(),
        None,
        "ended for good"
    );
    store.delete_session(&token).await.unwrap();
}

/// Rooms with members: a private room starts with its creator; members come and go; a
/// message's author is the account that posted it.
async fn chat_store_keeps_its_membership_contract(
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
    let (message, summary) = chat.insert_message(&secret, grace, &body).await.unwrap();
    assert_eq!(
        (message.author.as_str(), summary.message_count),
        ("grace", 1)
    );
    let public = chat.rooms().await.unwrap();
    assert!(
        public
            .iter()
            .any(|room| room.slug == "secret" && room.private)
    );
}

#[tokio::test]
async fn the_sqlite_stores_keep_the_contract() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("contract.db").display());
    let pool = murmur::server::open_sqlite(&url).await.unwrap();
    let queries = Arc::new(AtomicU64::new(0));
    let accounts = SqliteAccountStore::new(pool.clone(), Arc::clone(&queries));
    account_store_keeps_its_contract(&accounts).await;
    let ada = accounts
        .account(&Username::parse("ada").unwrap())
        .await
        .unwrap()
        .unwrap();
    let grace = accounts
        .create_account(&Username::parse("grace").unwrap(), "h", 1)
        .await
        .unwrap();
    chat_store_keeps_its_membership_contract(&SqliteStore::new(pool, queries), &ada, &grace).await;
}
