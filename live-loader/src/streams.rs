//! What the leader tab's streams are asked for and carry: where each resumes a topic (no tab
//! wanting it has seen less), and which topics may have missed events while no stream
//! carried them — those without cursors, which a resumed stream can't replay.
//!
//! Plain bookkeeping with no browser in it, so native tests reach it; `leader.rs` calls it
//! as its streams are rebuilt, asked for, opened and dropped.

use super::STREAM_PATH;

/// The topics that may have missed events while no stream carried them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Gap {
    /// Every topic: the stream follows one that dropped, or another tab's.
    All,
    Topics(Vec<String>),
}

#[derive(Default)]
pub(super) struct Streams {
    /// Where a stream resumes each topic: no tab wanting it has seen less.
    positions: Vec<(String, i64)>,
    /// The topics streams have been asked for, open or opening: a tab that wants one from
    /// further back than its position has it asked for again.
    requested: Vec<String>,
    /// The topics of the streams now open.
    carried: Vec<String>,
    /// Topics that open streams carried and no longer do: the ones without cursors may
    /// have missed something, and catch up when a stream carries them again.
    carried_before: Vec<String>,
    /// Whether the first streams follow another tab's: every topic catches up then.
    took_over: bool,
}

impl Streams {
    /// The book of a leader that starts now; `took_over` when another tab led before (its
    /// streams' last events may not have reached every tab).
    pub(super) fn new(took_over: bool) -> Self {
        Self {
            took_over,
            ..Self::default()
        }
    }

    /// Whether no stream has opened since another tab led.
    pub(super) fn took_over(&self) -> bool {
        self.took_over
    }

    /// A tab has each of `topics` up to its cursor. A topic it has less of than its position
    /// resumes from the tab's cursor from now on; whether a stream was asked for one of
    /// those already (then rebuild the streams: the tab gets what it missed as a replay, and
    /// the other tabs drop what they have).
    pub(super) fn want(&mut self, topics: &[(String, Option<i64>)]) -> bool {
        let mut behind = false;
        for (topic, cursor) in topics {
            let Some(cursor) = *cursor else { continue };
            if self
                .position(topic)
                .is_none_or(|position| cursor < position)
            {
                self.set_position(topic, cursor);
                behind |= self.requested.contains(topic);
            }
        }
        behind
    }

    /// The streams before are cancelled, and new ones will be asked for `union`.
    pub(super) fn rebuild(&mut self, union: &[String]) {
        self.requested.clear();
        for topic in self.carried.drain(..) {
            if !self.carried_before.contains(&topic) {
                self.carried_before.push(topic);
            }
        }
        self.positions.retain(|(topic, _)| union.contains(topic));
    }

    /// `/live?topic=…` for a stream of `topics`, each from its position, so the stream
    /// resumes there.
    pub(super) fn url(&mut self, topics: &[String]) -> String {
        self.requested.extend(topics.iter().cloned());
        let query: Vec<String> = topics
            .iter()
            .map(|topic| match self.position(topic) {
                Some(cursor) if cursor >= 0 => format!("topic={topic}@{cursor}"),
                _ => format!("topic={topic}"),
            })
            .collect();
        format!("{STREAM_PATH}?{}", query.join("&"))
    }

    /// A stream of `topics` opened; `after_gap` when it follows one that dropped (or
    /// another tab's). What may have missed events, to catch up.
    pub(super) fn opened(&mut self, topics: &[String], after_gap: bool) -> Gap {
        let gap = if after_gap {
            Gap::All
        } else {
            let missed = topics.iter().filter(|topic| {
                self.carried_before.contains(topic) && self.position(topic).is_none()
            });
            Gap::Topics(missed.cloned().collect())
        };
        self.carried_before.retain(|topic| !topics.contains(topic));
        self.carried.extend(topics.iter().cloned());
        self.took_over = false;
        gap
    }

