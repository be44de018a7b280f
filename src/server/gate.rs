//! The app's answer to "may this subscriber have this topic?", for the live module: each
//! feature decides for its own topics, and a topic no feature has is refused.

use async_trait::async_trait;

use crate::chat::is_chat_topic;
use crate::chat::service::ChatService;
use crate::error::AppError;
use crate::inbox::is_user_topic;
use crate::inbox::service::InboxService;
use crate::live::Gate;

/// Routes each topic to the feature that owns it.
pub struct AppGate {
    /// Rooms' topics and the directory.
    pub chat: ChatService,
    /// People's own topics.
    pub inbox: InboxService,
}

#[async_trait]
impl Gate for AppGate {
    async fn admit(&self, who: Option<&str>, topic: &str) -> Result<(), AppError> {
        if is_chat_topic(topic) {
            self.chat.admit(who, topic).await
        } else if is_user_topic(topic) {
            self.inbox.admit(who, topic).await
        } else {
            Err(AppError::TopicNotFound(topic.to_owned()))
        }
    }
}
