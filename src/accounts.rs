//! Accounts: who is who. Sign up, sign in and sign out (pages with plain forms, server
//! functions, the JSON API); sessions carried by an `HttpOnly` cookie or a bearer token.
//!
//! Shared code (both targets): domain types, server-function signatures, pages.
//! Server only: the store, the service, the middleware that identifies each request's
//! [`Caller`], and the JSON API.

#[cfg(feature = "ssr")]
mod admins;
#[cfg(feature = "ssr")]
mod caller;
#[cfg(feature = "ssr")]
mod cookies;
#[cfg(feature = "ssr")]
mod device;
pub mod domain;
#[cfg(feature = "ssr")]
pub mod http;
mod pages;
pub mod server_fns;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
mod sessions;
#[cfg(feature = "ssr")]
pub mod store;
#[cfg(feature = "ssr")]
mod token;

#[cfg(feature = "ssr")]
pub use admins::Admins;
#[cfg(feature = "ssr")]
pub use caller::{Caller, Identify, caller, identify};
#[cfg(feature = "ssr")]
pub use cookies::{Holder, SESSION_COOKIE, cookie, session_cookie};
pub use pages::{SignInPage, SignUpPage, UserMenu};
#[cfg(feature = "ssr")]
pub use token::SessionToken;

use domain::Account;

/// The account service, inside a server function or during a server render.
///
/// # Panics
/// Outside a request handled by the app, which provides it.
#[cfg(feature = "ssr")]
pub fn accounts() -> service::AccountService {
    leptos::prelude::expect_context()
}

/// Who is signed in, during a server render (pages are rendered on the server; islands
/// get what they need in their seeds). `None` in the browser.
pub fn signed_in() -> Option<Account> {
    #[cfg(feature = "ssr")]
    {
        caller().ok().and_then(|caller| caller.account)
    }
    #[cfg(not(feature = "ssr"))]
    None
}

/// Gives the browser the new session's cookie (and its device cookie) and sends it on to
/// `next`: the end of a sign-up or sign-in form. A form that goes on to a thread's frame
/// signs that frame in, with the frame's cookie (and no device cookie: a frame can't keep
/// Murmur's own). Answers the username.
#[cfg(feature = "ssr")]
fn start_session(caller: &Caller, started: service::Started, next: Option<&str>) -> String {
    use axum::http::header::SET_COOKIE;
    let next = local_path(next);
    let holder = Holder::going_to(next);
    let session = session_cookie(holder, Some(&started.token), caller.https);
    crate::api::set_header(SET_COOKIE, session);
    if holder == Holder::Site {
        let device = cookies::device_cookie(&started.device, caller.https);
        crate::api::set_header(SET_COOKIE, device);
    }
    leptos_axum::redirect(next);
    started.account.username
}

#[cfg(feature = "ssr")]
/// `next` if it is a path on this site, otherwise `/`: a form can't send anyone elsewhere.
fn local_path(next: Option<&str>) -> &str {
    // Browsers drop tabs and line breaks from URLs and read `\` as `/`, so `/\t/evil` would
    // be `//evil`: a path here is `/` and then only plain URL characters, never `//`.
    let plain = |b: u8| b.is_ascii_alphanumeric() || b"/-._~%?=&#+".contains(&b);
    match next {
        Some(path)
            if path.starts_with('/') && !path.starts_with("//") && path.bytes().all(plain) =>
        {
            path
        }
        _ => "/",
    }
}

#[cfg(test)]
mod tests {
    use super::local_path;

    #[test]
    fn only_a_path_on_this_site_is_a_place_to_go_next() {
        assert_eq!(local_path(Some("/rooms/lobby")), "/rooms/lobby");
        for elsewhere in [
            Some("/\t/evil.example"),
            Some("/\n/evil.example"),
            Some("/ /evil.example"),
            None,
            Some("https://evil.example"),
            Some("//evil.example"),
            Some("/\\evil"),
            Some("rooms"),
        ] {
            assert_eq!(local_path(elsewhere), "/", "{elsewhere:?}");
        }
    }
}
