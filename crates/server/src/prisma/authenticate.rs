//! `POST /api/v1/authenticate`: user name and password for a bearer token.

use axum::extract::State;
use axum::Json;

use super::model::{AuthenticationRequest, AuthenticationResponse};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Exchanges credentials for a token valid for the configured time (30 minutes by default).
#[utoipa::path(post, path = "/api/v1/authenticate", tag = "Authenticate",
    request_body = AuthenticationRequest,
    responses((status = 200, body = AuthenticationResponse), (status = 401, description = "Wrong credentials")))]
pub async fn authenticate(
    State(state): State<AppState>,
    body: Option<Json<AuthenticationRequest>>,
) -> ApiResult<Json<AuthenticationResponse>> {
    let Some(Json(req)) = body else {
        return Err(ApiError::BadRequest(
            "expected a JSON body with username and password".into(),
        ));
    };
    if req.username.is_empty() || !state.check_password(&req.username, &req.password).await? {
        return Err(ApiError::Unauthorized);
    }
    let token = state.issue_token(&req.username).await?;
    Ok(Json(AuthenticationResponse { token }))
}
