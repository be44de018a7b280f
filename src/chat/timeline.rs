//! The list of messages a room shows, as plain functions the island calls: what an event
//! changes, where arrivals go, and which messages share a name header.

use super::domain::Message;
use crate::js::{FromJs, Json, field};
use crate::time::Timestamp;

/// Messages by one author within this long of the one before sit under one name.
const GROUP_MS: i64 = 5 * 60 * 1000;

/// A change to the room as its topic carries it on the multi-topic stream.
#[derive(Debug, PartialEq)]
pub(super) enum RoomChange {
    New(Message),
    Edited(Message),
    Deleted(i64),
    /// Someone is typing (never kept: no cursor).
    Typing(String),
    /// Who has the room open now: signed-in usernames, and how many signed-out readers.
    Presence(Vec<String>, i64),
}

impl FromJs for RoomChange {
    fn from_js<J: Json>(value: &J) -> Option<Self> {
        match field::<String>(value, "kind")?.as_str() {
            "message" => Message::from_js(value).map(Self::New),
            "edited" => Message::from_js(value).map(Self::Edited),
            "deleted" => field(value, "id").map(Self::Deleted),
            "typing" => field(value, "username").map(Self::Typing),
            "presence" => Some(Self::Presence(
                field(value, "users")?,
                field(value, "anonymous")?,
            )),
            _ => None,
        }
    }
}

/// Puts each of `arrived` into `shown` in id order; one there already (the reply to a post
/// and its event both bring it) replaces it only if it is a later state of it (edited or
/// deleted since). How many were new.
pub(super) fn insert(shown: &mut Vec<Message>, arrived: Vec<Message>) -> u32 {
    let mut added = 0;
    for message in arrived {
        match shown.binary_search_by_key(&message.id, |m| m.id) {
            Ok(at) if is_later(&message, &shown[at]) => shown[at] = message,
            Ok(_) => {}
            Err(at) => {
                shown.insert(at, message);
                added += 1;
            }
        }
    }
    added
}

/// Whether `message` is a later state of the same message than `than`: deleted since, or
/// edited since.
pub(super) fn is_later(message: &Message, than: &Message) -> bool {
    let state = |m: &Message| (m.deleted_at.is_some(), m.edited_at);
    state(message) > state(than)
}

/// Puts `changed`, a message as it now reads, in place of the one shown with its id, if
/// any.
pub(super) fn replace(shown: &mut [Message], changed: Message) {
    if let Ok(at) = shown.binary_search_by_key(&changed.id, |m| m.id) {
        shown[at] = changed;
    }
}

/// Shows message `id` as deleted (`at`, unless it was known to be deleted already): no
/// text, in its place.
pub(super) fn delete(shown: &mut [Message], id: i64, at: Timestamp) {
    if let Some(gone) = shown.iter_mut().find(|m| m.id == id) {
        gone.body.clear();
        gone.deleted_at.get_or_insert(at);
    }
}

/// Each message with whether it continues the one before: same author, within
/// [`GROUP_MS`].
pub(super) fn grouped(messages: &[Message]) -> Vec<(Message, bool)> {
    let mut before: Option<&Message> = None;
    messages
        .iter()
        .map(|message| {
            let continues = before.is_some_and(|before| {
                before.author == message.author
                    && message.created_at.millis() - before.created_at.millis() < GROUP_MS
            });
            before = Some(message);
            (message.clone(), continues)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(id: i64, author: &str, minute: i64) -> Message {
        Message {
            id,
            room: "r".into(),
            author: author.into(),
            body: "hi".into(),
            created_at: Timestamp(minute * 60_000),
            edited_at: None,
            deleted_at: None,
        }
    }

    #[test]
    fn messages_by_one_author_within_five_minutes_share_a_name() {
        let messages = [
            message(1, "ada", 0),
            message(2, "ada", 4),
            message(3, "ada", 10),
            message(4, "bob", 10),
            message(5, "ada", 11),
        ];
        let continues: Vec<bool> = grouped(&messages).into_iter().map(|(_, c)| c).collect();
        assert_eq!(continues, [false, true, false, false, false]);
    }

    #[test]
    fn arrivals_go_in_id_order_and_each_message_is_shown_once() {
        let mut shown = vec![message(1, "a", 0), message(4, "a", 0)];
        let added = insert(&mut shown, vec![message(4, "a", 0), message(2, "b", 0)]);
        assert_eq!(added, 1);
        let ids: Vec<i64> = shown.iter().map(|m| m.id).collect();
        assert_eq!(ids, [1, 2, 4]);
    }

    #[test]
    fn a_later_state_of_a_message_shown_replaces_it_and_an_earlier_one_does_not() {
        let edited = Message {
            body: "edited".into(),
            edited_at: Some(Timestamp(5)),
            ..message(1, "a", 0)
        };
        let mut shown = vec![message(1, "a", 0)];
        assert_eq!(insert(&mut shown, vec![edited.clone()]), 0);
        assert_eq!(shown, std::slice::from_ref(&edited));
        insert(&mut shown, vec![message(1, "a", 0)]);
        assert_eq!(
            shown,
            [edited],
            "the original, arriving late, changes nothing"
        );
    }

    #[test]
    fn an_edit_replaces_the_message_shown_and_one_of_a_message_not_shown_changes_nothing() {
        let mut shown = vec![message(1, "a", 0), message(3, "a", 0)];
        let edited = Message {
            body: "edited".into(),
            edited_at: Some(Timestamp(5)),
            ..message(3, "a", 0)
        };
        replace(&mut shown, edited.clone());
        assert_eq!(shown, [message(1, "a", 0), edited.clone()]);
        replace(&mut shown, message(2, "a", 0));
        assert_eq!(shown, [message(1, "a", 0), edited]);
    }

    #[test]
    fn a_deleted_message_keeps_its_place_without_its_text_and_the_first_time_it_went() {
        let mut shown = vec![message(1, "a", 0), message(2, "a", 0)];
        delete(&mut shown, 2, Timestamp(7));
        delete(&mut shown, 2, Timestamp(9));
        delete(&mut shown, 3, Timestamp(9));
        let gone = Message {
            body: String::new(),
            deleted_at: Some(Timestamp(7)),
            ..message(2, "a", 0)
        };
        assert_eq!(shown, [message(1, "a", 0), gone]);
    }
}
