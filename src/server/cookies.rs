//! Reading and setting cookies from server functions.

use axum::http::{HeaderValue, header, request::Parts};
use leptos::prelude::use_context;
use leptos_axum::ResponseOptions;

/// The value of cookie `name` on the current request, if any.
pub fn get(name: &str) -> Option<String> {
    let parts = use_context::<Parts>()?;
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|cookies| cookies.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .and_then(|(_, value)| decode(value))
}

/// Sets cookie `name` to `value` on the current response for `max_age_secs`, for the
/// whole site, not readable by scripts.
pub fn set(name: &str, value: &str, max_age_secs: u64) {
    let value: String = form_urlencoded::byte_serialize(value.as_bytes()).collect();
    let cookie = format!("{name}={value}; Path=/; Max-Age={max_age_secs}; SameSite=Lax; HttpOnly");
    if let (Some(response), Ok(cookie)) = (
        use_context::<ResponseOptions>(),
        HeaderValue::from_str(&cookie),
    ) {
        response.append_header(header::SET_COOKIE, cookie);
    }
}

/// Undoes `set`'s encoding (`byte_serialize` leaves no raw `=` or `&`).
fn decode(value: &str) -> Option<String> {
    form_urlencoded::parse(value.as_bytes())
        .next()
        .map(|(decoded, _)| decoded.into_owned())
}
