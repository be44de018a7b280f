//! Where the reader is in a room's messages. The list scrolls from its bottom (the
//! stylesheet's `column-reverse`), so a room opens at its newest message even without
//! JavaScript, older messages loaded above leave the view where it was, and a reader at the
//! bottom stays there as messages arrive. A reader scrolled up to read history is not moved
//! by new messages: the view is held in place and a "N new messages ↓" button counts them.
//!
//! (In a `column-reverse` box, `scrollTop` is 0 at the bottom and negative above it.)

use leptos::html::Div;
use leptos::prelude::*;

/// Within this many pixels of the bottom counts as at the bottom.
const NEAR_BOTTOM_PX: i32 = 48;

/// The message list's scroll state; cheap to copy.
#[derive(Clone, Copy)]
pub struct Scroll {
    /// The scrolling element.
    pub node: NodeRef<Div>,
    /// New messages that arrived below the view since the reader was last at the bottom.
    unseen: RwSignal<u32>,
    /// Where the view was before changes the browser hasn't shown yet: arrivals in one
    /// burst are all measured from before the first.
    pending: StoredValue<Option<Mark>>,
}

/// Where the view was before the list changed.
#[derive(Clone, Copy)]
pub struct Mark {
    at_bottom: bool,
    top: i32,
    height: i32,
}

impl Mark {
    /// Whether the view was at the bottom.
    pub fn at_bottom(&self) -> bool {
        self.at_bottom
    }
}

impl Scroll {
    pub fn new() -> Self {
        Self {
            node: NodeRef::new(),
            unseen: RwSignal::new(0),
            pending: StoredValue::new(None),
        }
    }

    /// Where the view is now (at the bottom before the list has rendered), or was before
    /// changes not shown yet.
    pub fn mark(&self) -> Mark {
        if let Some(pending) = self.pending.get_value() {
            return pending;
        }
        self.node.get_untracked().map_or(
            Mark {
                at_bottom: true,
                top: 0,
                height: 0,
            },
            |list| Mark {
                at_bottom: list.scroll_top() > -NEAR_BOTTOM_PX,
                top: list.scroll_top(),
                height: list.scroll_height(),
            },
        )
    }

    /// After `added` new messages went in below: a reader who was at the bottom, or who
    /// sent one of them, sees the newest; anyone else keeps the view they had, and the
    /// count of what is below grows.
    pub fn arrived(&self, mut mark: Mark, added: u32, mine: bool) {
        if added == 0 {
            return;
        }
        mark.at_bottom |= mine;
        if mark.at_bottom {
            self.unseen.set(0);
        } else {
            self.unseen.update(|unseen| *unseen += added);
        }
        let scheduled = self.pending.get_value().is_some();
        self.pending.set_value(Some(mark));
        if scheduled {
            return;
        }
        let (node, pending) = (self.node, self.pending);
        // Once the list shows the change, before the browser paints it.
        request_animation_frame(move || {
            let mark = pending.get_value();
            pending.set_value(None);
            let (Some(mark), Some(list)) = (mark, node.get_untracked()) else {
                return;
            };
            list.set_scroll_top(match mark.at_bottom {
                true => 0,
                false => mark.top - (list.scroll_height() - mark.height),
            });
        });
    }

    /// The reader scrolled: back at the bottom, nothing is unseen.
    pub fn moved(&self) {
        if self.mark().at_bottom && self.unseen.get_untracked() > 0 {
            self.unseen.set(0);
        }
    }

    /// Takes the reader to the newest message.
    pub fn go_to_bottom(&self) {
        self.unseen.set(0);
        if let Some(list) = self.node.get_untracked() {
            list.set_scroll_top(0);
        }
    }
}

/// "N new messages ↓", over the bottom of the list while some are below the view.
#[component]
pub fn NewBelow(scroll: Scroll) -> impl IntoView {
    let unseen = scroll.unseen;
    let label = move || match unseen.get() {
        1 => "1 new message ↓".to_owned(),
        n => format!("{n} new messages ↓"),
    };
    view! {
        <button class="new-below" hidden=move || unseen.get() == 0 on:click=move |_| scroll.go_to_bottom()>
            {label}
        </button>
    }
}
