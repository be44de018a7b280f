//! Which topics the leader tab's streams are for: the union of every tab's wants, but the
//! topics the server refuses. The union grows at once and shrinks late: a tab that navigates
//! leaves and comes back wanting something else soon after, which should cost one reconnect.
//!
//! Plain bookkeeping with no browser in it, so native tests reach it; `leader.rs` does what
//! each change asks for ([`Next`]).

use super::REVOKED_EVENT;

/// A tab's id among the browser's tabs, random.
pub(super) type Tab = u32;

/// What a change to the wants asks of the leader.
#[must_use]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Next {
    /// The streams carry what they should.
    Nothing,
    /// Rebuild the streams now, for the new [`Wants::union`].
    Rebuild,
    /// The tabs want less than the streams carry: call [`Wants::shrink`] in a while.
    ShrinkLater,
}

#[derive(Default)]
pub(super) struct Wants {
    /// Each tab's topics, the leader's own included.
    by_tab: Vec<(Tab, Vec<String>)>,
    /// What the streams are for: every tab's topics, but the refused.
    union: Vec<String>,
    /// Topics the person lost access to (a `revoked` event): left out while a tab wants
    /// them, since the server would refuse the whole stream for them.
    refused: Vec<String>,
    /// Whether a [`Wants::shrink`] is due.
    shrinking: bool,
}

impl Wants {
    /// What the streams are for.
    pub(super) fn union(&self) -> &[String] {
        &self.union
    }

    /// `tab` now wants `topics`, instead of what it wanted before.
    pub(super) fn want(&mut self, tab: Tab, topics: Vec<String>) -> Next {
        self.by_tab.retain(|(known, _)| *known != tab);
        self.by_tab.push((tab, topics));
        self.update(false)
    }

    /// `tab` has gone.
    pub(super) fn leave(&mut self, tab: Tab) -> Next {
        self.by_tab.retain(|(known, _)| *known != tab);
        self.update(false)
    }

    /// Forgets the wants of tabs that are neither `own` nor among the `open` ones: they went
    /// without saying so.
    pub(super) fn keep(&mut self, own: Tab, open: &[Tab]) -> Next {
        let before = self.by_tab.len();
        self.by_tab
            .retain(|(known, _)| *known == own || open.contains(known));
        if self.by_tab.len() < before {
            self.update(false)
        } else {
            Next::Nothing
        }
    }

    /// Leaves `topic` out of the streams while a tab wants it: the server refuses it.
    pub(super) fn refuse(&mut self, topic: &str) -> Next {
        if !self.refused.iter().any(|known| known == topic) {
            self.refused.push(topic.to_owned());
        }
        self.update(true)
    }

    /// The while after [`Next::ShrinkLater`] is over: the union becomes what the tabs want
    /// now.
    pub(super) fn shrink(&mut self) -> Next {
        self.shrinking = false;
        self.update(true)
    }

    /// The union for what the tabs want: at once when that is more than it was (or `now`),
    /// later when it is less.
    fn update(&mut self, now: bool) -> Next {
        let Self {
            by_tab, refused, ..
        } = self;
        refused.retain(|topic| by_tab.iter().any(|(_, topics)| topics.contains(topic)));
        let mut union: Vec<String> = Vec::new();
        for topic in by_tab.iter().flat_map(|(_, topics)| topics) {
            if !union.contains(topic) && !refused.contains(topic) {
                union.push(topic.clone());
            }
        }
        let grows = union.iter().any(|topic| !self.union.contains(topic));
        let shrinks = self.union.iter().any(|topic| !union.contains(topic));
        if grows || (shrinks && now) {
            self.union = union;
            Next::Rebuild
        } else if shrinks && !self.shrinking {
            self.shrinking = true;
            Next::ShrinkLater
        } else {
            Next::Nothing
        }
    }
}

