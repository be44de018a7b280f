//! Cross-site request forgery: a state-changing request that rides on the session cookie
//! is refused when the browser says it comes from another site, and a page load that rides
//! on it records nothing (such as what its reader has read) unless the browser says this
//! site, or the person, asked for it.

use axum::http::{HeaderMap, Method, header};

use super::origins::foreign_origin;

/// Whether the browser marks this request as made by another site: `Sec-Fetch-Site` is
/// `cross-site` or `same-site`, or — in a browser that doesn't send that header — `Origin`
/// names a host other than `Host`. Requests from scripts and curl carry neither and pass.
pub fn is_cross_site(headers: &HeaderMap) -> bool {
    let text = |name| headers.get(name).and_then(|value| value.to_str().ok());
    if let Some(site) = text(header::HeaderName::from_static("sec-fetch-site")) {
        return matches!(site, "cross-site" | "same-site");
    }
    foreign_origin(headers).is_some()
}

/// Whether a request that reads something may also record that its caller read it (a room,
/// the mentions in it). A write may (the cross-site check above has let it through), and so
/// may a `bearer` call (nothing ambient); a GET riding on the cookie may only when the
/// browser says the person or this site asked for it — `Sec-Fetch-Site: same-origin` or
/// `none` — never for `cross-site` or `same-site`, nor without the header (a browser that
/// doesn't send it has the page record it with a POST once it is in view).
pub fn may_record_reading(method: &Method, headers: &HeaderMap, bearer: bool) -> bool {
    let writes = !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS);
    let site = headers
        .get(header::HeaderName::from_static("sec-fetch-site"))
        .and_then(|value| value.to_str().ok());
    writes || bearer || matches!(site, Some("same-origin" | "none"))
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

    #[test]
    fn a_page_load_on_the_cookie_records_reading_only_when_this_site_or_the_person_asked() {
        let get = |site: Option<&'static str>| {
            let sent =
                site.map_or_else(HeaderMap::new, |site| headers(&[("sec-fetch-site", site)]));
            may_record_reading(&Method::GET, &sent, false)
        };
        assert!(get(Some("same-origin")) && get(Some("none")));
        for site in [Some("cross-site"), Some("same-site"), None] {
            assert!(!get(site), "{site:?}");
        }
        let cross = headers(&[("sec-fetch-site", "cross-site")]);
        assert!(
            may_record_reading(&Method::GET, &HeaderMap::new(), true),
            "bearer"
        );
        assert!(
            may_record_reading(&Method::POST, &cross, false),
            "a write refused already"
        );
    }
}
