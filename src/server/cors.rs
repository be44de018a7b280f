//! Other origins, on every response: a script on an allowed origin (`MURMUR_EMBED_ORIGINS`)
//! may read what Murmur answers (CORS, bearer tokens only: a cookie that comes with its
//! request is dropped before anyone reads it), and only `/embed/…` pages may be framed, by
//! those origins alone; every other page by no one.

use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::AppError;
use crate::protect::{EmbedOrigins, foreign_origin, is_cross_origin_call};

/// What a preflight may ask to send.
const METHODS: &str = "GET, POST, PATCH, DELETE";
const HEADERS: &str = "authorization, content-type, last-event-id";
/// How long a browser may keep a preflight's answer, in seconds.
const MAX_AGE: &str = "600";

/// Answers preflights, drops the cookie of a cross-origin call, and adds the CORS and
/// framing headers to the response.
pub async fn cors_and_framing(
    State(origins): State<EmbedOrigins>,
    mut request: Request,
    next: Next,
) -> Response {
    let headers = request.headers();
    let foreign = foreign_origin(headers).map(str::to_owned);
    let allowed = foreign.clone().filter(|origin| origins.allows(origin));
    let preflight = request.method() == Method::OPTIONS
        && headers.contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    if preflight && foreign.is_some() {
        return match allowed {
            Some(origin) => preflight_answer(&origin),
            None => AppError::Forbidden("this origin may not call Murmur".into()).into_response(),
        };
    }
    if is_cross_origin_call(headers) {
        request.headers_mut().remove(header::COOKIE);
    }
    let embed = request.uri().path().starts_with("/embed/");
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let framing = match embed {
        true => HeaderValue::from_str(&format!("frame-ancestors {}", origins.frame_ancestors())),
        false => Ok(HeaderValue::from_static("frame-ancestors 'none'")),
    };
    if let Ok(policy) = framing {
        headers.insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    if let Some(origin) = allowed.and_then(|origin| HeaderValue::from_str(&origin).ok()) {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        let exposed = HeaderValue::from_static("retry-after");
        headers.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, exposed);
    }
    if !origins.is_empty() {
        headers.append(header::VARY, HeaderValue::from_static("origin"));
    }
    response
}

/// `204` with what `origin` may send.
fn preflight_answer(origin: &str) -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    let headers = response.headers_mut();
    if let Ok(origin) = HeaderValue::from_str(origin) {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    }
    let allow = |value| HeaderValue::from_static(value);
    headers.insert(header::ACCESS_CONTROL_ALLOW_METHODS, allow(METHODS));
    headers.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, allow(HEADERS));
    headers.insert(header::ACCESS_CONTROL_MAX_AGE, allow(MAX_AGE));
    headers.insert(header::VARY, allow("origin"));
    response
}
