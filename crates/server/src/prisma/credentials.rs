//! `/api/v1/credentials`: registry credentials; secrets are sealed and never returned in plain.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::Json;

use super::model::{Credential, CredentialUsage};
use super::query::Query;
use crate::clock::rfc3339;
use crate::error::{ApiError, ApiResult};
use crate::secrets::SecretBox;
use crate::state::AppState;

const TYPES: [&str; 11] = [
    "aws",
    "azure",
    "gcp",
    "ibmCloud",
    "oci",
    "apiToken",
    "basic",
    "dtr",
    "kubeconfig",
    "certificate",
    "gitlabToken",
];

fn present(row: &drydock_store::settings::CredentialRow) -> ApiResult<Credential> {
    let mut c: Credential = drydock_store::Store::decode("credential", &row.doc)?;
    c.secret = Default::default();
    c.api_token = Default::default();
    if let Some(s) = &row.sealed_secret {
        let shown = SecretBox::display(s);
        if c.kind == "apiToken" {
            c.api_token.encrypted = shown;
        } else {
            c.secret.encrypted = shown;
        }
    }
    c.created = rfc3339(row.created_at);
    c.last_modified = rfc3339(row.modified_at);
    Ok(c)
}

/// Lists credentials (paginated, with `Total-Count`, when `offset` or `limit` is given).
#[utoipa::path(get, path = "/api/v1/credentials", tag = "Credentials",
    responses((status = 200, body = [Credential], headers(("Total-Count" = i64)))))]
pub async fn list(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> ApiResult<(HeaderMap, Json<Vec<Credential>>)> {
    let q = Query::parse(raw.as_deref());
    let ids = q.all("ids");
    let mut all = Vec::new();
    for row in state.store.credentials().await? {
        if ids.is_empty() || ids.contains(&row.id) {
            all.push(present(&row)?);
        }
    }
    if q.get("sort").is_some() && q.flag("reverse")? {
        all.reverse();
    }
    // Paginated (with `Total-Count`) only on request; see `registry::names`.
    if !q.paginates() {
        return Ok((HeaderMap::new(), Json(all)));
    }
    let (offset, limit) = q.page()?;
    let total = all.len();
    let page: Vec<Credential> = all
        .into_iter()
        .skip(offset as usize)
        .take(limit as usize)
        .collect();
    Ok((super::registry::total_count(total as i64), Json(page)))
}

/// Creates or updates a credential by `_id`; `secret.plain` (or `apiToken.plain`) is sealed.
#[utoipa::path(post, path = "/api/v1/credentials", tag = "Credentials",
    request_body = Credential, responses((status = 200), (status = 400, description = "Invalid credential")))]
pub async fn upsert(State(state): State<AppState>, body: Bytes) -> ApiResult<()> {
    let mut c: Credential = serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(format!("credential: {e}")))?;
    if c.id.trim().is_empty() {
        return Err(ApiError::BadRequest("credential _id is required".into()));
    }
    if !TYPES.contains(&c.kind.as_str()) {
        return Err(ApiError::BadRequest(format!(
            "credential type {:?} is not one of {}",
            c.kind,
            TYPES.join(", ")
        )));
    }
    let now = state.now();
    let existing = state.store.credential(&c.id).await?;
    let plain = if !c.secret.plain.is_empty() {
        c.secret.plain.clone()
    } else {
        c.api_token.plain.clone()
    };
    let sealed = if !plain.is_empty() {
        Some(state.secrets.seal(&plain))
    } else {
        existing.as_ref().and_then(|e| e.sealed_secret.clone())
    };
    c.secret = Default::default();
    c.api_token = Default::default();
    c.created.clear();
    c.last_modified.clear();
    let doc = serde_json::to_string(&c).map_err(|e| ApiError::Internal(e.to_string()))?;
    state
        .store
        .upsert_credential(&drydock_store::settings::CredentialRow {
            id: c.id.clone(),
            doc,
            sealed_secret: sealed,
            created_at: existing.map(|e| e.created_at).unwrap_or(now),
            modified_at: now,
        })
        .await?;
    Ok(())
}

async fn users_of(state: &AppState, id: &str) -> ApiResult<Vec<CredentialUsage>> {
    Ok(state
        .specs()
        .await?
        .into_iter()
        .filter(|s| s.credential_id == id)
        .map(|s| CredentialUsage {
            description: format!(
                "{} {}",
                if s.registry.is_empty() {
                    "docker.io"
                } else {
                    &s.registry
                },
                s.repository
            )
            .trim()
            .to_string(),
            kind: "Registry Scan".into(),
        })
        .collect())
}

/// Deletes a credential; refused while a registry specification uses it.
#[utoipa::path(delete, path = "/api/v1/credentials/{id}", tag = "Credentials",
    params(("id" = String, Path)), responses((status = 200), (status = 400, description = "In use"), (status = 404)))]
pub async fn delete(State(state): State<AppState>, Path(id): Path<String>) -> ApiResult<()> {
    if !users_of(&state, &id).await?.is_empty() {
        return Err(ApiError::BadRequest(format!(
            "credential {id:?} is used by registry scan settings"
        )));
    }
    if !state.store.delete_credential(&id).await? {
        return Err(ApiError::NotFound(format!("credential {id:?} not found")));
    }
    Ok(())
}

/// What uses a credential.
#[utoipa::path(get, path = "/api/v1/credentials/{id}/usages", tag = "Credentials",
    params(("id" = String, Path)), responses((status = 200, body = [CredentialUsage])))]
pub async fn usages(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<CredentialUsage>>> {
    Ok(Json(users_of(&state, &id).await?))
}
