//! `/api/v1/registry...`: start and stop scans, watch their progress, read results.

use std::io::Read;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use drydock_scan::ScanReport;
use drydock_store::jobs::{ScanRow, ON_DEMAND, REGULAR};
use drydock_store::results::{ImageFilter, ImageRow, SortKey};

use super::model::{
    ImageScanResult, Progress, RegistryScanProgress, RegistryScanRequest, RegistrySpecification,
};
use super::query::Query;
use super::report;
use crate::clock::rfc3339;
use crate::error::{ApiError, ApiResult};
use crate::scope;
use crate::state::AppState;
use crate::worker;

/// The `Total-Count` header of paginated list endpoints (the Python SDK pages with it).
pub fn total_count(n: i64) -> HeaderMap {
    let mut h = HeaderMap::new();
    if let Ok(v) = HeaderValue::from_str(&n.to_string()) {
        h.insert("Total-Count", v);
    }
    h
}

fn filter_of(q: &Query) -> ImageFilter {
    let mut f = ImageFilter {
        names: q.all("name"),
        registries: q
            .all("registry")
            .iter()
            .map(|r| scope::registry_host(r))
            .collect(),
        repositories: q.all("repository"),
        tags: q.all("tag"),
        digests: q.all("digest"),
        ids: q.all("id"),
        search: q.get("search").map(str::to_string),
    };
    f.ids.extend(q.all("imageID"));
    f
}

/// One page of the images matching the query's filters, in its sort order, and the total.
async fn page_of(
    state: &AppState,
    q: &Query,
    offset: i64,
    limit: i64,
) -> ApiResult<(i64, Vec<ImageRow>)> {
    Ok(state
        .store
        .list_images(
            &filter_of(q),
            sort_of(q),
            q.flag("reverse").unwrap_or(false),
            offset,
            limit,
        )
        .await?)
}

fn sort_of(q: &Query) -> SortKey {
    match q.get("sort").unwrap_or("") {
        "repoTag.registry" | "registry" => SortKey::Registry,
        "repoTag.repo" | "repository" | "repo" => SortKey::Repo,
        "repoTag.tag" | "tag" => SortKey::Tag,
        "scanTime" => SortKey::ScanTime,
        "vulnerabilitiesCount" => SortKey::Vulnerabilities,
        "vulnerabilityRiskScore" => SortKey::RiskScore,
        _ => SortKey::Name,
    }
}

async fn load_report(state: &AppState, digest: &str) -> ApiResult<ScanReport> {
    let packed = state
        .store
        .report(digest)
        .await?
        .ok_or_else(|| ApiError::Internal(format!("report of {digest} missing")))?;
    let mut json = Vec::new();
    zstd::Decoder::new(&packed[..])
        .and_then(|mut d| d.read_to_end(&mut json))
        .map_err(|e| ApiError::Internal(format!("report of {digest}: {e}")))?;
    serde_json::from_slice(&json)
        .map_err(|e| ApiError::Internal(format!("report of {digest}: {e}")))
}

async fn result_of(
    state: &AppState,
    img: &ImageRow,
    specs: &[RegistrySpecification],
) -> ApiResult<(ImageScanResult, ScanReport)> {
    let rep = load_report(state, &img.digest).await?;
    let tags = state
        .store
        .tags_of(&img.registry, &img.repo, &img.digest)
        .await?;
    // Digest-only entries (on-demand scans by digest) are not tags.
    let tags: Vec<String> = tags.into_iter().filter(|t| !t.contains(':')).collect();
    let registry_type = scope::find_spec(specs, &img.registry, &img.repo, None)
        .map(|(_, s)| s.version.clone())
        .unwrap_or_default();
    let cx = report::ResultContext {
        image: img,
        tags,
        hostname: &state.hostname,
        registry_type,
    };
    Ok((report::image_scan_result(&rep, &cx), rep))
}

/// Scan reports of registry images, alphabetical by name, at most 50 per page.
#[utoipa::path(get, path = "/api/v1/registry", tag = "Registry",
    params(
        ("offset" = Option<i64>, Query), ("limit" = Option<i64>, Query, description = "At most 50"),
        ("sort" = Option<String>, Query), ("reverse" = Option<bool>, Query),
        ("name" = Option<Vec<String>>, Query, description = "Full image names"),
        ("registry" = Option<Vec<String>>, Query), ("repository" = Option<Vec<String>>, Query),
        ("tag" = Option<Vec<String>>, Query), ("digest" = Option<Vec<String>>, Query),
        ("id" = Option<Vec<String>>, Query), ("imageID" = Option<Vec<String>>, Query),
        ("search" = Option<String>, Query), ("compact" = Option<bool>, Query),
    ),
    responses((status = 200, body = [ImageScanResult], headers(("Total-Count" = i64)))))]
