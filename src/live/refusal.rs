//! Why a stream was not opened: the live module's own answer, which names no feature. The
//! app answers each refusal in its own words and shape, with the status the protocol (in
//! `live.rs`) gives it: [`Refusal::status`].

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
