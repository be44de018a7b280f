//! Other sites' pages: which origins may call Murmur from their scripts and frame its
//! embeddable pages (`MURMUR_EMBED_ORIGINS`), and how to tell a request that a script on
//! another origin made.

use std::sync::Arc;

use axum::http::{HeaderMap, header};

/// The origins allowed to call the API and open streams cross-origin, and to frame
/// `/embed/…` pages; none by default: no CORS, no embedding.
#[derive(Clone, Debug, Default)]
pub struct EmbedOrigins(Arc<[String]>);

impl EmbedOrigins {
    /// Reads a comma-separated list of origins, each `http://` or `https://` and a host
    /// with an optional port (`https://blog.example.com,http://localhost:4000`).
    ///
    /// # Errors
    /// Names the entry that is not an origin.
    pub fn parse(list: &str) -> Result<Self, String> {
        let origins = list
            .split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .map(|entry| {
                origin(entry).ok_or_else(|| {
                    format!("{entry:?} is not an origin (such as https://blog.example.com)")
                })
            })
            .collect::<Result<Vec<String>, String>>()?;
        Ok(Self(origins.into()))
    }

    /// Whether no origin is allowed (CORS and embedding are off).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `origin` (as a browser sends it in `Origin`) is allowed.
    pub fn allows(&self, origin: &str) -> bool {
        self.0.iter().any(|allowed| allowed == origin)
    }

    /// The origins, as `frame-ancestors` lists them; `'none'` for none.
    pub fn frame_ancestors(&self) -> String {
        match self.0.is_empty() {
            true => "'none'".into(),
            false => self.0.join(" "),
        }
    }
}

/// `entry` as browsers write an origin: lowercase, without a default port, or `None` if
/// it is not a scheme and a host (with an optional port) alone.
fn origin(entry: &str) -> Option<String> {
    let entry = entry.to_ascii_lowercase();
    let (scheme, rest) = entry.split_once("://")?;
    let default_port = match scheme {
        "http" => ":80",
        "https" => ":443",
        _ => return None,
    };
    let authority = rest.strip_suffix('/').unwrap_or(rest);
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) if port.chars().all(|c| c.is_ascii_digit()) => (host, Some(port)),
        _ => (authority, None),
    };
    let host_ok = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-.[]:".contains(c));
    let port_ok = port.is_none_or(|port| port.parse::<u16>().is_ok());
    if !host_ok || !port_ok {
        return None;
    }
    let authority = authority.strip_suffix(default_port).unwrap_or(authority);
    Some(format!("{scheme}://{authority}"))
}

/// The `Origin` of a request from another origin: one that names another host than `Host`,
/// or is opaque (`null`: sandboxed frames, some redirects), which is nobody we know.
/// Same-origin reads carry no `Origin`.
pub fn foreign_origin(headers: &HeaderMap) -> Option<&str> {
    let origin = headers.get(header::ORIGIN)?.to_str().ok()?;
    let host = origin.split_once("://").map_or(origin, |(_, host)| host);
    let ours = headers
        .get(header::HOST)
        .and_then(|value| value.to_str().ok());
    ours.is_none_or(|ours| !host.eq_ignore_ascii_case(ours))
        .then_some(origin)
}

/// Whether the browser says a script (not a navigation) on another origin made this
/// request: a cookie that comes with it must not sign it in.
pub fn is_cross_origin_call(headers: &HeaderMap) -> bool {
    let mode = headers
        .get(header::HeaderName::from_static("sec-fetch-mode"))
        .and_then(|value| value.to_str().ok());
    mode.is_some_and(|mode| mode != "navigate") && foreign_origin(headers).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(name, value)| {
                let name = header::HeaderName::from_static(name);
                (name, value.parse().unwrap())
            })
            .collect()
    }

    #[test]
    fn origins_are_read_as_browsers_write_them() {
        let origins = EmbedOrigins::parse(
            " HTTPS://Blog.Example.com/ , http://localhost:4000,http://a.example:80",
        )
        .unwrap();
        assert!(origins.allows("https://blog.example.com"));
        assert!(origins.allows("http://localhost:4000"));
        assert!(origins.allows("http://a.example"));
        assert!(!origins.allows("http://blog.example.com"), "another scheme");
        assert!(!origins.allows("http://localhost:4001"), "another port");
        assert_eq!(
            origins.frame_ancestors(),
            "https://blog.example.com http://localhost:4000 http://a.example"
        );
    }

    #[test]
    fn anything_but_an_origin_is_refused_by_name() {
        for bad in [
            "blog.example.com",
            "ftp://blog.example.com",
            "https://blog.example.com/comments",
            "https://",
            "https://blog example.com",
            "http://localhost:99999",
        ] {
            let error = EmbedOrigins::parse(bad).unwrap_err();
            assert!(error.contains(bad), "{error}");
        }
    }

    #[test]
    fn no_origins_allow_nothing_and_no_framing() {
        let none = EmbedOrigins::parse("").unwrap();
        assert!(!none.allows("http://localhost:4000"));
        assert_eq!(none.frame_ancestors(), "'none'");
    }

    #[test]
    fn a_script_on_another_origin_is_told_from_a_navigation_and_from_our_own_pages() {
        let theirs = [
            ("origin", "http://blog.example"),
            ("host", "chat.example"),
            ("sec-fetch-mode", "cors"),
        ];
        assert!(is_cross_origin_call(&headers(&theirs)));
        let navigation = [
            ("origin", "http://blog.example"),
            ("host", "chat.example"),
            ("sec-fetch-mode", "navigate"),
        ];
        assert!(!is_cross_origin_call(&headers(&navigation)));
        let ours = [
            ("origin", "http://chat.example"),
            ("host", "chat.example"),
            ("sec-fetch-mode", "cors"),
        ];
        assert!(!is_cross_origin_call(&headers(&ours)));
        assert!(!is_cross_origin_call(&headers(&[(
            "sec-fetch-mode",
            "cors"
        )])));
    }
}
