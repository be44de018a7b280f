//! What an island starts from, without serde_json in the browser.
//!
//! Leptos hands island props to the browser as JSON read with serde_json, which alone
//! costs a fifth of the bundle. Murmur's islands take no props: the server component puts
//! the island's [`Seed`] into the page as a `<script type="application/json">` (and into
//! the context, for the island's server render), and the island reads it with [`seed`].

use leptos::prelude::*;
use serde::Serialize;

use crate::js::FromJs;

/// An island's starting data; a page carries at most one of each.
pub trait Seed: Serialize + FromJs + Clone + Send + Sync + 'static {
    /// The id of the element that carries it.
    const ID: &'static str;
}

/// Puts `seed` into the page for the island rendered after it. Server components only.
pub fn plant<T: Seed>(seed: T) -> impl IntoView {
    let json = to_json(&seed);
    provide_context(seed);
    view! { <script type="application/json" id=T::ID inner_html=json></script> }
}

/// The seed the page carries for the calling island.
///
/// # Panics
/// If the page carries none: the server component must [`plant`] it.
pub fn seed<T: Seed>() -> T {
    #[cfg(feature = "hydrate")]
    {
        document()
            .get_element_by_id(T::ID)
            .and_then(|script| script.text_content())
            .and_then(|json| crate::js::parse(&json))
            .expect("the page carries the island's seed")
    }
    #[cfg(not(feature = "hydrate"))]
    expect_context()
}

/// What the island reads of `seed` as [`plant`] puts it into the page, read natively.
#[cfg(test)]
pub(crate) fn planted<T: Seed>(seed: &T) -> Option<T> {
    crate::js::native::parse(&to_json(seed))
}

/// JSON that can sit inside `<script>`: `<` is written as `\u003c` (it only occurs in
/// strings), so no text a user typed can close the element.
fn to_json(seed: &impl Serialize) -> String {
    let json = serde_json::to_string(seed).unwrap_or_default();
    if json.contains('<') {
        json.replace('<', "\\u003c")
    } else {
        json
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_closing_script_tag_in_the_data_stays_inside_the_string() {
        let json = to_json(&["</script><script>alert(1)</script>"]);
        assert!(!json.contains('<'), "{json}");
        let back: Vec<String> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, ["</script><script>alert(1)</script>"]);
    }
}