pub async fn list(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> ApiResult<(HeaderMap, Json<Vec<ImageScanResult>>)> {
    let q = Query::parse(raw.as_deref());
    let (offset, limit) = q.page()?;
    let compact = q.flag("compact").unwrap_or(false);
    let (total, rows) = page_of(&state, &q, offset, limit).await?;
    let specs = state.specs().await?;
    let mut out = Vec::with_capacity(rows.len());
    for img in &rows {
        let (mut r, _) = result_of(&state, img, &specs).await?;
        if compact {
            r.vulnerabilities.clear();
            r.packages.clear();
            r.history.clear();
        }
        out.push(r);
    }
    Ok((total_count(total), Json(out)))
}

/// Names of scanned registry images (`registry/repo:tag`), for `GET /registry?name=`.
/// Paginated (with `Total-Count`) only when `offset` or `limit` is given: the Python
/// SDK re-sends unpaginated calls while `Total-Count` says there is more.
#[utoipa::path(get, path = "/api/v1/registry/names", tag = "Registry",
    responses((status = 200, body = [String], headers(("Total-Count" = i64, description = "Only on paginated requests")))))]
pub async fn names(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> ApiResult<(HeaderMap, Json<Vec<String>>)> {
    let q = Query::parse(raw.as_deref());
    let paged = q.paginates();
    let (offset, limit) = if paged { q.page()? } else { (0, i64::MAX) };
    let (total, rows) = page_of(&state, &q, offset, limit).await?;
    let headers = if paged {
        total_count(total)
    } else {
        HeaderMap::new()
    };
    Ok((headers, Json(rows.into_iter().map(|r| r.name).collect())))
}

/// Every matching report as CSV, one row per vulnerability (`text/csv`).
#[utoipa::path(get, path = "/api/v1/registry/download", tag = "Registry",
    responses((status = 200, content_type = "text/csv", body = String)))]
pub async fn download(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let q = Query::parse(raw.as_deref());
    let specs = state.specs().await?;
    let mut w = csv::Writer::from_writer(Vec::new());
    let csv_err = |e: csv::Error| ApiError::Internal(e.to_string());
    w.write_record(report::CSV_HEADER).map_err(csv_err)?;
    let mut offset = 0;
    loop {
        let (_, rows) = page_of(&state, &q, offset, 200).await?;
        if rows.is_empty() {
            break;
        }
        offset += rows.len() as i64;
        for img in &rows {
            let (r, rep) = result_of(&state, img, &specs).await?;
            for row in report::csv_rows(&r, &rep) {
                w.write_record(&row).map_err(csv_err)?;
            }
        }
    }
    let body = w
        .into_inner()
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(([(header::CONTENT_TYPE, "text/csv")], body).into_response())
}

fn step(title: String, scanned: i64, total: i64, on_demand: bool, error: String) -> Progress {
    Progress {
        title,
        scanned,
        total,
        on_demand,
        error,
        scan_time: rfc3339(0),
        ..Default::default()
    }
}

fn resumed_note(scan: &ScanRow) -> String {
    if scan.resumed > 0 {
        format!(
            "scan was interrupted (worker restarted) and resumed{}",
            if scan.resumed > 1 {
                format!(" ({} times)", scan.resumed)
            } else {
                String::new()
            }
        )
    } else {
        String::new()
    }
}

/// Progress of the regular scan (no query) or of one on-demand scan
/// (`onDemand=true&repo=..&tag=..|digest=..`).
#[utoipa::path(get, path = "/api/v1/registry/progress", tag = "Registry",
    params(("onDemand" = Option<bool>, Query), ("registry" = Option<String>, Query), ("repo" = Option<String>, Query),
        ("tag" = Option<String>, Query), ("digest" = Option<String>, Query)),
    responses((status = 200, body = [RegistryScanProgress]), (status = 400, description = "On-demand parameters without onDemand=true")))]
