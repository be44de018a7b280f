//! How an [`AppError`] is answered: JSON with the right status for API clients, and the
//! status code on server functions and server-rendered pages.

use axum::Json;
use axum::http::{Method, StatusCode, header, request::Parts};
use axum::response::{IntoResponse, Response};
use leptos::prelude::use_context;
use leptos_axum::ResponseOptions;
use serde_json::json;

use crate::error::AppError;

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, Json(json!({ "error": self.to_string() }))).into_response()
    }
}

/// Gives the current response `error`'s status, and passes the error on.
///
/// A plain HTML form post (JavaScript off) is left alone: the server-function handler
/// redirects it back to the page, with the error in the URL for the page to show.
pub fn fail(error: AppError) -> AppError {
    let form_post = use_context::<Parts>().is_some_and(|parts| {
        parts.method == Method::POST
            && parts
                .headers
                .get(header::ACCEPT)
                .and_then(|accept| accept.to_str().ok())
                .is_some_and(|accept| accept.contains("text/html"))
    });
    if let (false, Some(response)) = (form_post, use_context::<ResponseOptions>()) {
        response.set_status(
            StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        );
    }
    error
}
