//! A refused plain form post (JavaScript off) comes back to its page with the error in the
//! URL (`__err=`, as Leptos' server functions do). Anyone can write a URL, so a page shows
//! that error only when this browser was just sent there with it: the redirect also sets a
//! short-lived cookie with the error's hash, and a request whose `__err` doesn't match it
//! has the `__err` taken out before the page is rendered.

use axum::extract::Request;
use axum::http::{HeaderValue, Uri, header};
use axum::middleware::Next;
use axum::response::Response;
use sha2::{Digest, Sha256};

use crate::accounts::{Holder, cookie};

/// The cookie that vouches for the error a redirect put in the URL.
const COOKIE: &str = "murmur_form_error";
/// The query parameter Leptos carries a refused form's error in.
const PARAM: &str = "__err";

/// Middleware: leaves a page only the form errors this browser was sent with.
pub async fn vouch_for_form_errors(mut request: Request, next: Next) -> Response {
    let here = Holder::going_to(request.uri().path());
    let carried = error_in(request.uri().query()).map(|error| hash(&error));
    let vouched = carried
        .as_ref()
        .is_some_and(|carried| cookie(request.headers(), COOKIE) == Some(carried.as_str()));
    if carried.is_some() && !vouched {
        *request.uri_mut() = without_error(request.uri());
    }
    let mut response = next.run(request).await;
    let location = response
        .headers()
        .get(header::LOCATION)
        .and_then(|location| location.to_str().ok())
        .and_then(|location| location.parse::<Uri>().ok());
    let sent = location.as_ref().and_then(|to| error_in(to.query()));
    let set = match (sent, vouched) {
        (Some(error), _) => Some(format!("{COOKIE}={}; Max-Age=60", hash(&error))),
        (None, true) => Some(format!("{COOKIE}=; Max-Age=0")),
        (None, false) => None,
    };
    if let Some(set) = set {
        // A thread's frame keeps only a frame's cookie (see `accounts::Holder`).
        let holder = location
            .as_ref()
            .map_or(here, |to| Holder::going_to(to.path()));
        let value = format!("{set}; {}", holder.attributes(false));
        let value = HeaderValue::from_str(&value).expect("a hash is plain ASCII");
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// The form error a query carries, decoded.
fn error_in(query: Option<&str>) -> Option<String> {
    form_urlencoded::parse(query?.as_bytes())
        .find(|(key, _)| key == PARAM)
        .map(|(_, error)| error.into_owned())
}

fn hash(error: &str) -> String {
    Sha256::digest(error.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `uri` without the form error in its query.
fn without_error(uri: &Uri) -> Uri {
    let query = uri.query().unwrap_or_default();
    let kept: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form_urlencoded::parse(query.as_bytes()).filter(|(key, _)| key != PARAM))
        .finish();
    let path = match kept.is_empty() {
        true => uri.path().to_owned(),
        false => format!("{}?{kept}", uri.path()),
    };
    path.parse().unwrap_or_else(|_| Uri::from_static("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_error_is_read_from_a_query_and_taken_out_of_a_uri() {
        assert_eq!(error_in(Some("a=1&__err=b%20c")), Some("b c".into()));
        assert_eq!(error_in(Some("a=1")), None);
        let uri: Uri = "/rooms/lobby?__path=%2Fapi&__err=evil&edit=3"
            .parse()
            .unwrap();
        assert_eq!(without_error(&uri), "/rooms/lobby?__path=%2Fapi&edit=3");
        let uri: Uri = "/?__err=evil".parse().unwrap();
        assert_eq!(without_error(&uri), "/");
    }
}
