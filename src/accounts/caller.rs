//! Who makes a request: its client address and, if it carries a live session (the cookie or
//! `Authorization: Bearer`), its account. A middleware works this out once per request; the
//! JSON API extracts it as [`Caller`], server functions and pages read it with [`caller`].
//! The same middleware refuses cross-site writes that ride on the cookie.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::{HeaderMap, Method, header, request::Parts};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use live_loader::direct::Peer;
use live_loader::{Session, Subscriber};

use super::cookies::{
    DEVICE_COOKIE, Holder, cookie, name, session_cookie, session_in, sets_session,
};
use super::domain::Account;
use super::service::AccountService;
use super::token::{SessionToken, to_hex};
use crate::error::AppError;
use crate::protect::{ClientAddr, TrustedProxies, is_cross_site};

/// Who makes the current request.
#[derive(Clone, Debug)]
pub struct Caller {
    /// The signed-in account, if any.
    pub account: Option<Account>,
    /// The token the request carried, live or not.
    pub token: Option<SessionToken>,
    /// Whether the token came as `Authorization: Bearer` (not ambient, so no CSRF check).
    pub bearer: bool,
    /// Whose cookie carried the token (Murmur's own pages', or a thread frame's).
    pub holder: Holder,
    /// Whether this request moved the session's expiry forward (so a cookie is sent again
    /// with the new expiry).
    pub renewed: bool,
    /// When the live session expires (ms since the epoch).
    pub expires_at: Option<i64>,
    /// The device cookie the request carried, if any (see `device.rs`).
    pub device: Option<String>,
    /// Where the request comes from, for rate limits and stream caps.
    pub addr: ClientAddr,
    /// Whether the client reached us over https (through a trusted proxy).
    pub https: bool,
}

impl Caller {
    /// The signed-in account.
    ///
    /// # Errors
    /// `Unauthorized` when signed out.
    pub fn account(&self) -> Result<&Account, AppError> {
        self.account.as_ref().ok_or(AppError::Unauthorized)
    }

    /// Who the live module sees subscribing.
    pub fn subscriber(&self) -> Subscriber {
        let session = match (&self.token, self.expires_at) {
            (Some(token), Some(expires_at)) if self.account.is_some() => Some(Session {
                key: to_hex(&token.hash()).into(),
                expires_at,
            }),
            _ => None,
        };
        Subscriber {
            who: self.username().map(Arc::from),
            session,
            addr: self.addr.network(),
        }
    }

    /// The username, if signed in.
    pub fn username(&self) -> Option<&str> {
        self.account
            .as_ref()
            .map(|account| account.username.as_str())
    }

    /// Works out who sends a request with `headers` over a connection from `peer`.
    ///
    /// # Errors
    /// `Internal` if the session store fails.
    pub async fn identify(
        accounts: &AccountService,
        proxies: &TrustedProxies,
        peer: SocketAddr,
        headers: &HeaderMap,
    ) -> Result<Self, AppError> {
        let text = |name| headers.get(name).and_then(|value| value.to_str().ok());
        // A proxy may add its own header line instead of appending to the client's: read
        // the chain across every line.
        let forwarded = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .collect::<Vec<_>>()
            .join(",");
        let addr = proxies.client(peer.ip(), (!forwarded.is_empty()).then_some(&forwarded));
        let https = proxies.is_trusted(peer.ip())
            && text(header::HeaderName::from_static("x-forwarded-proto")) == Some("https");
        let (token, bearer, holder) = match (bearer(headers), session_in(headers, https)) {
            (Some(token), _) => (token, true, Holder::Site),
            (None, Some((token, holder))) => (SessionToken::parse(token), false, holder),
            (None, None) => (None, false, Holder::Site),
        };
        let device = cookie(headers, &name(DEVICE_COOKIE, https)).map(str::to_owned);
        let signed_in = match &token {
            Some(token) => accounts.authenticate(token).await?,
            None => None,
        };
        Ok(Self {
            account: signed_in.as_ref().map(|s| s.account.clone()),
            token,
            bearer,
            holder,
            renewed: signed_in.as_ref().is_some_and(|s| s.renewed),
            expires_at: signed_in.map(|s| s.expires_at),
            device,
            addr,
            https,
        })
    }
}

/// The token of an `Authorization: Bearer <token>` header. `Some(None)` for a malformed
/// one: the request then counts as signed out, and never falls back to the cookie.
fn bearer(headers: &HeaderMap) -> Option<Option<SessionToken>> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok();
    Some(
        value
            .and_then(|value| value.strip_prefix("Bearer "))
            .and_then(|t| SessionToken::parse(t.trim())),
    )
}

/// What [`identify`] needs.
#[derive(Clone)]
pub struct Identify {
    /// Who a session token belongs to.
    pub accounts: AccountService,
    /// Whose `X-Forwarded-*` headers are believed.
    pub proxies: TrustedProxies,
}

/// Middleware: puts the request's [`Caller`] into its extensions, and answers `403` to a
/// state-changing request that rides on the cookie from another site.
pub async fn identify(
    State(identify): State<Identify>,
    mut request: Request,
    next: Next,
) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<Peer>>()
        .map_or(SocketAddr::from(([0, 0, 0, 0], 0)), |info| info.0.0);
    let caller = match Caller::identify(
        &identify.accounts,
        &identify.proxies,
        peer,
        request.headers(),
    )
    .await
    {
        Ok(caller) => caller,
        Err(error) => return error.into_response(),
    };
    let writes = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if writes && !caller.bearer && is_cross_site(request.headers()) {
        return AppError::Forbidden("refused: this request came from another site".into())
            .into_response();
    }
    let renewed_cookie = (caller.renewed && !caller.bearer)
        .then(|| {
            caller
                .token
                .as_ref()
                .map(|token| session_cookie(caller.holder, Some(token), caller.https))
        })
        .flatten();
    let (https, holder) = (caller.https, caller.holder);
    request.extensions_mut().insert(caller);
    let mut response = next.run(request).await;
    // A handler that set the session cookie (signing in or out) has the last word: the
    // renewal of the session the request came with would bring that one back.
    if let Some(cookie) = renewed_cookie
        && !sets_session(response.headers(), holder, https)
    {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, AppError> {
        parts
            .extensions
            .get::<Caller>()
            .cloned()
            .ok_or(AppError::Internal)
    }
}

/// The current request's caller, in a server function or a server render.
///
/// # Errors
/// `Internal` outside a request that went through [`identify`].
pub fn caller() -> Result<Caller, AppError> {
    // Borrowed, not `use_context`: that would clone the whole request head on every call.
    leptos::prelude::with_context::<Parts, _>(|parts| parts.extensions.get::<Caller>().cloned())
        .flatten()
        .ok_or(AppError::Internal)
}
