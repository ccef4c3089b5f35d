//! `/api/v1/settings/registry`: the registry scan specifications.

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::Json;
use rand::Rng;

use super::model::{RegistrySettings, RegistrySpecification};
use super::query::Query;
use crate::clock::rfc3339;
use crate::error::{ApiError, ApiResult};
use crate::state::{AppState, REGISTRY_SETTINGS};
use crate::worker;

/// Prisma refuses more specifications than this.
const MAX_SPECS: usize = 19_999;

/// The settings with each specification's scan status filled in.
#[utoipa::path(get, path = "/api/v1/settings/registry", tag = "Settings",
    responses((status = 200, body = RegistrySettings)))]
pub async fn get_registry(State(state): State<AppState>) -> ApiResult<Json<RegistrySettings>> {
    let mut s = state.registry_settings().await?;
    if let Some(scan) = state
        .store
        .latest_scan(drydock_store::jobs::REGULAR)
        .await?
    {
        let progress = state.store.spec_progress(scan.id).await?;
        for spec in &mut s.specifications {
            let Some(p) = progress.iter().find(|p| p.spec_id == spec.id) else {
                continue;
            };
            let status = match (scan.active, scan.state.as_str()) {
                (true, _) if p.stopped => "stopped",
                (true, _) => "scanning",
                (false, "done") if p.error.is_empty() => "completed",
                (false, "done") => "completed with errors",
                (false, other) => other,
            };
            spec.scan_status = status.to_string();
            spec.last_scan_status = status.to_string();
            spec.scan_error = p.error.clone();
            spec.scan_time = rfc3339(p.started_at.max(scan.started_at));
            spec.last_scan_time = rfc3339(scan.finished_at);
            spec.scanned_images_success_total = p.images_done;
        }
    }
    Ok(Json(s))
}

fn new_id() -> String {
    format!("{:016x}", rand::thread_rng().gen::<u64>())
}

async fn validate(state: &AppState, specs: &mut [RegistrySpecification]) -> ApiResult<()> {
    if specs.len() > MAX_SPECS {
        return Err(ApiError::BadRequest(format!(
            "too many registry specifications ({}; at most {MAX_SPECS})",
            specs.len()
        )));
    }
    for s in specs.iter_mut() {
        if s.id.is_empty() {
            s.id = new_id();
        }
        if s.version.is_empty() {
            s.version = "2".into();
        }
        if !matches!(s.os.as_str(), "" | "linux" | "linuxARM64" | "windows") {
            return Err(ApiError::BadRequest(format!(
                "os {:?}: expected linux, linuxARM64 or windows",
                s.os
            )));
        }
        if s.os.is_empty() {
            s.os = "linux".into();
        }
        if s.cap < 0 {
            return Err(ApiError::BadRequest("cap must not be negative".into()));
        }
        if !s.credential_id.is_empty() && state.store.credential(&s.credential_id).await?.is_none()
        {
            return Err(ApiError::BadRequest(format!(
                "credential {:?} does not exist",
                s.credential_id
            )));
        }
        // Status fields are the server's.
        s.scan_status.clear();
        s.last_scan_status.clear();
        s.scan_error.clear();
        s.scan_time.clear();
        s.last_scan_time.clear();
        s.scanned_images_success_total = 0;
    }
    Ok(())
}

async fn save_and_maybe_scan(
    state: &AppState,
    settings: &RegistrySettings,
    q: &Query,
) -> ApiResult<()> {
    let doc = serde_json::to_string(settings).map_err(|e| ApiError::Internal(e.to_string()))?;
    state.store.put_setting(REGISTRY_SETTINGS, &doc).await?;
    if !q.flag("scanLater")? && !settings.specifications.is_empty() {
        // Saving starts a scan (unless one is running already), as in Prisma.
        worker::queue_regular(state, &settings.specifications).await?;
    }
    Ok(())
}

/// Replaces all specifications; an empty body or list erases them. Starts a scan unless `scanLater`.
#[utoipa::path(put, path = "/api/v1/settings/registry", tag = "Settings",
    request_body = RegistrySettings,
    params(("scanLater" = Option<bool>, Query, description = "Save without starting a scan")),
    responses((status = 200), (status = 400, description = "Invalid specifications")))]
pub async fn put_registry(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
    body: Bytes,
) -> ApiResult<()> {
    let q = Query::parse(raw.as_deref());
    let mut settings: RegistrySettings = if body.iter().all(u8::is_ascii_whitespace) {
        RegistrySettings::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| ApiError::BadRequest(format!("registry settings: {e}")))?
    };
    validate(&state, &mut settings.specifications).await?;
    save_and_maybe_scan(&state, &settings, &q).await
}

/// Appends one specification. Starts a scan unless `scanLater`.
#[utoipa::path(post, path = "/api/v1/settings/registry", tag = "Settings",
    request_body = RegistrySpecification,
    params(("scanLater" = Option<bool>, Query, description = "Save without starting a scan")),
    responses((status = 200), (status = 400, description = "Invalid specification")))]
pub async fn post_registry(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
    body: Bytes,
) -> ApiResult<()> {
    let q = Query::parse(raw.as_deref());
    let spec: RegistrySpecification = serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(format!("registry specification: {e}")))?;
    let mut settings = state.registry_settings().await?;
    let mut one = [spec];
    validate(&state, &mut one).await?;
    let [spec] = one;
    settings.specifications.push(spec);
    if settings.specifications.len() > MAX_SPECS {
        return Err(ApiError::BadRequest(format!(
            "too many registry specifications (at most {MAX_SPECS})"
        )));
    }
    save_and_maybe_scan(&state, &settings, &q).await
}
