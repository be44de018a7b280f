//! The exports JSON API: ask for an export of a room, see how it is going, download it.

use axum::body::Body;
use axum::extract::{FromRef, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use tokio_util::io::ReaderStream;

use super::service::{ExportService, summary};
use crate::accounts::Caller;
use crate::api::ApiJson;
use crate::error::AppError;

/// `/api/rooms/{slug}/exports` and `/api/exports…`.
pub fn routes<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    ExportService: FromRef<S>,
{
    Router::new()
        .route("/api/rooms/{slug}/exports", post(request_export))
        .route("/api/exports", get(list_exports))
        .route("/api/exports/{id}", get(export_state))
        .route("/api/exports/{id}/download", get(download))
}

#[derive(Deserialize)]
struct NewExport {
    format: String,
}

/// `202 {"id"}`: the export is under way; its progress arrives on the caller's topic.
async fn request_export(
    State(exports): State<ExportService>,
    caller: Caller,
    Path(slug): Path<String>,
    ApiJson(asked): ApiJson<NewExport>,
) -> Result<Response, AppError> {
    let id = exports
        .request(caller.account()?, &slug, &asked.format)
        .await?;
    Ok((StatusCode::ACCEPTED, Json(json!({ "id": id }))).into_response())
}

/// `200`: the caller's exports of the last day, newest first.
async fn list_exports(
    State(exports): State<ExportService>,
    caller: Caller,
) -> Result<Response, AppError> {
    Ok(Json(exports.summaries(caller.account()?).await?).into_response())
}

/// `200 {"id","state","percent"}`; `404` for anyone but the requester.
async fn export_state(
    State(exports): State<ExportService>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let job = exports.job(caller.account()?, export_id(&id)?).await?;
    let job = summary(job);
    let state = json!({ "id": job.id, "state": job.state, "percent": job.percent });
    Ok(Json(state).into_response())
}

/// `200`: the file, streamed from disk; `404` for anyone but the requester, `409` until
/// it is ready.
async fn download(
    State(exports): State<ExportService>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let (job, file) = exports.download(caller.account()?, export_id(&id)?).await?;
    let name = format!("murmur-{}-{}.{}", job.room, job.id, job.format.name());
    Ok((
        [
            (header::CONTENT_TYPE, job.format.content_type().to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        Body::from_stream(ReaderStream::new(file)),
    )
        .into_response())
}

/// An export id from the path: `404` for anything but a number, as for an unknown one.
fn export_id(raw: &str) -> Result<i64, AppError> {
    raw.parse()
        .map_err(|_| AppError::ExportNotFound(raw.to_owned()))
}
