//! Why a stream was not opened: the live module's own answer, which names no feature. The
//! app answers each refusal in its own words and shape, with the status the protocol (in
//! `lib.rs`) gives it: [`Refusal::status`].

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Why [`super::LiveState`] did not open a stream: the request, the gate or the caps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The request can't be read: no topic, too many, a malformed topic or cursor. The
    /// reason says which.
    BadRequest(String),
    /// The gate's: a topic that no one has, or whose existence must not leak to this
    /// subscriber; in the gate's words.
    NotFound(String),
    /// The gate's: the subscriber may not have the topic; the reason says why.
    Forbidden(String),
    /// The gate could not tell (its cause is logged where it happened).
    Failed,
    /// The subscriber's address opens streams too often; the number is the seconds until
    /// it may open another.
    TooOften(u64),
    /// The subscriber's address holds as many streams as it may.
    TooMany,
    /// The server holds as many streams as it may.
    Full,
}

impl Refusal {
    /// The HTTP status the refusal is answered with.
    pub fn status(&self) -> u16 {
        match self {
            Self::BadRequest(_) => 400,
            Self::NotFound(_) => 404,
            Self::Forbidden(_) => 403,
            Self::Failed => 500,
            Self::TooOften(_) | Self::TooMany => 429,
            Self::Full => 503,
        }
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::BadRequest(reason) | Self::NotFound(reason) | Self::Forbidden(reason) => {
                f.write_str(reason)
            }
            Self::Failed => f.write_str("the stream could not be opened; try again"),
            Self::TooOften(seconds) => write!(
                f,
                "too many streams opened from your address; try again in {seconds} s"
            ),
            Self::TooMany => f.write_str("your address holds as many streams as it may"),
            Self::Full => {
                f.write_str("the server holds as many streams as it may; try again later")
            }
        }
    }
}

impl std::error::Error for Refusal {}

/// The refusal in its default words, as plain text, with its status (and `Retry-After`
/// for [`Refusal::TooOften`]).
impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let retry_after = match self {
            Self::TooOften(seconds) => Some([(header::RETRY_AFTER, seconds.to_string())]),
            _ => None,
        };
        (status, retry_after, self.to_string()).into_response()
    }
}
