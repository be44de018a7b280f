//! The contract every store backend keeps, written against the store traits: each backend
//! runs the same suites, SQLite on a temporary file and Postgres on a database of its own.

mod accounts;
mod chat;
mod concurrency;
mod exports;
mod inbox;

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use murmur::accounts::domain::Username;
use murmur::server::{Database, Stores};

use super::databases::PostgresDatabase;

/// Every suite, in turn, on the stores of the database at `url` (fresh and empty).
async fn the_stores_keep_the_contract(url: &str) {
    let database = Database::open(url).await.unwrap();
    let stores = Stores::on(database, &Arc::new(AtomicU64::new(0)));
    accounts::account_store_keeps_its_contract(&*stores.accounts).await;
    let (ada, grace) = (
        Username::parse("ada").unwrap(),
        Username::parse("grace").unwrap(),
    );
    let ada = stores.accounts.account(&ada).await.unwrap().unwrap();
    let grace = stores
        .accounts
        .create_account(&grace, "h", 1)
        .await
        .unwrap();
    let chat = &*stores.chat;
    chat::chat_store_keeps_its_membership_contract(chat, &ada, &grace).await;
    chat::chat_store_keeps_its_change_contract(chat, &ada, &grace).await;
    inbox::inbox_store_keeps_its_contract(chat, &*stores.inbox, &ada, &grace).await;
    let (notified, accounts) = (&*stores.inbox, &*stores.accounts);
    inbox::a_message_notifies_the_first_fifty_accounts_it_names(chat, notified, accounts, &ada)
        .await;
    let exports = &*stores.exports;
    exports::export_store_keeps_its_contract(chat, &*stores.inbox, exports, &ada).await;
    concurrency::a_rooms_changes_are_numbered_in_commit_order(stores.chat.clone(), &ada).await;
    let (chat, inbox) = (stores.chat.clone(), stores.inbox.clone());
    concurrency::a_persons_topic_is_numbered_in_commit_order(chat, inbox, &*stores.accounts).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_sqlite_stores_keep_the_contract() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("contract.db").display());
    the_stores_keep_the_contract(&url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_postgres_stores_keep_the_contract() {
    let database = PostgresDatabase::create().await;
    the_stores_keep_the_contract(&database.url()).await;
}
