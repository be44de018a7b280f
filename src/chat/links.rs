//! Links in a message: `http://` and `https://` URLs become links that open in a new tab
//! and tell the target nothing (`rel="noopener noreferrer nofollow"`). Nothing else becomes
//! a link, and no text is ever read as HTML: every piece is escaped before it becomes part
//! of the paragraph's markup. The same code runs in the server render and the browser, so a
//! page without JavaScript shows the same links.

/// A piece of a message's text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Piece<'a> {
    Text(&'a str),
    Link(&'a str),
}

/// `text` cut into plain text and URLs, in order.
pub fn pieces(text: &str) -> Vec<Piece<'_>> {
    let mut pieces = Vec::new();
    let (mut from, mut searched) = (0, 0);
    while let Some((start, after_scheme)) = next_scheme(text, searched) {
        let url = url_at(&text[start..]);
        searched = after_scheme;
        if url.is_empty() {
            continue;
        }
        if from < start {
            pieces.push(Piece::Text(&text[from..start]));
        }
        pieces.push(Piece::Link(url));
        from = start + url.len();
        searched = from;
    }
    if from < text.len() {
        pieces.push(Piece::Text(&text[from..]));
    }
    pieces
}

/// Where the next `http://` or `https://` (any case) that starts a word begins, from `at`,
/// and where what follows its `://` does. (Found by its `:`: no lowercase copy, no
/// substring search, for the many messages without one.)
fn next_scheme(text: &str, mut at: usize) -> Option<(usize, usize)> {
    let bytes = text.as_bytes();
    while let Some(found) = bytes[at..].iter().position(|&b| b == b':') {
        let colon = at + found;
        at = colon + 1;
        let before = &bytes[..colon];
        let scheme = ["https", "http"].into_iter().find(|scheme| {
            before.len() >= scheme.len()
                && before[colon - scheme.len()..].eq_ignore_ascii_case(scheme.as_bytes())
        });
        let (Some(scheme), true) = (scheme, bytes[colon..].starts_with(b"://")) else {
            continue;
        };
        let start = colon - scheme.len();
        let starts_word = text[..start]
            .chars()
            .next_back()
            .is_none_or(|before| !before.is_ascii_alphanumeric());
        if starts_word {
            return Some((start, colon + 3));
        }
    }
    None
}

/// The URL at the start of `text`: up to a space or `<>"`, without trailing punctuation
/// (or a closing bracket it doesn't open); empty if nothing follows the scheme.
fn url_at(text: &str) -> &str {
    let end = text
        .find(|c: char| c.is_ascii_whitespace() || c.is_ascii_control() || "<>\"".contains(c))
        .unwrap_or(text.len());
    let mut url = &text[..end];
    loop {
        let trimmed = url.trim_end_matches(['.', ',', ';', ':', '!', '?', '\'', '*']);
        let trimmed = match trimmed.chars().next_back() {
            Some(close @ (')' | ']')) if !unbalanced(trimmed, close) => {
                &trimmed[..trimmed.len() - 1]
            }
            _ => trimmed,
        };
        if trimmed.len() == url.len() {
            break;
        }
        url = trimmed;
    }
    // `text` starts with a scheme (`http://`, `https://`): something must follow it.
    let scheme = url
        .bytes()
        .position(|b| b == b':')
        .map_or(url.len(), |colon| colon + 3);
    if url.len() <= scheme { "" } else { url }
}

/// Whether `url` opens more of `close`'s bracket than it closes before its last character.
fn unbalanced(url: &str, close: char) -> bool {
    let open = if close == ')' { '(' } else { '[' };
    let body = &url[..url.len() - 1];
    body.matches(open).count() > body.matches(close).count()
}

