//! Where the live module reads back each topic's events: each feature keeps its own.

use async_trait::async_trait;
use live_loader::{History, LiveEvent};

use crate::chat::service::ChatService;
use crate::inbox::is_user_topic;
use crate::inbox::service::InboxService;

/// Routes each topic to the feature that keeps its history.
pub struct AppHistory {
    /// Rooms' topics.
    pub chat: ChatService,
    /// People's own topics.
    pub inbox: InboxService,
}

#[async_trait]
impl History for AppHistory {
    async fn after(&self, topic: &str, cursor: i64, limit: u32) -> Option<Vec<LiveEvent>> {
        if is_user_topic(topic) {
            self.inbox.after(topic, cursor, limit).await
        } else {
            self.chat.after(topic, cursor, limit).await
        }
    }

    async fn latest(&self, topic: &str) -> Option<i64> {
        if is_user_topic(topic) {
            self.inbox.latest(topic).await
        } else {
            self.chat.latest(topic).await
        }
    }
}
