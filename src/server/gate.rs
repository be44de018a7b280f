//! The app's answer to "may this subscriber have this topic?", for the live module: each
//! feature decides for its own topics, and a topic no feature has is refused.

use async_trait::async_trait;
use live_loader::{Gate, Refusal};

use crate::admin::ADMIN_TOPIC;
use crate::admin::stats::StatsService;
use crate::chat::is_chat_topic;
use crate::chat::service::ChatService;
use crate::error::AppError;
use crate::inbox::is_user_topic;
use crate::inbox::service::InboxService;

/// Routes each topic to the feature that owns it.
pub struct AppGate {
    /// Rooms' topics and the directory.
    pub chat: ChatService,
    /// People's own topics.
    pub inbox: InboxService,
    /// The operations dashboard's topic.
    pub stats: StatsService,
}

#[async_trait]
impl Gate for AppGate {
    async fn admit(&self, who: Option<&str>, topic: &str) -> Result<(), Refusal> {
        let admitted = if is_chat_topic(topic) {
            self.chat.admit(who, topic).await
        } else if is_user_topic(topic) {
            self.inbox.admit(who, topic)
        } else if topic == ADMIN_TOPIC && self.stats.admits(who) {
            Ok(())
        } else {
            Err(AppError::TopicNotFound(topic.to_owned()))
        };
        admitted.map_err(refusal)
    }
}

/// A feature's refusal of a topic as the live module's, in the feature's words: a `404`
/// (no such topic, or a room whose existence must not leak) and a `403` as they are; the
/// store failing (`Internal`, logged where it failed) as the gate failing.
fn refusal(error: AppError) -> Refusal {
    match error {
        AppError::Forbidden(reason) => Refusal::Forbidden(reason),
        AppError::Internal => Refusal::Failed,
        error if error.status() == 404 => Refusal::NotFound(error.to_string()),
        // No feature's gate answers anything else.
        error => {
            tracing::error!(%error, "a topic was refused for a reason streams are not refused for");
            Refusal::Failed
        }
    }
}
