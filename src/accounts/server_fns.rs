//! Accounts' server functions: what the sign-up, sign-in and sign-out forms post to. They
//! are plain forms (no island): with or without JavaScript, success redirects to `next`
//! (a path on this site) and a refusal comes back to the form with its error.

use leptos::prelude::*;

/// Creates an account, signs it in, and goes on to `next` (default `/`).
#[server(endpoint = "sign_up")]
pub async fn sign_up(
    username: String,
    password: String,
    next: Option<String>,
) -> Result<String, crate::error::AppError> {
    use crate::accounts::{accounts, caller, start_session};
    use crate::api::fail;
    let caller = caller().map_err(fail)?;
    let signed_up = accounts()
        .sign_up(caller.addr.network(), &username, &password)
        .await;
    Ok(start_session(
        &caller,
        signed_up.map_err(fail)?,
        next.as_deref(),
    ))
}

/// Signs in and goes on to `next` (default `/`).
#[server(endpoint = "sign_in")]
pub async fn sign_in(
    username: String,
    password: String,
    next: Option<String>,
) -> Result<String, crate::error::AppError> {
    use crate::accounts::{accounts, caller, start_session};
    use crate::api::fail;
    let caller = caller().map_err(fail)?;
    let device = caller.device.as_deref();
    let signed_in = accounts()
        .sign_in(caller.addr.network(), &username, &password, device)
        .await;
    Ok(start_session(
        &caller,
        signed_in.map_err(fail)?,
        next.as_deref(),
    ))
}

/// Ends this browser's session (or, from a thread's frame, the frame's) and goes on to
/// `next` (default `/`).
#[server(endpoint = "sign_out")]
pub async fn sign_out(next: Option<String>) -> Result<(), crate::error::AppError> {
    use crate::accounts::{Holder, accounts, caller, local_path, session_cookie};
    use crate::api::{fail, set_header};
    let caller = caller().map_err(fail)?;
    if let Some(token) = &caller.token {
        accounts().sign_out(token).await.map_err(fail)?;
    }
    let next = local_path(next.as_deref());
    let ended = session_cookie(Holder::going_to(next), None, caller.https);
    set_header(axum::http::header::SET_COOKIE, ended);
    leptos_axum::redirect(next);
    Ok(())
}
