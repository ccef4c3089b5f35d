//! `GET /api/v1/statuses/registry`: the state of the last regular scan.

use axum::extract::State;
use axum::Json;

use super::model::ScanStatus;
use crate::clock::rfc3339;
use crate::error::ApiResult;
use crate::state::AppState;

/// Whether the last regular scan completed, is running, and its ten most recent errors.
#[utoipa::path(get, path = "/api/v1/statuses/registry", tag = "Statuses",
    responses((status = 200, body = ScanStatus)))]
pub async fn registry(State(state): State<AppState>) -> ApiResult<Json<ScanStatus>> {
    let Some(scan) = state
        .store
        .latest_scan(drydock_store::jobs::REGULAR)
        .await?
    else {
        return Ok(Json(ScanStatus {
            hostname: state.hostname.to_string(),
            scan_time: rfc3339(0),
            ..Default::default()
        }));
    };
    let mut errors = state.store.scan_errors(scan.id, 10).await?;
    if scan.state == "stopped" {
        errors.insert(0, "Scan was stopped".into());
    }
    errors.truncate(10);
    Ok(Json(ScanStatus {
        completed: scan.state == "done",
        errors,
        hostname: state.hostname.to_string(),
        scan_time: rfc3339(if scan.finished_at > 0 {
            scan.finished_at
        } else {
            scan.started_at
        }),
        scanning: scan.active,
        selective: !scan.repo.is_empty(),
    }))
}
