//! The account store's contract.

use murmur::accounts::domain::Username;
use murmur::accounts::store::{AccountStore, AccountStoreError};

/// Accounts: unique names ignoring case, credentials, and sessions that expire and end.
pub async fn account_store_keeps_its_contract(store: &dyn AccountStore) {
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
    assert!(store.extend_session(&token, 200).await.unwrap());
    assert_eq!(
        store.session(&token, 150).await.unwrap(),
        Some((account.clone(), 200))
    );
    assert_eq!(
        store.session(&[8u8; 32], 50).await.unwrap(),
        None,
        "an unknown token"
    );
    assert!(store.delete_session(&token).await.unwrap());
    assert_eq!(
        store.session(&token, 50).await.unwrap(),
        None,
        "ended for good"
    );
    assert!(
        !store.extend_session(&token, 300).await.unwrap(),
        "a renewal racing the sign-out brings nothing back"
    );
    assert_eq!(store.session(&token, 50).await.unwrap(), None);
    assert!(
        !store.delete_session(&token).await.unwrap(),
        "nothing left to end"
    );
}