pub async fn progress(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Vec<RegistryScanProgress>>> {
    let q = Query::parse(raw.as_deref());
    let on_demand = q.flag("onDemand")?;
    let (registry, repo, tag, digest) = (
        q.get("registry"),
        q.get("repo"),
        q.get("tag"),
        q.get("digest"),
    );
    if !on_demand {
        if registry.is_some() || repo.is_some() || tag.is_some() || digest.is_some() {
            return Err(ApiError::BadRequest(
                "registry, repo, tag and digest apply to on-demand scans only: set onDemand=true"
                    .into(),
            ));
        }
        return regular_progress(&state).await.map(Json);
    }
    let Some(repo) = repo else {
        return Err(ApiError::BadRequest(
            "onDemand=true needs repo and a tag or digest".into(),
        ));
    };
    if tag.is_none() == digest.is_none() {
        return Err(ApiError::BadRequest(
            "onDemand=true needs exactly one of tag or digest".into(),
        ));
    }
    let host = scope::registry_host(registry.unwrap_or(""));
    let Some(scan) = state
        .store
        .latest_on_demand(&host, repo, tag.unwrap_or(""), digest.unwrap_or(""))
        .await?
    else {
        return Ok(Json(Vec::new()));
    };
    if !scan.active && scan.progress_read {
        return Ok(Json(Vec::new()));
    }
    let p = state.store.spec_progress(scan.id).await?;
    let (discovered, images_total, images_done, spec_err) = p
        .first()
        .map(|p| (p.repos_done, p.images_total, p.images_done, p.error.clone()))
        .unwrap_or_default();
    let what = match tag {
        Some(t) => format!("repository: {repo}, tag: {t}"),
        None => format!("repository: {repo}, digest: {}", digest.unwrap_or("")),
    };
    let mut err = scan.error.clone();
    if err.is_empty() {
        err = spec_err;
    }
    if err.is_empty() {
        if let Some((.., e)) = state
            .store
            .scan_images(scan.id)
            .await?
            .into_iter()
            .find(|i| i.4 == "failed")
        {
            err = e;
        }
    }
    let total = images_total.max(1);
    let out = RegistryScanProgress {
        discovery: step(
            format!("Step 1/2 discovering tags in {what}"),
            discovered.min(1),
            1,
            true,
            String::new(),
        ),
        image_scan: step(
            format!("Step 2/2 scanning images in {what}"),
            images_done,
            total,
            true,
            err,
        ),
        is_scan_ongoing: scan.active,
        spec_scan_start_time: rfc3339(scan.started_at),
    };
    if !scan.active {
        state.store.mark_progress_read(scan.id).await?;
    }
    Ok(Json(vec![out]))
}

async fn regular_progress(state: &AppState) -> ApiResult<Vec<RegistryScanProgress>> {
    let Some(scan) = state.store.latest_scan(REGULAR).await? else {
        return Ok(Vec::new());
    };
    let defenders = state
        .store
        .live_workers(state.now() - 3 * state.config.lease.as_millis() as i64)
        .await?
        .max(1);
    let note = resumed_note(&scan);
    let mut out = Vec::new();
    for p in state.store.spec_progress(scan.id).await? {
        let reg = if p.registry.is_empty() {
            "docker.io".to_string()
        } else {
            p.registry.clone()
        };
        let mut disc_err = if p.error.is_empty() {
            scan.error.clone()
        } else {
            p.error.clone()
        };
        if disc_err.is_empty() {
            disc_err = note.clone();
        }
        let mut discovery = step(
            format!(
                "Step 1/2 discovering tags in registry {reg}: Discovered tags in {}/{} repositories with {defenders} Defenders",
                p.repos_done, p.repos_total
            ),
            p.repos_done,
            p.repos_total,
            false,
            disc_err,
        );
        discovery.discovery = scan.active && scan.state == "discovering";
        let image_scan = step(
            format!(
                "Step 2/2 scanning images in registry {reg}: Scanned {}/{} images with {defenders} Defender{}",
                p.images_done,
                p.images_total,
                if defenders == 1 { "" } else { "s" }
            ),
            p.images_done,
            p.images_total,
            false,
            if scan.state == "stopped" { "Scan was stopped".into() } else { note.clone() },
        );
        out.push(RegistryScanProgress {
            discovery,
            image_scan,
            is_scan_ongoing: spec_ongoing(&scan, &p),
            spec_scan_start_time: rfc3339(p.started_at),
        });
    }
    Ok(out)
}

/// A specification's part of a regular scan is going on until its repositories are
/// discovered and its images scanned (another specification may still be running).
fn spec_ongoing(scan: &ScanRow, p: &drydock_store::jobs::SpecProgress) -> bool {
    if !scan.active || p.stopped {
        return false;
    }
    let discovering = matches!(scan.state.as_str(), "queued" | "discovering")
        && (p.repos_total == 0 || p.repos_done < p.repos_total);
    discovering || p.images_done < p.images_total
}

async fn start(state: &AppState, req: RegistryScanRequest) -> ApiResult<()> {
    let specs = state.specs().await?;
    if specs.is_empty() {
        return Err(ApiError::BadRequest(
            "no registry scan settings: add a specification first".into(),
        ));
    }
    let one = match &req.tag {
        Some(t) if !t.repo.is_empty() => Some(t.clone()),
        Some(t) if req.on_demand_scan || !t.tag.is_empty() || !t.digest.is_empty() => {
            return Err(ApiError::BadRequest(
                "tag.repo is required to scan one image".into(),
            ));
        }
        _ => None,
    };
    if req.on_demand_scan && one.is_none() {
        return Err(ApiError::BadRequest(
            "an on-demand scan needs tag.repo and tag.tag or tag.digest".into(),
        ));
    }
    let Some(t) = one else {
        return match worker::queue_regular(state, &specs).await? {
            Some(_) => Ok(()),
            None => Err(already_running()),
        };
    };
    if t.tag.is_empty() && t.digest.is_empty() {
        return Err(ApiError::BadRequest(
            "tag.tag or tag.digest is required".into(),
        ));
    }
    let host = scope::registry_host(&t.registry);
    let tag_for_scope = (!t.tag.is_empty()).then_some(t.tag.as_str());
    let Some((idx, _)) = scope::find_spec(&specs, &host, &t.repo, tag_for_scope) else {
        return Err(ApiError::BadRequest(format!(
            "{host}/{}{} is outside every registry scan specification; add its registry and repository to the settings first",
            t.repo,
            if t.tag.is_empty() { format!("@{}", t.digest) } else { format!(":{}", t.tag) }
        )));
    };
    let image = worker::OneImage {
        registry: host.clone(),
        repo: t.repo.clone(),
        tag: t.tag.clone(),
        digest: if t.tag.is_empty() {
            t.digest.clone()
        } else {
            String::new()
        },
        spec_idx: idx,
    };
    let kind = if req.on_demand_scan {
        ON_DEMAND
    } else {
        REGULAR
    };
    match worker::new_scan(state, kind, &specs, Some(image)).await? {
        Some(_) => Ok(()),
        None => Err(already_running()),
    }
}

fn already_running() -> ApiError {
    ApiError::BadRequest(
        "a regular registry scan is already running; stop it (POST /api/v1/registry/stop) or wait for it to finish".into(),
    )
}

fn parse_body<T: serde::de::DeserializeOwned + Default>(body: &Bytes) -> ApiResult<T> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body).map_err(|e| ApiError::BadRequest(format!("request body: {e}")))
}

