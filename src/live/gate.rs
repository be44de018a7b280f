//! Who may subscribe to what: a hook the app supplies, checked when any stream opens (on
//! either stream path, with or without a cursor) before anything is sent or replayed.

use async_trait::async_trait;

use crate::error::AppError;

/// Decides whether a subscriber may have a topic. Topics are the app's; the live module
/// only asks.
#[async_trait]
pub trait Gate: Send + Sync + 'static {
    /// Whether `who` (a username, or `None` when signed out) may subscribe to `topic`.
    ///
    /// # Errors
    /// The refusal to answer with: say `404` for a topic whose existence must not leak.
    async fn admit(&self, who: Option<&str>, topic: &str) -> Result<(), AppError>;
}
