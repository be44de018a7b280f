//! Chat's domain types. Each input type can only be built by `parse`, so a value of it is
//! valid by construction; the same checks run in the browser and on the server.

use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::js::from_js_fields;
use crate::time::Timestamp;

/// Longest message body, in characters.
pub const MAX_BODY_CHARS: usize = 4_000;
/// Longest room title, in characters.
pub const MAX_TITLE_CHARS: usize = 80;
/// Longest room slug, in characters.
pub const MAX_SLUG_CHARS: usize = 48;

/// A room's address: `[a-z0-9-]{1,48}`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RoomSlug(String);

impl RoomSlug {
    /// # Errors
    /// Refuses an empty slug, one longer than 48 characters, or one with anything but
    /// lowercase ASCII letters, digits and hyphens.
    pub fn parse(raw: &str) -> Result<Self, AppError> {
        let valid_chars = raw
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if raw.is_empty() || raw.len() > MAX_SLUG_CHARS || !valid_chars {
            return Err(AppError::Invalid(format!(
                "the room address must be 1–{MAX_SLUG_CHARS} lowercase letters, digits or hyphens"
            )));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A room's title: 1–80 characters after trimming.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoomTitle(String);

impl RoomTitle {
    /// # Errors
    /// Refuses a title that is empty after trimming or longer than 80 characters.
    pub fn parse(raw: &str) -> Result<Self, AppError> {
        let title = raw.trim();
        let chars = title.chars().count();
        if chars == 0 || chars > MAX_TITLE_CHARS {
            return Err(AppError::Invalid(format!(
                "the room title must be 1–{MAX_TITLE_CHARS} characters"
            )));
        }
        Ok(Self(title.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A message's text, kept as typed (only `\r\n` line endings become `\n`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageBody(String);

impl MessageBody {
    /// # Errors
    /// Refuses text that is empty or only whitespace, or longer than 4,000 characters.
    pub fn parse(raw: &str) -> Result<Self, AppError> {
        let body = raw.replace("\r\n", "\n");
        if body.trim().is_empty() {
            return Err(AppError::Invalid("the message is empty".into()));
        }
        let chars = body.chars().count();
        if chars > MAX_BODY_CHARS {
            return Err(AppError::Invalid(format!(
                "the message is {chars} characters long; the limit is {MAX_BODY_CHARS}"
            )));
        }
        Ok(Self(body))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A stored message, as the API, the stream and the page see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// Commit-ordered id: a later message always has a larger id.
    pub id: i64,
    /// The slug of the room it was posted in.
    pub room: String,
    /// The username of the account that posted it (or, for messages from before accounts,
    /// the name it was posted under).
    pub author: String,
    /// Empty once the message is deleted.
    pub body: String,
    pub created_at: Timestamp,
    /// When its text was last changed; absent if never.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edited_at: Option<Timestamp>,
    /// When it was deleted; absent while it stands.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<Timestamp>,
}

/// A room as the directory lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomSummary {
    pub slug: String,
    pub title: String,
    /// Only its members see it.
    pub private: bool,
    pub message_count: i64,
    /// When the last message was posted, or when the room was created if it has none.
    pub last_activity: Timestamp,
    /// Who created it (and may delete any message in it); `null` for rooms from before
    /// accounts.
    pub creator: Option<String>,
    /// For a signed-in reader: how many messages by others came since they last read it
    /// (at most [`UNREAD_CAP`]); absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unread: Option<i64>,
    /// How many are reading it now: signed-in people, and signed-out readers by address.
    #[serde(default)]
    pub here: i64,
    /// For a comment thread, the page it is under; absent for a chat room.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread: Option<String>,
}

/// The most unread messages counted in a room ("99+" past it).
pub const UNREAD_CAP: i64 = 100;

/// A member of a private room.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub username: String,
    /// Whether they created the room (and so may remove others).
    pub creator: bool,
}

from_js_fields!(Message {
    id,
    room,
    author,
    body,
    created_at,
    edited_at,
    deleted_at
});

from_js_fields!(RoomSummary {
    slug,
    title,
    private,
    message_count,
    last_activity,
    creator,
    unread,
    here,
    thread
});

/// Which slice of a room's history to read. Messages come back oldest first.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page {
    /// Only messages with a smaller id (for "load older").
    pub before: Option<i64>,
    /// Only messages with a larger id (for catching up).
    pub after: Option<i64>,
    /// How many at most; see [`Page::MAX_LIMIT`].
    pub limit: Option<u32>,
}

impl Page {
    /// The page size when none is asked for.
    pub const DEFAULT_LIMIT: u32 = 50;
    /// The largest page a client may ask for.
    pub const MAX_LIMIT: u32 = 200;

    /// The limit to apply.
    ///
    /// # Errors
    /// Refuses a limit of 0 or above [`Page::MAX_LIMIT`].
    pub fn limit(&self) -> Result<u32, AppError> {
        match self.limit.unwrap_or(Self::DEFAULT_LIMIT) {
            limit @ 1..=Self::MAX_LIMIT => Ok(limit),
            _ => Err(AppError::Invalid(format!(
                "limit must be between 1 and {}",
                Self::MAX_LIMIT
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::js::native::round_trip;

    #[test]
    fn a_slug_of_lowercase_letters_digits_and_hyphens_is_accepted() {
        assert_eq!(RoomSlug::parse("rust-2026").unwrap().as_str(), "rust-2026");
        assert!(RoomSlug::parse(&"a".repeat(48)).is_ok());
    }

    #[test]
    fn a_slug_that_is_empty_too_long_or_has_other_characters_is_refused() {
        for bad in ["", "Rust", "a b", "ü", "a/b", "a_b", &"a".repeat(49)] {
            assert!(RoomSlug::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn a_title_is_trimmed_and_limited_to_80_characters() {
        assert_eq!(RoomTitle::parse("  Lobby ").unwrap().as_str(), "Lobby");
        assert!(RoomTitle::parse(&"é".repeat(80)).is_ok());
        assert!(RoomTitle::parse(&"é".repeat(81)).is_err());
        assert!(RoomTitle::parse("   ").is_err());
    }

    #[test]
    fn a_body_keeps_its_text_and_line_breaks_as_typed() {
        let body = MessageBody::parse("  <b>hi</b>\r\nthere  ").unwrap();
        assert_eq!(body.as_str(), "  <b>hi</b>\nthere  ");
    }

    #[test]
    fn a_body_that_is_blank_or_over_4000_characters_is_refused() {
        assert!(MessageBody::parse("").is_err());
        assert!(MessageBody::parse(" \n\t ").is_err());
        assert!(MessageBody::parse(&"ж".repeat(4_000)).is_ok());
        assert!(MessageBody::parse(&"ж".repeat(4_001)).is_err());
    }

    #[test]
    fn a_page_limit_defaults_to_50_and_is_capped_at_200() {
        assert_eq!(Page::default().limit(), Ok(50));
        let page = |limit| Page {
            limit: Some(limit),
            ..Page::default()
        };
        assert_eq!(page(200).limit(), Ok(200));
        assert!(page(0).limit().is_err());
        assert!(page(201).limit().is_err());
    }

    #[test]
    fn messages_and_rooms_read_back_in_the_browser_as_the_api_writes_them() {
        let message = Message {
            id: 7,
            room: "lobby".into(),
            author: "ada".into(),
            body: "<b>hi</b>\n\"ü\"".into(),
            created_at: Timestamp(1_795_000_000_000),
            edited_at: None,
            deleted_at: None,
        };
        let messages = vec![
            message.clone(),
            Message {
                edited_at: Some(Timestamp(1_795_000_060_000)),
                ..message.clone()
            },
            Message {
                body: String::new(),
                deleted_at: Some(Timestamp(1_795_000_120_000)),
                ..message
            },
        ];
        assert_eq!(round_trip(&messages), Some(messages));
        let room = RoomSummary {
            slug: "lobby".into(),
            title: "The lobby".into(),
            private: false,
            message_count: 12,
            last_activity: Timestamp(1_795_000_000_000),
            creator: None,
            unread: None,
            here: 0,
            thread: None,
        };
        let rooms = vec![
            room.clone(),
            RoomSummary {
                private: true,
                creator: Some("ada".into()),
                unread: Some(UNREAD_CAP),
                here: 3,
                ..room.clone()
            },
            RoomSummary {
                thread: Some("https://blog.example/a-post".into()),
                ..room
            },
        ];
        assert_eq!(round_trip(&rooms), Some(rooms));
    }
}
