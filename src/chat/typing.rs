//! What a room's readers learn of each other, never kept: who is here (presence, which the
//! live module reads off the open streams of the room's topic), and "alice is typing…" —
//! a signed-in reader tells the room they are typing, and everyone with the room open hears
//! it at once. The typing event has no cursor, so it is never replayed and never moves a
//! stream's `Last-Event-ID`; a client that misses one misses nothing that lasts.

use live_loader::{LiveEvent, Present};
use serde_json::json;

use super::domain::RoomSlug;
use super::events::event;
use super::room_topic;
use super::service::ChatService;
use crate::accounts::domain::Account;
use crate::error::AppError;
use crate::protect::{Rate, RateLimit};

/// At most one typing event per person every two seconds: a burst of one, 30 a minute.
pub(super) fn typing_limit() -> RateLimit<i64> {
    RateLimit::new(Some(Rate {
        burst: 1,
        per_minute: 30,
    }))
}

impl ChatService {
    /// Who has room `slug` open now, as `who` may see it.
    ///
    /// # Errors
    /// `Invalid` for a malformed slug, `RoomNotFound` if `who` may not see the room.
    pub async fn presence(&self, who: Option<&str>, slug: &str) -> Result<Present, AppError> {
        let room = self.room(who, slug).await?;
        Ok(self.presence.of(&room_topic(&room.slug)))
    }

    /// Tells room `slug`'s readers that `who` is typing. The composer says so at most every
    /// two seconds; sooner is refused, and nothing is sent.
    ///
    /// # Errors
    /// `Invalid` for a malformed slug, `RoomNotFound` if `who` may not see the room,
    /// `RateLimited` (with the seconds to wait) within two seconds of the last.
    pub async fn typing(&self, who: &Account, slug: &str) -> Result<(), AppError> {
        let slug = RoomSlug::parse(slug)?;
        let room = self.visible_room(Some(&who.username), &slug).await?;
        self.typing_limit.check(who.id).await?;
        let typing = typing_event(&slug, &who.username);
        self.bus.publish(match room.private {
            true => typing.only_for(self.access().await?.members(&room.slug).to_vec()),
            false => typing,
        });
        Ok(())
    }
}

/// That `username` is typing, as room `slug`'s topic carries it: `typing`, with no cursor.
fn typing_event(slug: &RoomSlug, username: &str) -> LiveEvent {
    let payload = json!({ "username": username });
    event(room_topic(slug.as_str()), "typing", None, &payload)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::timeline::RoomChange;
    use crate::js::native::parse;

    #[test]
    fn someone_typing_reads_back_in_the_browser_as_their_name() {
        let slug = RoomSlug::parse("lobby").unwrap();
        let read = parse(&typing_event(&slug, "ada").live_data());
        assert_eq!(read, Some(RoomChange::Typing("ada".into())));
    }

    #[test]
    fn who_is_here_reads_back_in_the_browser_as_it_was_written() {
        for (users, anonymous) in [(vec![], 0), (vec!["ada".to_owned(), "bob".into()], 2)] {
            let present = Present {
                users: users.clone(),
                anonymous,
            };
            let read = parse(&present.event(&room_topic("lobby")).live_data());
            let here = RoomChange::Presence(users, i64::from(anonymous));
            assert_eq!(read, Some(here));
        }
    }
}
