//! Who may see what: public rooms are everyone's; a private room is its members'. Read from
//! the store's memberships once, kept in the read cache until a membership changes.

use std::collections::HashMap;

use super::domain::{Member, RoomSummary};
use super::store::Membership;

/// The members of every private room.
#[derive(Debug, Default)]
pub struct Access {
    rooms: HashMap<String, Members>,
}

#[derive(Debug, Default)]
struct Members {
    creator: Option<String>,
    usernames: Vec<String>,
}

impl Access {
    /// Who may see what, from every private room's memberships.
    pub fn new(memberships: Vec<Membership>) -> Self {
        let mut rooms: HashMap<String, Members> = HashMap::new();
        for membership in memberships {
            let members = rooms.entry(membership.room).or_default();
            if membership.creator {
                members.creator = Some(membership.username.clone());
            }
            members.usernames.push(membership.username);
        }
        Self { rooms }
    }

    /// Whether `who` (signed in, or not) may see `room`.
    pub fn can_see(&self, room: &RoomSummary, who: Option<&str>) -> bool {
        !room.private || who.is_some_and(|who| self.is_member(&room.slug, who))
    }

    /// Whether `who` is a member of private room `slug`.
    pub fn is_member(&self, slug: &str, who: &str) -> bool {
        self.members(slug).iter().any(|member| member == who)
    }

    /// The members of private room `slug`, first added first.
    pub fn members(&self, slug: &str) -> &[String] {
        self.rooms
            .get(slug)
            .map_or(&[], |members| &members.usernames)
    }

    /// The members of private room `slug`, first added first, with who created it.
    pub fn member_list(&self, slug: &str) -> Vec<Member> {
        self.members(slug)
            .iter()
            .map(|username| Member {
                username: username.clone(),
                creator: self.is_creator(slug, username),
            })
            .collect()
    }

    /// Whether `who` created private room `slug` (and is still a member).
    pub fn is_creator(&self, slug: &str, who: &str) -> bool {
        self.rooms
            .get(slug)
            .and_then(|members| members.creator.as_deref())
            == Some(who)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Timestamp;

    fn room(slug: &str, private: bool) -> RoomSummary {
        RoomSummary {
            slug: slug.into(),
            title: slug.into(),
            private,
            message_count: 0,
            last_activity: Timestamp(0),
            creator: None,
            unread: None,
            here: 0,
            thread: None,
        }
    }

    fn member(room: &str, username: &str, creator: bool) -> Membership {
        Membership {
            room: room.into(),
            username: username.into(),
            creator,
        }
    }

    #[test]
    fn a_public_room_is_everyones_and_a_private_one_only_its_members() {
        let access = Access::new(vec![
            member("secret", "ada", true),
            member("secret", "grace", false),
        ]);
        assert!(access.can_see(&room("lobby", false), None));
        assert!(access.can_see(&room("secret", true), Some("grace")));
        assert!(!access.can_see(&room("secret", true), Some("eve")));
        assert!(!access.can_see(&room("secret", true), None));
        assert!(access.is_creator("secret", "ada"));
        assert!(!access.is_creator("secret", "grace"));
        assert_eq!(access.members("secret"), ["ada", "grace"]);
    }
}
