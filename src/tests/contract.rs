//! The contract every store backend keeps, written against the store traits. Each suite
//! (a module here) is a list of rules, and each rule is a test of its own on each backend,
//! on fresh stores: `contract::sqlite::chat::an_edit_is_its_authors_alone` on a SQLite
//! file in a temporary directory, `contract::postgres::…` on a PostgreSQL database made for
//! it. A failure names the rule and the database.

mod accounts;
mod chat;
mod concurrency;
mod exports;
mod inbox;
mod threads;

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use murmur::accounts::domain::{Account, Username};
use murmur::server::{Database, Stores};
use tempfile::TempDir;

use super::databases::PostgresDatabase;

/// The stores of a fresh, empty database, and what holds the database: dropped after the
/// stores.
pub struct Fresh {
    pub stores: Stores,
    /// The SQLite file's directory, on SQLite.
    _dir: Option<TempDir>,
    /// The database, on PostgreSQL.
    _postgres: Option<PostgresDatabase>,
}

impl Fresh {
    /// Stores on a SQLite file in a temporary directory.
    pub async fn sqlite() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("contract.db").display());
        Self {
            stores: stores_on(&url).await,
            _dir: Some(dir),
            _postgres: None,
        }
    }

    /// Stores on a PostgreSQL database of their own.
    pub async fn postgres() -> Self {
        let database = PostgresDatabase::create().await;
        Self {
            stores: stores_on(&database.url()).await,
            _dir: None,
            _postgres: Some(database),
        }
    }
}

/// The stores of the database at `url`, its migrations applied.
async fn stores_on(url: &str) -> Stores {
    let database = Database::open(url).await.unwrap();
    Stores::on(database, &Arc::new(AtomicU64::new(0)))
}

/// A new account called `name`.
pub async fn person(stores: &Stores, name: &str) -> Account {
    let username = Username::parse(name).unwrap();
    let account = stores.accounts.create_account(&username, "h", 1).await;
    account.unwrap()
}

/// New accounts `ada` and `grace`.
pub async fn ada_and_grace(stores: &Stores) -> (Account, Account) {
    (person(stores, "ada").await, person(stores, "grace").await)
}

/// `contract! { [backend, …] { suite: [rule, …], … } }`: for each backend, a module named
/// after it, with a module per suite and in it a test per rule, named after the rule, that
/// runs `suite::rule` on [`Fresh`] stores of the backend (`Fresh::backend`).
macro_rules! contract {
    ([$($backend:ident),* $(,)?] $suites:tt) => {
        $( contract!(@on $backend $suites); )*
    };
    (@on $backend:ident { $($suite:ident: [$($rule:ident),* $(,)?]),* $(,)? }) => {
        mod $backend {
            $(
                mod $suite {
                    $(
                        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                        async fn $rule() {
                            let fresh = crate::contract::Fresh::$backend().await;
                            crate::contract::$suite::$rule(&fresh.stores).await;
                        }
                    )*
                }
            )*
        }
    };
}

contract! {
    [sqlite, postgres] {
        accounts: [
            a_username_is_taken_whatever_its_case,
            an_account_is_found_by_its_name_with_its_credentials,
            a_session_lasts_until_its_expiry_unless_extended,
            an_ended_session_stays_ended,
        ],
        chat: [
            a_private_room_starts_with_its_creator_alone,
            a_slug_names_one_room,
            members_come_and_go,
            a_messages_author_is_the_account_that_posted_it,
            a_new_room_has_no_change_to_resume_after,
            each_change_is_numbered_after_the_one_before,
            an_edit_is_its_authors_alone,
            a_deletion_is_its_authors_or_the_room_creators,
            a_stream_resumes_after_any_change_up_to_the_latest,
        ],
        inbox: [
            a_mention_notifies_an_account_and_passes_over_other_names,
            a_persons_topic_replays_their_notifications_after_a_cursor,
            notifications_are_listed_newest_first,
            reading_marks_notifications_read,
            an_edit_rewords_its_notifications,
            a_deletion_takes_its_notifications_back,
            a_room_no_longer_seen_takes_its_notifications_along,
            a_message_notifies_the_first_fifty_accounts_it_names,
        ],
        exports: [
            a_rooms_extent_is_its_message_count_and_newest_message,
            a_job_is_its_requesters_newest_first_until_it_expires,
            each_step_is_recorded_with_its_event_and_the_last_ends_the_job,
            a_job_begun_again_runs_from_nothing,
            a_job_is_stale_once_a_message_is_deleted_after_it_was_begun,
            ended_jobs_expire_and_running_ones_stay,
            one_runner_at_a_time_claims_a_job,
        ],
        threads: [
            a_page_has_one_thread,
            a_thread_counts_its_standing_comments,
            a_moderator_deletes_any_comment,
        ],
        concurrency: [
            a_rooms_changes_are_numbered_in_commit_order,
            a_persons_topic_is_numbered_in_commit_order,
        ],
    }
}
