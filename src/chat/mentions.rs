//! Who a message mentions: each `@username` that starts a word (so `ada@example.com`
//! mentions nobody), read as usernames are — capitals taken as lowercase — each name once.
//! Who of them may read the room is the service's question; which name accounts, the
//! store's, which notifies the first `NOTIFIED_AT_MOST` (50) that do, and no more.

use crate::accounts::domain::USERNAME_CHARS;

/// The usernames `body` mentions, in the order they first appear, each once, leaving out
/// `author` (mentioning oneself notifies nobody).
pub fn mentioned(body: &str, author: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let mut before = None;
    for (at, c) in body.char_indices() {
        let starts_word = before.is_none_or(|b: char| !b.is_alphanumeric() && !is_name_char(b));
        before = Some(c);
        if c != '@' || !starts_word {
            continue;
        }
        let rest = &body[at + 1..];
        let len = rest.find(|c: char| !is_name_char(c)).unwrap_or(rest.len());
        let name = rest[..len].to_ascii_lowercase();
        // A name followed by more word characters (`@ada’s` is fine, `@adaé` is not one).
        let whole = rest[len..]
            .chars()
            .next()
            .is_none_or(|c| !c.is_alphanumeric());
        if USERNAME_CHARS.contains(&len) && whole && name != author && !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_name_is_mentioned_once_in_the_order_it_first_appears() {
        let names = mentioned("@bob and @Ada, then @bob again (@ada!)", "eve");
        assert_eq!(names, ["bob", "ada"]);
    }

    #[test]
    fn the_author_mentioning_themself_mentions_nobody() {
        assert!(mentioned("note to self: @eve", "eve").is_empty());
    }

    #[test]
    fn an_at_sign_inside_a_word_or_an_address_is_not_a_mention() {
        assert!(mentioned("mail ada@example.com or x@bob", "eve").is_empty());
    }

    #[test]
    fn names_too_short_too_long_or_running_into_other_letters_are_not_mentions() {
        let long = format!("@{}", "a".repeat(25));
        assert!(mentioned(&format!("@ab {long} @adaé @"), "eve").is_empty());
        assert_eq!(mentioned("(@ada) @grace-h.", "eve"), ["ada", "grace-h"]);
    }
}
