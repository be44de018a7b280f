//! Who may subscribe to what: a hook the app supplies, checked when any stream opens (on
//! either stream path, with or without a cursor) before anything is sent or replayed.

use async_trait::async_trait;

use super::Refusal;

/// Decides whether a subscriber may have a topic. Topics are the app's; the live module
/// only asks.
#[async_trait]
pub trait Gate: Send + Sync + 'static {
    /// Whether `who` (a username, or `None` when signed out) may subscribe to `topic`.
    ///
    /// # Errors
    /// The refusal to answer with: [`Refusal::NotFound`] for a topic that isn't there or
    /// whose existence must not leak, [`Refusal::Forbidden`] for one `who` may not have,
    /// [`Refusal::Failed`] when the gate can't tell.
    async fn admit(&self, who: Option<&str>, topic: &str) -> Result<(), Refusal>;
}

/// A gate that answers at once, from what it is given: `|who, topic| …`.
#[async_trait]
impl<F> Gate for F
where
    F: Fn(Option<&str>, &str) -> Result<(), Refusal> + Send + Sync + 'static,
{
    async fn admit(&self, who: Option<&str>, topic: &str) -> Result<(), Refusal> {
        self(who, topic)
    }
}
