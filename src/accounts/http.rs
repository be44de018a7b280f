//! The accounts JSON API: sign up, sign in (a token for scripts, a cookie for browsers),
//! sign out, and who am I.

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{AppendHeaders, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use super::caller::Caller;
use super::cookies::{Holder, device_cookie, session_cookie};
use super::service::{AccountService, Started};
use crate::api::ApiJson;
use crate::error::AppError;

/// `/api/accounts`, `/api/session`, `/api/me`.
pub fn routes<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    AccountService: axum::extract::FromRef<S>,
{
    Router::new()
        .route("/api/accounts", post(sign_up))
        .route("/api/session", post(sign_in).delete(sign_out))
        .route("/api/me", get(me))
}

#[derive(Deserialize)]
struct Credentials {
    username: String,
    password: String,
}

/// `201 {"username"}` and a session cookie.
async fn sign_up(
    State(accounts): State<AccountService>,
    caller: Caller,
    ApiJson(new): ApiJson<Credentials>,
) -> Result<Response, AppError> {
    let started = accounts
        .sign_up(caller.addr.network(), &new.username, &new.password)
        .await?;
    let body = Json(json!({ "username": started.account.username }));
    Ok((StatusCode::CREATED, cookies(&started, caller.https), body).into_response())
}

/// `200 {"username", "token"}` and a session cookie.
async fn sign_in(
    State(accounts): State<AccountService>,
    caller: Caller,
    ApiJson(credentials): ApiJson<Credentials>,
) -> Result<Response, AppError> {
    let (username, password) = (&credentials.username, &credentials.password);
    let device = caller.device.as_deref();
    let started = accounts
        .sign_in(caller.addr.network(), username, password, device)
        .await?;
    let token = started.token.as_str();
    let body = Json(json!({ "username": started.account.username, "token": token }));
    Ok((cookies(&started, caller.https), body).into_response())
}

/// The session's cookie and the device's, for a browser (appended: both are `Set-Cookie`).
fn cookies(
    started: &Started,
    https: bool,
) -> AppendHeaders<[(header::HeaderName, HeaderValue); 2]> {
    AppendHeaders([
        (
            header::SET_COOKIE,
            session_cookie(Holder::Site, Some(&started.token), https),
        ),
        (header::SET_COOKIE, device_cookie(&started.device, https)),
    ])
}

/// `204`: the session the request carries ends, and its cookie is cleared.
async fn sign_out(
    State(accounts): State<AccountService>,
    caller: Caller,
) -> Result<Response, AppError> {
    if let Some(token) = &caller.token {
        accounts.sign_out(token).await?;
    }
    let cookie = session_cookie(caller.holder, None, caller.https);
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, cookie)]).into_response())
}

/// `200 {"username"}`, or `401` when signed out.
async fn me(caller: Caller) -> Result<Response, AppError> {
    let account = caller.account()?;
    Ok(Json(json!({ "username": account.username })).into_response())
}
