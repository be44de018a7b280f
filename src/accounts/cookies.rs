//! The cookies accounts set: the session's, and the device's that lets an account's owner
//! past the per-username sign-in limit (see `device.rs`). Both are `HttpOnly`,
//! `SameSite=Lax` and `Path=/`; over https they are `Secure` and named with the `__Host-`
//! prefix, so that no subdomain, and no page over plain http, can set or shadow them.

use std::borrow::Cow;
use std::time::Duration;

use axum::http::{HeaderMap, HeaderValue, header};

use super::service::SESSION_LIFETIME;
use super::token::SessionToken;

/// The cookie that carries the session token (over plain http).
pub const SESSION_COOKIE: &str = "murmur_session";
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

/// The `Set-Cookie` that starts a session (`Some`) or ends it (`None`).
pub fn session_cookie(token: Option<&SessionToken>, https: bool) -> HeaderValue {
    match token {
        Some(token) => set(SESSION_COOKIE, token.as_str(), SESSION_LIFETIME, https),
        None => set(SESSION_COOKIE, "", Duration::ZERO, https),
    }
}

/// The `Set-Cookie` that marks this browser as a device `value` signed in from.
pub fn device_cookie(value: &str, https: bool) -> HeaderValue {
    set(DEVICE_COOKIE, value, DEVICE_LIFETIME, https)
}

/// Whether `headers` (a response's) set the session cookie.
pub fn sets_session(headers: &HeaderMap, https: bool) -> bool {
    let prefix = format!("{}=", name(SESSION_COOKIE, https));
    headers
        .get_all(header::SET_COOKIE)
        .iter()
        .any(|value| value.as_bytes().starts_with(prefix.as_bytes()))
}

fn set(base: &str, value: &str, max_age: Duration, https: bool) -> HeaderValue {
    let secure = if https { "; Secure" } else { "" };
    let (name, max_age) = (name(base, https), max_age.as_secs());
    let cookie =
        format!("{name}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}");
    HeaderValue::from_str(&cookie).expect("cookie values are plain ASCII")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn over_https_cookies_are_secure_and_host_prefixed_and_over_http_plain() {
        let token = SessionToken::generate();
        let secure = session_cookie(Some(&token), true);
        let secure = secure.to_str().unwrap();
        assert!(secure.starts_with("__Host-murmur_session="), "{secure}");
        assert!(
            secure.contains("; Secure") && secure.contains("; Path=/"),
            "{secure}"
        );
        assert!(!secure.contains("Domain"), "{secure}");
        let plain = session_cookie(None, false);
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
        assert!(!sets_session(&headers, false));
        headers.append(header::SET_COOKIE, session_cookie(None, false));
        assert!(sets_session(&headers, false));
        assert!(!sets_session(&headers, true), "another name over https");
    }
}
