//! The app's answer to "may this subscriber have this topic?", for the live module: each
//! feature decides for its own topics.

use async_trait::async_trait;

use crate::chat::service::ChatService;
use crate::error::AppError;
use crate::live::Gate;

/// Routes each topic to the feature that owns it.
pub struct AppGate {
    /// Rooms' topics and the directory.
    pub chat: ChatService,
}

#[async_trait]
impl Gate for AppGate {
    async fn admit(&self, who: Option<&str>, topic: &str) -> Result<(), AppError> {
        match topic.split_once(':') {
            // A person's own events: theirs alone.
            Some(("user", name)) if who == Some(name) => Ok(()),
            Some(("user", _)) => Err(AppError::Forbidden("that topic is someone else's".into())),
            _ => self.chat.admit(who, topic).await,
        }
    }
}
