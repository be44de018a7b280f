//! Re-reading a room after a gap (a reconnect, a resync): every message from the oldest
//! shown on, page by page, as they are now — edits and deletions may have been missed, not
//! only new messages — merged with what arrived as events while the read was under way.
//! Plain functions, so native tests reach them; the room's island calls them.

use std::future::Future;

use super::domain::{Message, Page};
use super::timeline::is_later;
use crate::error::AppError;

/// Every message after `after` as it is now, read with `page_after` (the page of messages
/// after a cursor) page by page until one is not full.
///
/// # Errors
/// The first error a page answers with.
pub(super) async fn read_after<P, F>(
    mut after: i64,
    mut page_after: P,
) -> Result<Vec<Message>, AppError>
where
    P: FnMut(i64) -> F,
    F: Future<Output = Result<Vec<Message>, AppError>>,
{
    let mut read = Vec::new();
    loop {
        let page = page_after(after).await?;
        let full = page.len() == Page::DEFAULT_LIMIT as usize;
        after = page.last().map_or(after, |m| m.id);
        read.extend(page);
        if !full {
            return Ok(read);
        }
    }
}

/// Puts `current`, what a re-read of every message after `after` found, in place of
/// `shown`. What arrived as events while the read was under way is newer than what it saw
/// and stays: messages after the last it read, and edits and deletions of those it read.
/// How many of `current` are newer than anything shown.
pub(super) fn merge(shown: &mut Vec<Message>, mut current: Vec<Message>, after: i64) -> u32 {
    for message in &mut current {
        if let Ok(at) = shown.binary_search_by_key(&message.id, |m| m.id)
            && is_later(&shown[at], message)
        {
            *message = shown[at].clone();
        }
    }
    let known = shown.last().map_or(0, |m| m.id);
    let added = current.iter().filter(|m| m.id > known).count() as u32;
    let read_up_to = current.last().map_or(after, |m| m.id);
    let arrived: Vec<_> = shown
        .iter()
        .filter(|m| m.id > read_up_to)
        .cloned()
        .collect();
    *shown = current;
    shown.extend(arrived);
    added
}

#[cfg(test)]
mod tests {
    use std::future::ready;
    use std::pin::pin;
    use std::task::{Context, Poll, Waker};

    use super::*;
    use crate::time::Timestamp;

    fn message(id: i64, body: &str) -> Message {
        Message {
            id,
            room: "r".into(),
            author: "ada".into(),
            body: body.into(),
            created_at: Timestamp(id),
            edited_at: None,
            deleted_at: None,
        }
    }

    fn messages(ids: impl IntoIterator<Item = i64>) -> Vec<Message> {
        ids.into_iter().map(|id| message(id, "hi")).collect()
    }

    /// Message `id` as edited at 9.
    fn edited(id: i64) -> Message {
        let edited_at = Some(Timestamp(9));
        Message {
            edited_at,
            ..message(id, "edited")
        }
    }

    /// Message `id` as deleted at 9.
    fn deleted(id: i64) -> Message {
        let deleted_at = Some(Timestamp(9));
        Message {
            deleted_at,
            ..message(id, "")
        }
    }

    fn ids(shown: &[Message]) -> Vec<i64> {
        shown.iter().map(|m| m.id).collect()
    }

    /// Runs `read_after` over a room of messages 1..=`newest`, answering each page at once;
    /// the cursors it asked for, and what it read.
    fn read_room(after: i64, newest: i64) -> (Vec<i64>, Result<Vec<Message>, AppError>) {
        let mut asked = Vec::new();
        let limit = i64::from(Page::DEFAULT_LIMIT);
        let read = read_after(after, |cursor| {
            asked.push(cursor);
            ready(Ok(messages(cursor + 1..=newest.min(cursor + limit))))
        });
        let Poll::Ready(read) = pin!(read).poll(&mut Context::from_waker(Waker::noop())) else {
            panic!("every page was ready");
        };
        (asked, read)
    }

    #[test]
    fn a_re_read_reads_page_after_page_until_one_is_not_full() {
        let (asked, read) = read_room(10, 130);
        assert_eq!(asked, [10, 60, 110]);
        assert_eq!(ids(&read.unwrap()), (11..=130).collect::<Vec<_>>());
    }

    #[test]
    fn a_re_read_that_ends_on_a_full_page_asks_once_more() {
        let (asked, read) = read_room(0, 100);
        assert_eq!(asked, [0, 50, 100]);
        assert_eq!(read.unwrap().len(), 100);
    }

    #[test]
    fn a_page_that_fails_fails_the_re_read() {
        let read = read_after(0, |_| ready(Err(AppError::Unreachable)));
        let poll = pin!(read).poll(&mut Context::from_waker(Waker::noop()));
        assert_eq!(poll, Poll::Ready(Err(AppError::Unreachable)));
    }

    #[test]
    fn a_re_read_shows_edits_deletions_and_messages_missed_meanwhile() {
        let mut shown = messages([1, 2, 3]);
        let (edited, deleted) = (edited(2), deleted(3));
        let current = vec![message(1, "hi"), edited, deleted, message(4, "new")];
        assert_eq!(merge(&mut shown, current.clone(), 0), 1);
        assert_eq!(shown, current);
    }

    #[test]
    fn a_re_read_keeps_a_message_that_arrived_as_an_event_while_it_was_under_way() {
        // The read saw up to 3; 4 arrived as an event before its answer did.
        let mut shown = messages([1, 2, 4]);
        merge(&mut shown, messages([1, 2, 3]), 0);
        assert_eq!(ids(&shown), [1, 2, 3, 4]);
    }

    #[test]
    fn a_re_read_keeps_an_edit_or_a_deletion_that_arrived_while_it_was_under_way() {
        // The read saw 2 and 3 as they were; then their edit and deletion arrived as events
        // before its answer did.
        let (edited, deleted) = (edited(2), deleted(3));
        let mut shown = vec![message(1, "hi"), edited.clone(), deleted.clone()];
        assert_eq!(merge(&mut shown, messages([1, 2, 3]), 0), 0);
        assert_eq!(shown, [message(1, "hi"), edited, deleted]);
    }

    #[test]
    fn a_re_read_that_finds_nothing_after_the_oldest_keeps_what_is_shown() {
        let mut shown = messages([5, 6]);
        assert_eq!(merge(&mut shown, vec![], 4), 0);
        assert_eq!(ids(&shown), [5, 6]);
    }
}
