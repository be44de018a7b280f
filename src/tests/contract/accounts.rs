//! The account store's contract: unique names ignoring case, credentials, and sessions
//! that expire and end.

use murmur::accounts::domain::{Account, Username};
use murmur::accounts::store::{AccountStore, AccountStoreError};
use murmur::server::Stores;

/// A session token.
const TOKEN: [u8; 32] = [7; 32];

/// Account `ada`, made with the password hash `hash-of-ada`.
async fn ada(store: &dyn AccountStore) -> Account {
    let ada = Username::parse("ada").unwrap();
    store.create_account(&ada, "hash-of-ada", 1).await.unwrap()
}

/// A name is taken whatever its case: `ADA` is refused once `ada` exists.
pub async fn a_username_is_taken_whatever_its_case(stores: &Stores) {
    let store = &*stores.accounts;
    let account = ada(store).await;
    assert_eq!(account.username, "ada");
    let again = store
        .create_account(&Username::parse("ADA").unwrap(), "other", 2)
        .await;
    assert!(matches!(again, Err(AccountStoreError::UsernameTaken(name)) if name == "ada"));
}

/// An account is found by its name, with its password hash; an unknown name finds none.
pub async fn an_account_is_found_by_its_name_with_its_credentials(stores: &Stores) {
    let store = &*stores.accounts;
    let account = ada(store).await;
    let name = Username::parse("ada").unwrap();
    let (found, hash) = store.credentials(&name).await.unwrap().unwrap();
    assert_eq!(
        (found.clone(), hash.as_str()),
        (account.clone(), "hash-of-ada")
    );
    assert_eq!(store.account(&name).await.unwrap(), Some(account.clone()));
    assert_eq!(
        store
            .account(&Username::parse("nobody").unwrap())
            .await
            .unwrap(),
        None
    );
}

/// A session finds its account until its expiry, then no more; extended, it lasts until
/// the new expiry; an unknown token finds nothing.
pub async fn a_session_lasts_until_its_expiry_unless_extended(stores: &Stores) {
    let store = &*stores.accounts;
    let account = ada(store).await;
    store
        .create_session(&account, &TOKEN, 10, 100)
        .await
        .unwrap();
    assert_eq!(
        store.session(&TOKEN, 50).await.unwrap(),
        Some((account.clone(), 100))
    );
    assert_eq!(
        store.session(&TOKEN, 100).await.unwrap(),
        None,
        "expired at its expiry"
    );
    assert!(store.extend_session(&TOKEN, 200).await.unwrap());
    assert_eq!(
        store.session(&TOKEN, 150).await.unwrap(),
        Some((account.clone(), 200))
    );
    assert_eq!(
        store.session(&[8u8; 32], 50).await.unwrap(),
        None,
        "an unknown token"
    );
}

/// An ended session is gone for good: a renewal racing its end brings nothing back, and
/// there is nothing left to end.
pub async fn an_ended_session_stays_ended(stores: &Stores) {
    let store = &*stores.accounts;
    let account = ada(store).await;
    store
        .create_session(&account, &TOKEN, 10, 100)
        .await
        .unwrap();
    assert!(store.delete_session(&TOKEN).await.unwrap());
    assert_eq!(
        store.session(&TOKEN, 50).await.unwrap(),
        None,
        "ended for good"
    );
    assert!(
        !store.extend_session(&TOKEN, 300).await.unwrap(),
        "a renewal racing the sign-out brings nothing back"
    );
    assert_eq!(store.session(&TOKEN, 50).await.unwrap(), None);
    assert!(
        !store.delete_session(&TOKEN).await.unwrap(),
        "nothing left to end"
    );
}
