//! Export jobs as every backend reads them.

use sqlx::FromRow;

use super::Job;
use crate::exports::format::Format;
use crate::time::Timestamp;

/// A job as a query reads it, its requester and room by name.
#[derive(FromRow)]
pub(super) struct JobRow {
    id: i64,
    requester: String,
    room: String,
    format: String,
    state: String,
    percent: i64,
    created_at: i64,
}

impl From<JobRow> for Job {
    fn from(row: JobRow) -> Self {
        Self {
            id: row.id,
            requester: row.requester,
            room: row.room,
            format: Format::parse(&row.format).unwrap_or(Format::JsonLines),
            state: row.state,
            percent: row.percent,
            created_at: Timestamp(row.created_at),
        }
    }
}
