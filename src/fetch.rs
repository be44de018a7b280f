//! The browser's few requests, made with `fetch` directly: a form submitted to its own action
//! (a server function, as with JavaScript off), a JSON GET and a text GET. Leptos'
//! server-function client and `ActionForm` would do the same for more than half the
//! bundle's size.
//!
//! Only called from event handlers and effects, which run in the browser.

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{FormData, HtmlFormElement, RequestInit, Response, UrlSearchParams};

use crate::error::AppError;
use crate::js::FromJs;

/// Submits `form`'s fields to its `action` as a server function call and reads the JSON
/// reply: the value, or the [`AppError`] the server answered with.
///
/// # Errors
/// The server's error, or [`AppError::Unreachable`] if no answer came.
pub async fn submit<T: FromJs>(form: &HtmlFormElement) -> Result<T, AppError> {
    let fields = FormData::new_with_form(form).map_err(unreachable)?;
    let body = UrlSearchParams::new_with_str_sequence_sequence(&fields).map_err(unreachable)?;
    post(&form.action(), &body).await
}

/// Calls the server function at `url` with `fields`, as a form would.
///
/// # Errors
/// As for [`submit`].
pub async fn call<T: FromJs>(url: &str, fields: &[(&str, &str)]) -> Result<T, AppError> {
    let body = UrlSearchParams::new().map_err(unreachable)?;
    for (name, value) in fields {
        body.append(name, value);
    }
    post(url, &body).await
}

async fn post<T: FromJs>(url: &str, body: &UrlSearchParams) -> Result<T, AppError> {
    let init = RequestInit::new();
    init.set_method("POST");
    init.set_body(body);
    read(fetch_json(url, &init).await)
}

/// GETs `url` and reads its JSON.
///
/// # Errors
/// The server's error, or [`AppError::Unreachable`] if no answer came.
pub async fn get_json<T: FromJs>(url: &str) -> Result<T, AppError> {
    read(fetch_json(url, &RequestInit::new()).await)
}

/// GETs `url` and reads its text (an HTML fragment, say).
///
/// # Errors
/// [`AppError::Unreachable`] if no answer came, the server's error otherwise.
pub async fn get_text(url: &str) -> Result<String, AppError> {
    let window = web_sys::window().ok_or(AppError::Unreachable)?;
    let response: Response = JsFuture::from(window.fetch_with_str(url))
        .await
        .and_then(JsValue::dyn_into)
        .map_err(unreachable)?;
    if !response.ok() {
        return Err(AppError::Internal);
    }
    let text = JsFuture::from(response.text().map_err(unreachable)?).await;
    text.map_err(unreachable)?
        .as_string()
        .ok_or(AppError::Internal)
}

/// A successful answer's JSON as `T`.
fn read<T: FromJs>(json: Result<JsValue, AppError>) -> Result<T, AppError> {
    T::from_js(&json?).ok_or(AppError::Internal)
}

/// The body's JSON when the status is a success; otherwise the error it carries, as server
/// functions and the JSON API both write it (`{"error", "status"}`).
/// (Not generic, so the browser carries this one copy.)
async fn fetch_json(url: &str, init: &RequestInit) -> Result<JsValue, AppError> {
    let window = web_sys::window().ok_or(AppError::Unreachable)?;
    let response: Response = JsFuture::from(window.fetch_with_str_and_init(url, init))
        .await
        .and_then(JsValue::dyn_into)
        .map_err(unreachable)?;
    let json = match response.json() {
        Ok(promise) => JsFuture::from(promise).await.ok(),
        Err(_) => None,
    };
    if response.ok() {
        return json.ok_or(AppError::Internal);
    }
    Err(json
        .and_then(|json| AppError::from_js(&json))
        .unwrap_or(AppError::Internal))
}

fn unreachable(_: JsValue) -> AppError {
    AppError::Unreachable
}