    /// A stream of `topics` ended.
    pub(super) fn dropped(&mut self, topics: &[String]) {
        self.requested.retain(|topic| !topics.contains(topic));
        for topic in topics {
            if self.carried.contains(topic) && !self.carried_before.contains(topic) {
                self.carried_before.push(topic.clone());
            }
        }
        self.carried.retain(|topic| !topics.contains(topic));
    }

    /// An event of `topic` at `cursor` came: streams resume after it.
    pub(super) fn delivered(&mut self, topic: &str, cursor: i64) {
        let newest = self
            .position(topic)
            .map_or(cursor, |known| known.max(cursor));
        self.set_position(topic, newest);
    }

    fn position(&self, topic: &str) -> Option<i64> {
        self.positions
            .iter()
            .find(|(known, _)| known == topic)
            .map(|(_, cursor)| *cursor)
    }

    fn set_position(&mut self, topic: &str, cursor: i64) {
        match self.positions.iter_mut().find(|(known, _)| known == topic) {
            Some((_, known)) => *known = cursor,
            None => self.positions.push((topic.to_owned(), cursor)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(names: &[&str]) -> Vec<String> {
        names.iter().map(|name| (*name).to_owned()).collect()
    }

    fn at(topic: &str, cursor: Option<i64>) -> Vec<(String, Option<i64>)> {
        vec![(topic.to_owned(), cursor)]
    }

    /// A leader whose stream of `topics` has opened.
    fn open(topics: &[&str]) -> Streams {
        let mut streams = Streams::new(false);
        streams.rebuild(&names(topics));
        streams.url(&names(topics));
        assert_eq!(streams.opened(&names(topics), false), Gap::Topics(vec![]));
        streams
    }

    #[test]
    fn a_stream_resumes_each_topic_from_the_oldest_cursor_a_tab_has() {
        let mut streams = Streams::new(false);
        let wanted = [("a".to_owned(), Some(5)), ("b".to_owned(), None)];
        assert!(!streams.want(&wanted));
        assert!(!streams.want(&at("a", Some(3))));
        assert!(!streams.want(&at("a", Some(7))));
        assert!(!streams.want(&at("c", Some(-1))));
        assert_eq!(
            streams.url(&names(&["a", "b", "c"])),
            "/live?topic=a@3&topic=b&topic=c"
        );
    }

    #[test]
    fn events_move_a_topics_position_forward_never_back() {
        let mut streams = open(&["a"]);
        streams.delivered("a", 9);
        streams.delivered("a", 4);
        streams.rebuild(&names(&["a"]));
        assert_eq!(streams.url(&names(&["a"])), "/live?topic=a@9");
    }

    #[test]
    fn a_want_arriving_while_a_stream_opens_has_it_asked_again_from_the_older_cursor() {
        let mut streams = Streams::new(false);
        assert!(!streams.want(&at("a", Some(5))));
        streams.rebuild(&names(&["a"]));
        assert_eq!(streams.url(&names(&["a"])), "/live?topic=a@5");
        // Not open yet: the tab's older cursor must still reach the stream.
        assert!(streams.want(&at("a", Some(3))), "rebuild");
        streams.rebuild(&names(&["a"]));
        assert_eq!(streams.url(&names(&["a"])), "/live?topic=a@3");
    }

    #[test]
    fn a_tab_behind_an_open_stream_gets_it_asked_again_from_its_cursor() {
        let mut streams = Streams::new(false);
        assert!(!streams.want(&at("a", Some(5))));
        streams.url(&names(&["a"]));
        assert_eq!(streams.opened(&names(&["a"]), false), Gap::Topics(vec![]));
        assert!(streams.want(&at("a", Some(3))), "rebuild");
        streams.rebuild(&names(&["a"]));
        assert_eq!(streams.url(&names(&["a"])), "/live?topic=a@3", "a replay");
    }

    #[test]
    fn a_tab_as_far_on_as_the_stream_or_further_changes_nothing() {
        let mut streams = Streams::new(false);
        assert!(!streams.want(&at("a", Some(5))));
        streams.url(&names(&["a"]));
        assert!(!streams.want(&at("a", Some(5))));
        assert!(!streams.want(&at("a", Some(8))));
        assert!(!streams.want(&at("a", None)));
    }

    #[test]
    fn a_want_before_the_rebuilt_stream_is_asked_for_needs_no_other_rebuild() {
        let mut streams = open(&["a"]);
        streams.delivered("a", 5);
        streams.rebuild(&names(&["a"]));
        assert!(!streams.want(&at("a", Some(2))));
        assert_eq!(streams.url(&names(&["a"])), "/live?topic=a@2");
    }

    #[test]
    fn rebuilt_streams_forget_the_positions_of_topics_no_tab_wants() {
        let mut streams = Streams::new(false);
        assert!(!streams.want(&[("a".into(), Some(5)), ("b".into(), Some(6))]));
        streams.rebuild(&names(&["a"]));
        assert_eq!(streams.url(&names(&["a", "b"])), "/live?topic=a@5&topic=b");
    }

    #[test]
    fn a_cursorless_topic_a_stream_carried_before_catches_up_when_one_carries_it_again() {
        let mut streams = open(&["a", "c"]);
        streams.delivered("c", 4);
        streams.rebuild(&names(&["a", "b", "c"]));
        streams.url(&names(&["a", "b", "c"]));
        let gap = streams.opened(&names(&["a", "b", "c"]), false);
        // c resumes from its cursor, and b was never carried.
        assert_eq!(gap, Gap::Topics(names(&["a"])));
        streams.rebuild(&names(&["a", "b", "c"]));
        let gap = streams.opened(&names(&["b"]), false);
        assert_eq!(gap, Gap::Topics(names(&["b"])));
    }

    #[test]
    fn a_dropped_stream_remembers_its_topics_for_the_streams_after_it() {
        let mut streams = open(&["a"]);
        streams.dropped(&names(&["a"]));
        // Before it comes back, another tab wants b: new streams, not one after a gap.
        streams.rebuild(&names(&["a", "b"]));
        streams.url(&names(&["a", "b"]));
        let gap = streams.opened(&names(&["a", "b"]), false);
        assert_eq!(
            gap,
            Gap::Topics(names(&["a"])),
            "a missed what came meanwhile"
        );
    }

    #[test]
    fn a_dropped_stream_is_asked_for_no_more() {
        let mut streams = Streams::new(false);
        assert!(!streams.want(&at("a", Some(5))));
        streams.url(&names(&["a"]));
        streams.dropped(&names(&["a"]));
        assert!(!streams.want(&at("a", Some(3))), "its next try asks from 3");
        assert_eq!(streams.url(&names(&["a"])), "/live?topic=a@3");
    }

    #[test]
    fn a_set_of_streams_that_never_opened_keeps_what_the_last_one_carried() {
        let mut streams = open(&["a"]);
        streams.rebuild(&names(&["a", "b"]));
        streams.url(&names(&["a", "b"]));
        // Rebuilt again before it opened.
        streams.rebuild(&names(&["a", "b", "c"]));
        streams.url(&names(&["a", "b", "c"]));
        let gap = streams.opened(&names(&["a", "b", "c"]), false);
        assert_eq!(gap, Gap::Topics(names(&["a"])));
    }

    #[test]
    fn a_stream_after_a_drop_or_another_tabs_catches_up_everything() {
        let mut streams = Streams::new(true);
        assert!(streams.took_over());
        streams.url(&names(&["a"]));
        assert_eq!(streams.opened(&names(&["a"]), true), Gap::All);
        assert!(!streams.took_over());
        streams.dropped(&names(&["a"]));
        assert_eq!(streams.opened(&names(&["a"]), true), Gap::All);
    }
}