/// The topic a `resync` event's data says the person lost access to
/// (`{"revoked":"room:a"}`), if it says so.
pub(super) fn revoked(data: &str) -> Option<&str> {
    let prefix = format!("{{\"{REVOKED_EVENT}\":\"");
    data.strip_prefix(&prefix)
        .and_then(|rest| rest.split('"').next())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn topics(names: &[&str]) -> Vec<String> {
        names.iter().map(|name| (*name).to_owned()).collect()
    }

    /// Wants of tab 1 for `a` and of tab 2 for `a` and `b`, the union built.
    fn two_tabs() -> Wants {
        let mut wants = Wants::default();
        assert_eq!(wants.want(1, topics(&["a"])), Next::Rebuild);
        assert_eq!(wants.want(2, topics(&["a", "b"])), Next::Rebuild);
        assert_eq!(wants.union(), ["a", "b"]);
        wants
    }

    #[test]
    fn a_topic_no_tab_wanted_before_rebuilds_the_streams_at_once() {
        let mut wants = two_tabs();
        assert_eq!(wants.want(1, topics(&["a", "c"])), Next::Rebuild);
        assert_eq!(wants.union(), ["a", "b", "c"]);
    }

    #[test]
    fn a_topic_another_tab_wants_already_changes_nothing() {
        let mut wants = two_tabs();
        assert_eq!(wants.want(3, topics(&["b"])), Next::Nothing);
        assert_eq!(wants.union(), ["a", "b"]);
    }

    #[test]
    fn a_union_that_no_tab_needs_all_of_shrinks_after_a_while() {
        let mut wants = two_tabs();
        assert_eq!(wants.leave(2), Next::ShrinkLater);
        assert_eq!(wants.union(), ["a", "b"], "the streams keep b for now");
        assert_eq!(wants.shrink(), Next::Rebuild);
        assert_eq!(wants.union(), ["a"]);
    }

    #[test]
    fn one_shrink_is_due_at_a_time() {
        let mut wants = two_tabs();
        assert_eq!(wants.want(2, topics(&["a"])), Next::ShrinkLater);
        assert_eq!(wants.leave(2), Next::Nothing, "a shrink is due already");
        assert_eq!(wants.shrink(), Next::Rebuild);
        assert_eq!(wants.union(), ["a"]);
    }

    #[test]
    fn a_tab_that_comes_back_for_its_topic_before_the_shrink_costs_no_reconnect() {
        let mut wants = two_tabs();
        assert_eq!(wants.leave(2), Next::ShrinkLater);
        assert_eq!(wants.want(3, topics(&["b"])), Next::Nothing);
        assert_eq!(wants.shrink(), Next::Nothing);
        assert_eq!(wants.union(), ["a", "b"]);
    }

    #[test]
    fn tabs_that_went_without_saying_so_are_forgotten_but_never_the_leaders_own() {
        let mut wants = two_tabs();
        assert_eq!(wants.keep(1, &[2]), Next::Nothing, "both still open");
        assert_eq!(wants.keep(1, &[]), Next::ShrinkLater, "tab 2 went");
        assert_eq!(wants.shrink(), Next::Rebuild);
        assert_eq!(
            wants.union(),
            ["a"],
            "the leader's own wants stay, open or not"
        );
    }

    #[test]
    fn a_refused_topic_leaves_the_streams_at_once_while_a_tab_wants_it() {
        let mut wants = two_tabs();
        assert_eq!(wants.refuse("b"), Next::Rebuild);
        assert_eq!(wants.union(), ["a"]);
        assert_eq!(
            wants.want(3, topics(&["b"])),
            Next::Nothing,
            "still refused"
        );
        assert_eq!(wants.refuse("b"), Next::Nothing, "refused once");
    }

    #[test]
    fn a_refused_topic_is_asked_for_again_once_no_tab_wanted_it_in_between() {
        let mut wants = two_tabs();
        assert_eq!(wants.refuse("b"), Next::Rebuild);
        assert_eq!(wants.leave(2), Next::Nothing);
        assert_eq!(wants.want(2, topics(&["b"])), Next::Rebuild);
        assert_eq!(wants.union(), ["a", "b"]);
    }

    #[test]
    fn a_resync_names_the_topic_the_person_lost_access_to() {
        assert_eq!(revoked(r#"{"revoked":"room:a"}"#), Some("room:a"));
        assert_eq!(revoked("{}"), None);
        assert_eq!(revoked(r#"{"other":"room:a"}"#), None);
    }
}
