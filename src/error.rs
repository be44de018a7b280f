//! The one error type that crosses the wire: server functions and the JSON API both speak it,
//! in one shape: `{"error": "<what went wrong>", "status": <HTTP status>}`.
//!
//! Internal causes (SQL errors, I/O) are logged where they happen and reach the user only as
//! [`AppError::Internal`], never as their own text.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::js::{FromJs, Json, field};

/// What went wrong, in words a person understands.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
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
    /// No page at this address has a comment thread yet.
    #[error("no comments yet under {0}")]
    ThreadNotFound(String),
    /// No message of the room has this id (or it was deleted).
    #[error("this room has no message “{0}”")]
    MessageNotFound(String),
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
    /// An error as it came over the wire: its status and its message (what the browser, and
    /// a page shown after a refused plain form post, read back); on the server, also a
    /// stream's topic the live gate found no such thing as, in the owning feature's words.
    #[error("{message}")]
    Refused { status: u16, message: String },
    /// A stream asked for a topic that no feature has.
    #[error("there is no live topic “{0}”")]
    TopicNotFound(String),
    /// No export has this id — or it is someone else's, or expired.
    #[error("no export “{0}”: exports are kept for a day, for whoever asked for them")]
    ExportNotFound(String),
    /// Asking for an export (or for one to be made again) while as many wait to be made as
    /// the server queues; the number is the seconds to wait.
    #[error("the server has too many exports to make just now; try again in {0} s")]
    ExportsBusy(u64),
    /// Downloading an export that is still being made, or failed.
    #[error("this export is not ready: {0}")]
    ExportNotReady(String),
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
            Self::RoomNotFound(_) | Self::MessageNotFound(_) | Self::TopicNotFound(_) => 404,
            Self::ThreadNotFound(_) => 404,
            Self::SlugTaken(_) | Self::UsernameTaken(_) => 409,
            Self::Unauthorized | Self::BadCredentials => 401,
            Self::AccountNotFound(_) | Self::NotAMember(_) | Self::ExportNotFound(_) => 404,
            Self::ExportNotReady(_) => 409,
            Self::Refused { status, .. } => *status,
            Self::Forbidden(_) => 403,
            Self::RateLimited(_) | Self::ExportsBusy(_) | Self::TooManyStreams => 429,
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

/// `{"error": "<message>", "status": <status>}`.
impl Serialize for AppError {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        Wire {
            error: self.to_string(),
            status: self.status(),
        }
        .serialize(serializer)
    }
}

/// Read back as [`AppError::Refused`].
impl<'de> Deserialize<'de> for AppError {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let Wire { error, status } = Wire::deserialize(deserializer)?;
        Ok(Self::Refused {
            status,
            message: error,
        })
    }
}

/// An error's shape on the wire.
#[derive(Serialize, Deserialize)]
struct Wire {
    error: String,
    status: u16,
}

/// As it is written on the wire.
impl FromJs for AppError {
    fn from_js<J: Json>(value: &J) -> Option<Self> {
        Some(Self::Refused {
            message: field(value, "error")?,
            status: u16::try_from(field::<i64>(value, "status")?).ok()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::js::native::round_trip;

    #[test]
    fn every_error_is_written_as_its_message_and_status_and_read_back_alike() {
        let error = AppError::RateLimited(3);
        let json = serde_json::to_string(&error).unwrap();
        assert_eq!(
            json,
            r#"{"error":"too many requests; try again in 3 s","status":429}"#
        );
        let back: AppError = serde_json::from_str(&json).unwrap();
        assert_eq!((back.to_string(), back.status()), (error.to_string(), 429));
    }

    #[test]
    fn every_error_reads_back_in_the_browser_as_its_status_and_message() {
        let errors = [
            AppError::Invalid("the message is empty".into()),
            AppError::BadRequest("could not read the request: \"x\"".into()),
            AppError::RoomNotFound("lobby".into()),
            AppError::MessageNotFound("7".into()),
            AppError::SlugTaken("lobby".into()),
            AppError::Unauthorized,
            AppError::BadCredentials,
            AppError::UsernameTaken("ada".into()),
            AppError::AccountNotFound("ada".into()),
            AppError::Refused {
                status: 418,
                message: "I'm a <teapot>".into(),
            },
            AppError::TopicNotFound("nope".into()),
            AppError::ExportNotFound("3".into()),
            AppError::ExportsBusy(30),
            AppError::ExportNotReady("it is still being made".into()),
            AppError::NotAMember("bob".into()),
            AppError::Forbidden("only the room's creator can remove other members".into()),
            AppError::RateLimited(3),
            AppError::TooManyStreams,
            AppError::Full,
            AppError::TooLarge,
            AppError::Unreachable,
            AppError::Internal,
        ];
        for error in errors {
            let refused = AppError::Refused {
                status: error.status(),
                message: error.to_string(),
            };
            assert_eq!(round_trip(&error), Some(refused));
        }
    }
}
