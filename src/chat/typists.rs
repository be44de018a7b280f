//! Who else is typing in the room: each name shows for five seconds after its latest
//! `typing` event, or until that person's message arrives.

use std::time::Duration;

use leptos::prelude::*;

/// How long a name shows after its latest typing event.
const SHOWN_FOR: Duration = Duration::from_secs(5);

/// The people typing now; cheap to copy.
#[derive(Clone, Copy)]
pub struct Typists {
    /// Each name with the number of its latest event, so only that event's timer removes it.
    names: RwSignal<Vec<(String, u64)>>,
    events: StoredValue<u64>,
}

impl Typists {
    pub fn new() -> Self {
        Self {
            names: RwSignal::new(Vec::new()),
            events: StoredValue::new(0),
        }
    }

    /// `name` is typing: shown, for five more seconds.
    pub fn typing(&self, name: String) {
        self.events.update_value(|n| *n += 1);
        let event = self.events.get_value();
        self.names.update(|names| {
            names.retain(|(known, _)| *known != name);
            names.push((name.clone(), event));
        });
        let names = self.names;
        set_timeout(
            move || {
                names.update(|names| names.retain(|(known, at)| (known, *at) != (&name, event)))
            },
            SHOWN_FOR,
        );
    }

    /// `name`'s message arrived: they are done typing it.
    pub fn posted(&self, name: &str) {
        if self
            .names
            .with_untracked(|names| names.iter().any(|(known, _)| known == name))
        {
            self.names
                .update(|names| names.retain(|(known, _)| known != name));
        }
    }
}

/// Who has the room open: "Here: alice, bob and 2 signed out".
pub fn here_line(users: &[String], anonymous: i64) -> String {
    let signed_out = match anonymous {
        0 => None,
        n => Some(format!("{n} signed out")),
    };
    let names: Vec<&str> = users
        .iter()
        .map(String::as_str)
        .chain(signed_out.as_deref())
        .collect();
    match names.as_slice() {
        [] => String::new(),
        [one] => format!("Here: {one}"),
        [rest @ .., last] => format!("Here: {} and {last}", rest.join(", ")),
    }
}

/// "alice is typing…", under the messages while anyone else is.
#[component]
pub fn TypingLine(typists: Typists) -> impl IntoView {
    let line = move || {
        typists.names.with(|names| match names.as_slice() {
            [] => String::new(),
            [(one, _)] => format!("{one} is typing…"),
            [(one, _), (two, _)] => format!("{one} and {two} are typing…"),
            _ => "Several people are typing…".to_owned(),
        })
    };
    view! { <p class="typing" aria-live="polite">{line}</p> }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_here_line_names_people_then_counts_those_signed_out() {
        let names = |list: &[&str]| list.iter().map(|n| n.to_string()).collect::<Vec<_>>();
        assert_eq!(here_line(&[], 0), "");
        assert_eq!(here_line(&names(&["ada"]), 0), "Here: ada");
        assert_eq!(here_line(&[], 2), "Here: 2 signed out");
        assert_eq!(
            here_line(&names(&["ada", "bob"]), 1),
            "Here: ada, bob and 1 signed out"
        );
    }
}