/// A message's text as HTML: every piece escaped, so nothing the author typed is read as
/// markup, and each URL an `<a>` opening in a new tab that tells the target nothing.
/// (One string set as the paragraph's content, rather than a view per piece: the same
/// result in the server render and the browser, for a fifth of the code in the bundle.)
pub fn to_html(text: &str) -> String {
    let mut html = String::with_capacity(text.len() + text.len() / 8);
    for piece in pieces(text) {
        match piece {
            Piece::Text(text) => escape_into(&mut html, text),
            Piece::Link(url) => {
                html.push_str("<a href=\"");
                escape_into(&mut html, url);
                html.push_str("\" target=\"_blank\" rel=\"noopener noreferrer nofollow\">");
                escape_into(&mut html, url);
                html.push_str("</a>");
            }
        }
    }
    html
}

/// Appends `text` with the five characters that mean something in HTML written as entities
/// (and the runs between them as they are).
fn escape_into(html: &mut String, text: &str) {
    let mut from = 0;
    for (at, byte) in text.bytes().enumerate() {
        let entity = match byte {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&#39;",
            _ => continue,
        };
        html.push_str(&text[from..at]);
        html.push_str(entity);
        from = at + 1;
    }
    html.push_str(&text[from..]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use Piece::{Link, Text};

    #[test]
    fn http_and_https_urls_become_links_and_the_rest_stays_text() {
        assert_eq!(
            pieces("see https://example.com/a?b=1#c and http://x.org"),
            [
                Text("see "),
                Link("https://example.com/a?b=1#c"),
                Text(" and "),
                Link("http://x.org"),
            ]
        );
        assert_eq!(pieces("HTTPS://Example.com"), [Link("HTTPS://Example.com")]);
        assert_eq!(
            pieces("https:// then http://x"),
            [Text("https:// then "), Link("http://x")]
        );
    }

    #[test]
    fn other_schemes_and_bare_words_are_never_links() {
        for text in [
            "javascript:alert(1)",
            "ftp://example.com",
            "www.example.com",
            "mailto:a@b.c",
            "xhttps://example.com",
            "https://",
            "data:text/html,<script>",
        ] {
            assert!(
                pieces(text).iter().all(|piece| matches!(piece, Text(_))),
                "{text}"
            );
        }
    }

    #[test]
    fn trailing_punctuation_and_unopened_brackets_stay_outside_the_link() {
        assert_eq!(
            pieces("(see https://example.com/x.)"),
            [Text("(see "), Link("https://example.com/x"), Text(".)")]
        );
        assert_eq!(
            pieces("https://en.wikipedia.org/wiki/Rust_(language), ok"),
            [
                Link("https://en.wikipedia.org/wiki/Rust_(language)"),
                Text(", ok")
            ]
        );
    }

    #[test]
    fn markup_around_a_url_ends_it_and_stays_text() {
        assert_eq!(
            pieces("<a href=\"https://evil.example\">x</a>"),
            [
                Text("<a href=\""),
                Link("https://evil.example"),
                Text("\">x</a>")
            ]
        );
    }

    #[test]
    fn text_without_urls_is_one_piece_and_unicode_is_kept() {
        assert_eq!(pieces("héllo 👋 http"), [Text("héllo 👋 http")]);
        assert_eq!(
            pieces("👋https://ex.com/é"),
            [Text("👋"), Link("https://ex.com/é")]
        );
        assert!(pieces("").is_empty());
    }

    #[test]
    fn markup_in_the_text_is_escaped_and_only_urls_become_anchors() {
        let anchor = |url: &str| {
            format!(
                r#"<a href="{url}" target="_blank" rel="noopener noreferrer nofollow">{url}</a>"#
            )
        };
        assert_eq!(
            to_html(r#"<b>&'x'</b> https://a.example/?q="1"&r=<2>"#),
            format!(
                "&lt;b&gt;&amp;&#39;x&#39;&lt;/b&gt; {}&quot;1&quot;&amp;r=&lt;2&gt;",
                anchor("https://a.example/?q=")
            )
        );
        assert_eq!(
            to_html("see https://x.org/a&b"),
            format!("see {}", anchor("https://x.org/a&amp;b"))
        );
    }
}
