//! The OpenAPI document of what drydock serves, generated from the handlers' annotations.

use axum::Json;
use utoipa::OpenApi;

use crate::prisma;

#[derive(OpenApi)]
#[openapi(
    info(title = "drydock", description = "Prisma Cloud Compute-compatible registry scanning API served by drydock. Every path is also served under /api/vNN.NN/."),
    paths(
        prisma::authenticate::authenticate,
        prisma::registry::list,
        prisma::registry::names,
        prisma::registry::download,
        prisma::registry::progress,
        prisma::registry::scan,
        prisma::registry::scan_select,
        prisma::registry::stop,
        prisma::registry::stop_id,
        prisma::settings::get_registry,
        prisma::settings::put_registry,
        prisma::settings::post_registry,
        prisma::credentials::list,
        prisma::credentials::upsert,
        prisma::credentials::delete,
        prisma::credentials::usages,
        prisma::statuses::registry,
    ),
    modifiers(&Security)
)]
struct ApiDoc;

struct Security;

impl utoipa::Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let c = openapi.components.get_or_insert_with(Default::default);
        c.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        c.add_security_scheme(
            "basic",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Basic).build()),
        );
    }
}

/// The document as a value.
pub fn spec() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// `GET /api/openapi.json`.
pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(spec())
}
