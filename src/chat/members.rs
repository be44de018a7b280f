//! Who is in a private room: members add others by username (within a rate per account,
//! and telling nobody who has an account unless they could add them), anyone may leave,
//! and the room's creator may remove anyone. Whoever is added sees the room appear in their
//! room list, live; whoever is removed loses it at once — their open streams of the room
//! get a resync and stop carrying it, and the gate refuses them from then on.

use live_loader::LiveEvent;
use serde_json::json;

use super::DIRECTORY_TOPIC;
use super::domain::{Member, RoomSlug};
use super::events::{directory_event, event};
use super::room_topic;
use super::service::ChatService;
use crate::accounts::domain::Account;
use crate::accounts::service::AccountService;
use crate::error::AppError;

impl ChatService {
    /// The members of private room `slug`, first added first, for a member to see.
    ///
    /// # Errors
    /// `RoomNotFound` if `who` may not see it; `Invalid` for a public room (it has none).
    pub async fn members(&self, who: &Account, slug: &str) -> Result<Vec<Member>, AppError> {
        let slug = self.private_room(who, slug).await?;
        Ok(self.access().await?.member_list(slug.as_str()))
    }

    /// Adds the account called `username` to private room `slug`, at member `by`'s request;
    /// answers the account added. The room is checked first — that `by` sees it and that it
    /// is private — so nobody learns from this whether a name has an account unless they
    /// could add it; each try, found or not, counts against `by`'s rate.
    ///
    /// # Errors
    /// `RoomNotFound` if `by` may not see the room; `Invalid` for a public room;
    /// `RateLimited` after too many additions; `AccountNotFound` for a name no account has
    /// (malformed or not: one answer).
    pub async fn add_member(
        &self,
        by: &Account,
        slug: &str,
        username: &str,
        accounts: &AccountService,
    ) -> Result<Account, AppError> {
        let slug = self.private_room(by, slug).await?;
        self.limits.members.check(by.id).await?;
        let added = &accounts.account(username).await?;
        self.store.add_member(&slug, added).await?;
        self.cache.clear_access();
        let room = self.visible_room(Some(&added.username), &slug).await?;
        self.bus
            .publish(directory_event(&room).only_for(vec![added.username.clone()]));
        Ok(added.clone())
    }

    /// Takes `username` off private room `slug`: `by` leaving, or the creator removing them;
    /// answers the account removed.
    ///
    /// # Errors
    /// `RoomNotFound` if `by` may not see the room; `Invalid` for a public room;
    /// `Forbidden` if `by` is neither `removed` nor the creator; `NotAMember`.
    pub async fn remove_member(
        &self,
        by: &Account,
        slug: &str,
        username: &str,
        accounts: &AccountService,
    ) -> Result<Account, AppError> {
        // The room first, as for adding; someone without an account is not a member.
        let slug = self.private_room(by, slug).await?;
        let removed = &match accounts.account(username).await {
            Err(AppError::AccountNotFound(_)) => Err(AppError::NotAMember(username.to_owned())),
            found => found,
        }?;
        let leaving = by.username == removed.username;
        if !leaving && !self.access().await?.is_creator(slug.as_str(), &by.username) {
            return Err(AppError::Forbidden(
                "only the room's creator can remove other members".into(),
            ));
        }
        if !self.store.remove_member(&slug, removed).await? {
            return Err(AppError::NotAMember(removed.username.clone()));
        }
        self.cache.clear_access();
        let who = removed.username.as_str();
        self.bus
            .publish(LiveEvent::revoke(&room_topic(slug.as_str()), who));
        self.bus
            .publish(gone_event(&slug).only_for(vec![who.to_owned()]));
        Ok(removed.clone())
    }

    /// Room `slug`, which `who` may see and which is private.
    async fn private_room(&self, who: &Account, slug: &str) -> Result<RoomSlug, AppError> {
        let slug = RoomSlug::parse(slug)?;
        let room = self.visible_room(Some(&who.username), &slug).await?;
        if !room.private {
            return Err(AppError::Invalid(
                "this room is public: everyone can read it, so it has no members to manage".into(),
            ));
        }
        Ok(slug)
    }
}

/// That room `slug` is gone from someone's list, as the directory's topic carries it:
/// `gone`, with the slug.
fn gone_event(slug: &RoomSlug) -> LiveEvent {
    let payload = json!({ "gone": slug.as_str() });
    event(DIRECTORY_TOPIC.into(), "gone", None, &payload)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::domain::RoomSummary;
    use crate::chat::room_list::Gone;
    use crate::js::native::parse;

    #[test]
    fn a_room_gone_reads_back_in_the_browser_as_its_slug_and_not_as_a_room() {
        let data = gone_event(&RoomSlug::parse("lobby").unwrap()).live_data();
        let gone = "lobby".to_owned();
        assert_eq!(parse(&data), Some(Gone { gone }));
        assert_eq!(parse::<RoomSummary>(&data), None);
    }
}
