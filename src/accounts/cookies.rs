//! The cookies accounts set: the session's, and the device's that lets an account's owner
//! past the per-username sign-in limit (see `device.rs`). Both are `HttpOnly`,
//! `SameSite=Lax` and `Path=/`; over https they are `Secure` and named with the `__Host-`
//! prefix, so that no subdomain, and no page over plain http, can set or shadow them.
//!
//! A comment thread's frame on another site signs in with a cookie of its own: a Lax cookie
//! never reaches a frame under another site, and browsers that block third-party cookies
//! block any other. The frame's is `SameSite=None; Secure; Partitioned` (CHIPS): the
//! browser keeps it apart for each site the frame sits in, so it reaches Murmur only from a
//! frame under that same site, never from Murmur's own pages or another site's frame.
//! (Browsers take `Secure` over plain http from `localhost` and `127.0.0.1` only.)

use std::borrow::Cow;
use std::time::Duration;

use axum::http::{HeaderMap, HeaderValue, header};

use super::service::SESSION_LIFETIME;
use super::token::SessionToken;

/// The cookie that carries the session token (over plain http).
pub const SESSION_COOKIE: &str = "murmur_session";
/// The cookie that carries the session of a thread's frame on another site.
pub const FRAME_COOKIE: &str = "murmur_frame";
/// The cookie that says this browser signed in as someone before.
pub const DEVICE_COOKIE: &str = "murmur_device";
/// How long a device cookie is kept.
const DEVICE_LIFETIME: Duration = Duration::from_secs(365 * 24 * 3600);

/// Cookie `base`'s name over https (`__Host-` prefixed) or not.
pub fn name(base: &str, https: bool) -> Cow<'_, str> {
    match https {
        true => Cow::Owned(format!("__Host-{base}")),
        false => Cow::Borrowed(base),
    }
}

/// The value of cookie `name`, if the request carries it.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|cookies| cookies.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// Where a cookie is for: Murmur's own pages, or a thread's frame on another site.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Holder {
    /// Murmur's own pages: `SameSite=Lax`.
    Site,
    /// A frame under another site: `SameSite=None; Secure; Partitioned`.
    Frame,
}

impl Holder {
    /// The holder of a form that goes on to `next`: a frame if that is a frame's page.
    pub fn going_to(next: &str) -> Self {
        match next.starts_with("/embed/") {
            true => Self::Frame,
            false => Self::Site,
        }
    }

    /// The attributes a cookie of this holder's ends with (after `Max-Age`).
    pub fn attributes(self, https: bool) -> &'static str {
        match (self, https) {
            (Self::Site, false) => "Path=/; HttpOnly; SameSite=Lax",
            (Self::Site, true) => "Path=/; HttpOnly; SameSite=Lax; Secure",
            (Self::Frame, _) => "Path=/; HttpOnly; SameSite=None; Secure; Partitioned",
        }
    }

    /// The name of the cookie that carries this holder's session.
    fn session(self) -> &'static str {
        match self {
            Self::Site => SESSION_COOKIE,
            Self::Frame => FRAME_COOKIE,
        }
    }
}

/// The `Set-Cookie` that starts a session (`Some`) or ends it (`None`) for `holder`.
pub fn session_cookie(holder: Holder, token: Option<&SessionToken>, https: bool) -> HeaderValue {
    let (value, max_age) = match token {
        Some(token) => (token.as_str(), SESSION_LIFETIME),
        None => ("", Duration::ZERO),
    };
    set(holder, holder.session(), value, max_age, https)
}

/// The session token a request's cookie carries, and whose cookie it is: Murmur's own,
/// else a frame's.
pub fn session_in(headers: &HeaderMap, https: bool) -> Option<(&str, Holder)> {
    [Holder::Site, Holder::Frame]
        .into_iter()
        .find_map(|holder| {
            cookie(headers, &name(holder.session(), https)).map(|token| (token, holder))
        })
}

/// The `Set-Cookie` that marks this browser as a device `value` signed in from.
pub fn device_cookie(value: &str, https: bool) -> HeaderValue {
    set(Holder::Site, DEVICE_COOKIE, value, DEVICE_LIFETIME, https)
}

/// Whether `headers` (a response's) set `holder`'s session cookie.
pub fn sets_session(headers: &HeaderMap, holder: Holder, https: bool) -> bool {
    let prefix = format!("{}=", name(holder.session(), https));
    headers
        .get_all(header::SET_COOKIE)
        .iter()
        .any(|value| value.as_bytes().starts_with(prefix.as_bytes()))
}

fn set(holder: Holder, base: &str, value: &str, max_age: Duration, https: bool) -> HeaderValue {
    let (name, max_age) = (name(base, https), max_age.as_secs());
    let attributes = holder.attributes(https);
    let cookie = format!("{name}={value}; Max-Age={max_age}; {attributes}");
    HeaderValue::from_str(&cookie).expect("cookie values are plain ASCII")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn over_https_cookies_are_secure_and_host_prefixed_and_over_http_plain() {
        let token = SessionToken::generate();
        let secure = session_cookie(Holder::Site, Some(&token), true);
        let secure = secure.to_str().unwrap();
        assert!(secure.starts_with("__Host-murmur_session="), "{secure}");
        assert!(
            secure.contains("; Secure") && secure.contains("; Path=/"),
            "{secure}"
        );
        assert!(!secure.contains("Domain"), "{secure}");
        let plain = session_cookie(Holder::Site, None, false);
        let plain = plain.to_str().unwrap();
        assert!(
            plain.starts_with("murmur_session=;") && !plain.contains("Secure"),
            "{plain}"
        );
        assert!(plain.contains("Max-Age=0"), "{plain}");
        let device = device_cookie("ada.x.y", true);
        assert!(
            device
                .to_str()
                .unwrap()
                .starts_with("__Host-murmur_device=ada.x.y;")
        );
    }

    #[test]
    fn a_response_that_sets_the_session_cookie_is_told_from_one_that_does_not() {
        let mut headers = HeaderMap::new();
        headers.append(header::SET_COOKIE, device_cookie("d", false));
        assert!(!sets_session(&headers, Holder::Site, false));
        headers.append(
            header::SET_COOKIE,
            session_cookie(Holder::Site, None, false),
        );
        assert!(sets_session(&headers, Holder::Site, false));
        assert!(!sets_session(&headers, Holder::Frame, false));
        assert!(
            !sets_session(&headers, Holder::Site, true),
            "another name over https"
        );
    }

    #[test]
    fn a_frames_session_is_partitioned_and_secure_even_over_http_and_read_after_the_sites() {
        let token = SessionToken::generate();
        let framed = session_cookie(Holder::Frame, Some(&token), false);
        let framed = framed.to_str().unwrap();
        assert!(framed.starts_with("murmur_frame="), "{framed}");
        for attribute in ["; SameSite=None", "; Secure", "; Partitioned", "; HttpOnly"] {
            assert!(framed.contains(attribute), "{framed} lacks {attribute}");
        }
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, "murmur_frame=f; a=b".parse().unwrap());
        assert_eq!(session_in(&headers, false), Some(("f", Holder::Frame)));
        headers.insert(
            header::COOKIE,
            "murmur_frame=f; murmur_session=s".parse().unwrap(),
        );
        assert_eq!(session_in(&headers, false), Some(("s", Holder::Site)));
        assert_eq!(Holder::going_to("/embed/thread?url=x"), Holder::Frame);
        assert_eq!(Holder::going_to("/rooms/embed"), Holder::Site);
    }
}
