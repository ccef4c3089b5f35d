//! One error type for every handler, mapped to an HTTP status; internals are logged, not sent.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// What a handler can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Missing, wrong or expired credentials.
    #[error("unauthorized")]
    Unauthorized,
    /// The request is malformed or not allowed in the current state.
    #[error("{0}")]
    BadRequest(String),
    /// No such object.
    #[error("{0}")]
    NotFound(String),
    /// Storage failed.
    #[error("internal error")]
    Store(#[from] drydock_store::StoreError),
    /// Anything else that is our fault.
    #[error("internal error")]
    Internal(String),
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = match &self {
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Store(e) => {
                tracing::error!("store: {e}");
                StatusCode::INTERNAL_SERVER_ERROR
            }
            ApiError::Internal(e) => {
                tracing::error!("internal: {e}");
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        // Prisma's errors are a JSON object with `err`; clients print the text.
        let body = serde_json::json!({ "err": self.to_string() });
        (status, axum::Json(body)).into_response()
    }
}

/// Handler result.
pub type ApiResult<T> = Result<T, ApiError>;
