//! The accounts JSON API: sign up, sign in (a token for scripts, a cookie for browsers),
//! sign out, and who am I.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use super::caller::{Caller, session_cookie};
use super::service::AccountService;
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
    let (account, token) = accounts
        .sign_up(caller.addr.0, &new.username, &new.password)
        .await?;
    let cookie = session_cookie(Some(&token), caller.https);
    let body = Json(json!({ "username": account.username }));
    Ok((StatusCode::CREATED, [(header::SET_COOKIE, cookie)], body).into_response())
}

/// `200 {"username", "token"}` and a session cookie.
async fn sign_in(
    State(accounts): State<AccountService>,
    caller: Caller,
    ApiJson(credentials): ApiJson<Credentials>,
) -> Result<Response, AppError> {
    let (account, token) = accounts
        .sign_in(caller.addr.0, &credentials.username, &credentials.password)
        .await?;
    let cookie = session_cookie(Some(&token), caller.https);
    let body = Json(json!({ "username": account.username, "token": token.as_str() }));
    Ok(([(header::SET_COOKIE, cookie)], body).into_response())
}

/// `204`: the session the request carries ends, and its cookie is cleared.
async fn sign_out(
    State(accounts): State<AccountService>,
    caller: Caller,
) -> Result<Response, AppError> {
    if let Some(token) = &caller.token {
        accounts.sign_out(token).await?;
    }
    let cookie = session_cookie(None, caller.https);
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, cookie)]).into_response())
}

/// `200 {"username"}`, or `401` when signed out.
async fn me(caller: Caller) -> Result<Response, AppError> {
    let account = caller.account()?;
    Ok(Json(json!({ "username": account.username })).into_response())
}