/// Starts a regular scan (empty body), a regular scan of one image (`tag`),
/// or an on-demand scan of one image (`onDemandScan: true`).
#[utoipa::path(post, path = "/api/v1/registry/scan", tag = "Registry",
    request_body = RegistryScanRequest,
    responses((status = 200), (status = 400, description = "A regular scan is running, or the image is out of scope")))]
pub async fn scan(State(state): State<AppState>, body: Bytes) -> ApiResult<()> {
    start(&state, parse_body(&body)?).await
}

/// Starts several scan requests (an array of `shared.RegistryScanRequest`).
#[utoipa::path(post, path = "/api/v1/registry/scan/select", tag = "Registry",
    request_body = [RegistryScanRequest], responses((status = 200), (status = 400)))]
pub async fn scan_select(State(state): State<AppState>, body: Bytes) -> ApiResult<()> {
    let reqs: Vec<RegistryScanRequest> = parse_body(&body)?;
    for r in reqs {
        start(&state, r).await?;
    }
    Ok(())
}

/// Stops the running regular scan (on-demand scans go on).
#[utoipa::path(post, path = "/api/v1/registry/stop", tag = "Registry", responses((status = 200)))]
pub async fn stop(State(state): State<AppState>) -> ApiResult<()> {
    if let Some(id) = state.store.stop_regular(state.now()).await? {
        tracing::info!("regular scan {id} stopped");
    }
    Ok(())
}

/// Stops one specification's part of the running regular scan.
#[utoipa::path(post, path = "/api/v1/registry/stop/{id}", tag = "Registry",
    params(("id" = String, Path, description = "Specification id")), responses((status = 200)))]
pub async fn stop_id(State(state): State<AppState>, Path(id): Path<String>) -> ApiResult<()> {
    state.store.stop_spec(&id, state.now()).await?;
    Ok(())
}
