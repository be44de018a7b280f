//! A client that follows a room the way a well-behaved one should: it reconnects (with
//! backoff) from the last id it saw, and on `resync` reads what it missed from the JSON API.
//! It reports every message id it takes in, duplicates included, so tests can compare.

use std::time::Duration;

use serde_json::Value;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::helpers::SseClient;

/// How soon after the last fault a follower must have taken in every message.
const CONVERGES_WITHIN: Duration = Duration::from_secs(10);

/// Ids come out of `ids` as the follower takes them in; dropping it stops the follower.
pub struct Follower {
    pub ids: mpsc::UnboundedReceiver<i64>,
    task: JoinHandle<()>,
}

impl Drop for Follower {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Follower {
    /// Follows room `slug` at `base` (the server, or a proxy in front of it) from `after`.
    pub fn start(base: &str, slug: &str, after: i64) -> Self {
        let (sender, ids) = mpsc::unbounded_channel();
        let task = tokio::spawn(follow(base.to_owned(), slug.to_owned(), after, sender));
        Self { ids, task }
    }

    /// Asserts the follower ends with exactly `stored`: in order, no gap, no duplicate.
    pub async fn assert_converges_to(&mut self, stored: &[i64]) {
        assert_eq!(
            self.collect(stored.len()).await,
            stored,
            "in order, no gap, no duplicate"
        );
        assert!(
            self.ids.try_recv().is_err(),
            "nothing more than the database has"
        );
    }

    /// Takes in ids until it has as many as `expected`, then returns them.
    pub async fn collect(&mut self, expected: usize) -> Vec<i64> {
        let mut seen = Vec::new();
        while seen.len() < expected {
            // The bound for converging once the faults stop; it also ends a hung test.
            let id = tokio::time::timeout(CONVERGES_WITHIN, self.ids.recv()).await;
            let Ok(id) = id else {
                panic!(
                    "the follower is stuck after {} of {expected}: {seen:?}",
                    seen.len()
                );
            };
            seen.push(id.expect("the follower runs"));
        }
        seen
    }
}

async fn follow(base: String, slug: String, mut last: i64, ids: mpsc::UnboundedSender<i64>) {
    let http = reqwest::Client::new();
    let mut failures = 0u32;
    loop {
        let url = format!("{base}/rooms/{slug}/stream");
        let mut stream = match SseClient::open(&http, &url, Some(&last.to_string())).await {
            Some(stream) => stream,
            None => {
                // Pacing between attempts at a server that is down or refusing.
                failures += 1;
                tokio::time::sleep(Duration::from_millis(20 * u64::from(failures.min(10)))).await;
                continue;
            }
        };
        failures = 0;
        while let Some(event) = stream.try_next().await {
            match event.event.as_deref() {
                Some("message") => {
                    let id = event.json()["id"].as_i64().expect("message id");
                    last = last.max(id);
                    if ids.send(id).is_err() {
                        return;
                    }
                }
                Some("resync") => {
                    let Some(missed) = read_after(&http, &base, &slug, last).await else {
                        break;
                    };
                    for id in missed {
                        last = last.max(id);
                        if ids.send(id).is_err() {
                            return;
                        }
                    }
                }
                _ => {}
            }
        }
    }
}

/// Every message id of the room after `after`, through the JSON API; `None` if it failed.
async fn read_after(
    http: &reqwest::Client,
    base: &str,
    slug: &str,
    mut after: i64,
) -> Option<Vec<i64>> {
    let mut ids = Vec::new();
    loop {
        let url = format!("{base}/api/rooms/{slug}/messages?after={after}&limit=200");
        let response = http.get(url).send().await.ok()?;
        if !response.status().is_success() {
            return None;
        }
        let page: Vec<Value> = response.json().await.ok()?;
        let page: Vec<i64> = page.iter().filter_map(|m| m["id"].as_i64()).collect();
        let Some(&newest) = page.last() else {
            return Some(ids);
        };
        after = newest;
        ids.extend(page);
    }
}
