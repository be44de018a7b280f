//! Cross-site request forgery: a state-changing request that rides on the session cookie
//! is refused when the browser says it comes from another site.

use axum::http::{HeaderMap, header};

/// Whether the browser marks this request as made by another site: `Sec-Fetch-Site` is
/// `cross-site` or `same-site`, or — in a browser that doesn't send that header — `Origin`
/// names a host other than `Host`. Requests from scripts and curl carry neither and pass.
pub fn is_cross_site(headers: &HeaderMap) -> bool {
    let text = |name| headers.get(name).and_then(|value| value.to_str().ok());
    if let Some(site) = text(header::HeaderName::from_static("sec-fetch-site")) {
        return matches!(site, "cross-site" | "same-site");
    }
    match text(header::ORIGIN) {
        // An opaque origin (sandboxed frames, some redirects) is nobody we know.
        Some("null") => true,
        Some(origin) => {
            let host = origin.split_once("://").map_or(origin, |(_, host)| host);
            text(header::HOST).is_none_or(|expected| !host.eq_ignore_ascii_case(expected))
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(name, value)| {
                (
                    header::HeaderName::from_static(name),
                    value.parse().unwrap(),
                )
            })
            .collect()
    }

    #[test]
    fn fetch_metadata_decides_when_the_browser_sends_it() {
        for site in ["cross-site", "same-site"] {
            assert!(
                is_cross_site(&headers(&[("sec-fetch-site", site)])),
                "{site}"
            );
        }
        for site in ["same-origin", "none"] {
            let sent = headers(&[("sec-fetch-site", site), ("origin", "https://evil.example")]);
            assert!(!is_cross_site(&sent), "{site}");
        }
    }

    #[test]
    fn without_it_the_origin_must_name_our_host() {
        let ours = headers(&[
            ("origin", "http://chat.example:3000"),
            ("host", "chat.example:3000"),
        ]);
        assert!(!is_cross_site(&ours));
        let theirs = headers(&[
            ("origin", "http://evil.example"),
            ("host", "chat.example:3000"),
        ]);
        assert!(is_cross_site(&theirs));
        assert!(is_cross_site(&headers(&[
            ("origin", "null"),
            ("host", "chat.example")
        ])));
        assert!(
            !is_cross_site(&headers(&[("host", "chat.example")])),
            "curl"
        );
    }
}
