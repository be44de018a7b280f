//! The one error type that crosses the wire: server functions and the JSON API both speak it.
//!
//! Internal causes (SQL errors, I/O) are logged where they happen and reach the user only as
//! [`AppError::Internal`], never as their own text.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};
use wasm_bindgen::JsValue;

use crate::js::{FromJs, field};

/// What went wrong, in words a person understands.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum AppError {
    /// A field failed validation (empty text, name too long, malformed slug …).
    #[error("{0}")]
    Invalid(String),
    /// The request could not be read at all (malformed JSON or form data).
    #[error("{0}")]
    BadRequest(String),
    /// No room has this slug.
    #[error("no room is called “{0}”")]
    RoomNotFound(String),
    /// Creating a room whose slug another room already has.
    #[error("the room “{0}” already exists")]
    SlugTaken(String),
    /// A call that needs an account, made without a valid session.
    #[error("sign in first")]
    Unauthorized,
    /// Signing in with an unknown username or a wrong password (one message for both).
    #[error("wrong username or password")]
    BadCredentials,
    /// Signing up with a username another account has.
    #[error("the username “{0}” is taken")]
    UsernameTaken(String),
    /// No account has this username.
    #[error("no account is called “{0}”")]
    AccountNotFound(String),
    /// Something asked for isn't there, as the JSON API said it (the text is its message).
    #[error("{0}")]
    NotFound(String),
    /// Removing someone from a room they are not a member of.
    #[error("“{0}” is not a member of this room")]
    NotAMember(String),
    /// The caller may not do this (the reason says why).
    #[error("{0}")]
    Forbidden(String),
    /// Too many requests of this kind; the number is the seconds to wait.
    #[error("too many requests; try again in {0} s")]
    RateLimited(u64),
    /// Too many event streams open from the caller's address.
    #[error("too many open streams from your address; close some tabs and try again")]
    TooManyStreams,
    /// The server holds as many event streams as it may.
    #[error("the server is full; try again in a moment")]
    Full,
    /// The request body was larger than the server accepts.
    #[error("the request is too large")]
    TooLarge,
    /// The browser could not reach the server.
    #[error("could not reach the server; check your connection and try again")]
    Unreachable,
    /// Something failed on the server; the cause is in the server's log.
    #[error("something went wrong on our side; please try again")]
    Internal,
}

impl AppError {
    /// The HTTP status this error is reported with.
    pub fn status(&self) -> u16 {
        match self {
            Self::Invalid(_) => 422,
            Self::BadRequest(_) => 400,
            Self::RoomNotFound(_) => 404,
            Self::SlugTaken(_) | Self::UsernameTaken(_) => 409,
            Self::Unauthorized | Self::BadCredentials => 401,
            Self::AccountNotFound(_) | Self::NotAMember(_) | Self::NotFound(_) => 404,
            Self::Forbidden(_) => 403,
            Self::RateLimited(_) | Self::TooManyStreams => 429,
            Self::Full => 503,
            Self::TooLarge => 413,
            Self::Unreachable => 503,
            Self::Internal => 500,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(error: ServerFnErrorErr) -> Self {
        match error {
            ServerFnErrorErr::Args(reason)
            | ServerFnErrorErr::MissingArg(reason)
            | ServerFnErrorErr::Deserialization(reason) => {
                Self::BadRequest(format!("could not read the request: {reason}"))
            }
            ServerFnErrorErr::Request(_) | ServerFnErrorErr::Response(_) => Self::Unreachable,
            _ => Self::Internal,
        }
    }
}

/// As serde writes it: `"Internal"`, or `{"Invalid": "…"}`.
impl FromJs for AppError {
    fn from_js(value: &JsValue) -> Option<Self> {
        if let Some(unit) = value.as_string() {
            return match unit.as_str() {
                "TooLarge" => Some(Self::TooLarge),
                "Unauthorized" => Some(Self::Unauthorized),
                "BadCredentials" => Some(Self::BadCredentials),
                "Unreachable" => Some(Self::Unreachable),
                "Internal" => Some(Self::Internal),
                _ => None,
            };
        }
        let text = |variant: &str| field::<String>(value, variant);
        text("Invalid")
            .map(Self::Invalid)
            .or_else(|| text("BadRequest").map(Self::BadRequest))
            .or_else(|| text("RoomNotFound").map(Self::RoomNotFound))
            .or_else(|| text("SlugTaken").map(Self::SlugTaken))
            .or_else(|| text("UsernameTaken").map(Self::UsernameTaken))
            .or_else(|| text("AccountNotFound").map(Self::AccountNotFound))
            .or_else(|| text("Forbidden").map(Self::Forbidden))
            .or_else(|| text("NotAMember").map(Self::NotAMember))
            .or_else(|| field::<i64>(value, "RateLimited").map(|s| Self::RateLimited(s as u64)))
    }
}
