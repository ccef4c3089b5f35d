//! The Prisma Cloud Compute API (registry scanning part): one module per area.
//!
//! Routes are declared once under `/api/v1`; `/api/vNN.NN/...` requests are
//! rewritten to it before routing (see [`crate::app`]).

pub mod authenticate;
pub mod credentials;
pub mod model;
pub mod query;
pub mod registry;
pub mod report;
pub mod settings;
pub mod statuses;

use axum::routing::{get, post};
use axum::Router;

use crate::state::AppState;

/// Routes that need authentication.
pub fn protected() -> Router<AppState> {
    Router::new()
        .route("/api/v1/registry", get(registry::list))
        .route("/api/v1/registry/names", get(registry::names))
        .route("/api/v1/registry/download", get(registry::download))
        .route("/api/v1/registry/progress", get(registry::progress))
        .route("/api/v1/registry/scan", post(registry::scan))
        .route("/api/v1/registry/scan/select", post(registry::scan_select))
        .route("/api/v1/registry/stop", post(registry::stop))
        .route("/api/v1/registry/stop/{id}", post(registry::stop_id))
        .route(
            "/api/v1/settings/registry",
            get(settings::get_registry)
                .put(settings::put_registry)
                .post(settings::post_registry),
        )
        .route(
            "/api/v1/credentials",
            get(credentials::list).post(credentials::upsert),
        )
        .route(
            "/api/v1/credentials/{id}",
            axum::routing::delete(credentials::delete),
        )
        .route("/api/v1/credentials/{id}/usages", get(credentials::usages))
        .route("/api/v1/statuses/registry", get(statuses::registry))
}

/// Routes open to everyone.
pub fn public() -> Router<AppState> {
    Router::new().route("/api/v1/authenticate", post(authenticate::authenticate))
}
