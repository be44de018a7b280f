//! What every feature's endpoints share on the server: how an [`AppError`] is answered
//! (JSON with the right status for API clients, the status code on server functions and
//! server-rendered pages), a live stream's [`Refusal`] as one, and reading a JSON body.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderValue, Method, StatusCode, header, request::Parts};
use axum::response::{IntoResponse, Response};
use leptos::prelude::{use_context, with_context};
use leptos_axum::ResponseOptions;
use live_loader::Refusal;
use serde::de::DeserializeOwned;

use crate::accounts::Caller;
use crate::error::AppError;
use crate::protect::may_record_reading;

impl AppError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// `Retry-After` for a rate-limited request.
    fn retry_after(&self) -> Option<HeaderValue> {
        match self {
            Self::RateLimited(seconds) | Self::ExportsBusy(seconds) => {
                Some(HeaderValue::from(*seconds))
            }
            _ => None,
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let mut response = (self.status_code(), Json(&self)).into_response();
        if let Some(wait) = self.retry_after() {
            response.headers_mut().insert(header::RETRY_AFTER, wait);
        }
        response
    }
}

/// A stream the live module refused, answered as the app answers everything, in its own
/// words: the caps' refusals as the app says them, the gate's in the gate's words, each
/// with the status the live protocol gives it ([`Refusal::status`]).
impl From<Refusal> for AppError {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::BadRequest(reason) => Self::BadRequest(reason),
            Refusal::NotFound(message) => Self::Refused {
                status: 404,
                message,
            },
            Refusal::Forbidden(reason) => Self::Forbidden(reason),
            Refusal::Failed => Self::Internal,
            Refusal::TooOften(seconds) => Self::RateLimited(seconds),
            Refusal::TooMany => Self::TooManyStreams,
            Refusal::Full => Self::Full,
        }
    }
}

/// The same answer as [`IntoResponse`] gives, as the bytes of a whole HTTP/1.1 response
/// that closes its connection: for what answers off the HTTP stack (the direct listener).
pub fn raw_response(error: &AppError) -> Bytes {
    let status = error.status_code();
    let body = serde_json::to_string(error).expect("an error serializes");
    let retry_after = match error.retry_after() {
        Some(wait) => format!("retry-after: {}\r\n", wait.to_str().unwrap_or("1")),
        None => String::new(),
    };
    Bytes::from(format!(
        "HTTP/1.1 {} {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
         {retry_after}connection: close\r\n\r\n{body}",
        status.as_u16(),
        status.canonical_reason().unwrap_or(""),
        body.len(),
    ))
}

/// Gives the current response `error`'s status (and `Retry-After`), and passes the error on.
///
/// A plain HTML form post (JavaScript off) is left alone: the server-function handler
/// redirects it back to the page, with the error in the URL for the page to show.
pub fn fail(error: AppError) -> AppError {
    let form_post = with_context::<Parts, _>(|parts| {
        parts.method == Method::POST
            && parts
                .headers
                .get(header::ACCEPT)
                .and_then(|accept| accept.to_str().ok())
                .is_some_and(|accept| accept.contains("text/html"))
    })
    .unwrap_or(false);
    if let (false, Some(response)) = (form_post, use_context::<ResponseOptions>()) {
        response.set_status(error.status_code());
        if let Some(wait) = error.retry_after() {
            response.insert_header(header::RETRY_AFTER, wait);
        }
    }
    error
}

/// Whether the current server function or page render may record that its caller read
/// what it shows (see [`may_record_reading`]); not outside a request.
pub fn records_reading() -> bool {
    with_context::<Parts, _>(|parts| {
        let bearer = parts
            .extensions
            .get::<Caller>()
            .is_some_and(|caller| caller.bearer);
        may_record_reading(&parts.method, &parts.headers, bearer)
    })
    .unwrap_or(false)
}

/// Adds `name: value` to the current server function's or page's response.
pub fn set_header(name: header::HeaderName, value: HeaderValue) {
    if let Some(response) = use_context::<ResponseOptions>() {
        response.append_header(name, value);
    }
}

/// `Json`, but a body that can't be read is answered with an [`AppError`]:
/// `400` for malformed JSON or a missing content type, `422` for missing or mistyped fields.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(request, state).await {
            Ok(Json(value)) => Ok(Self(value)),
            Err(JsonRejection::JsonDataError(e)) => Err(AppError::Invalid(e.body_text())),
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => Err(AppError::TooLarge),
            Err(e) => Err(AppError::BadRequest(e.body_text())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_stream_is_answered_as_the_app_answers_its_own_refusals() {
        let room = AppError::RoomNotFound("secret".into());
        let forbidden = || "that topic is someone else's".to_owned();
        let malformed = || "name at least one topic: /live?topic=…".to_owned();
        let answers = [
            (
                Refusal::BadRequest(malformed()),
                AppError::BadRequest(malformed()),
            ),
            (Refusal::NotFound(room.to_string()), room),
            (
                Refusal::Forbidden(forbidden()),
                AppError::Forbidden(forbidden()),
            ),
            (Refusal::Failed, AppError::Internal),
            (Refusal::TooOften(7), AppError::RateLimited(7)),
            (Refusal::TooMany, AppError::TooManyStreams),
            (Refusal::Full, AppError::Full),
        ];
        for (refusal, answer) in answers {
            let status = refusal.status();
            let refused = AppError::from(refusal.clone());
            assert_eq!(refused.status(), status, "{refusal:?}");
            assert_eq!(raw_response(&refused), raw_response(&answer), "{refusal:?}");
        }
        let waited = raw_response(&Refusal::TooOften(7).into());
        let waited = String::from_utf8(waited.to_vec()).unwrap();
        assert!(waited.contains("\r\nretry-after: 7\r\n"), "{waited}");
    }
}
