//! `drydock serve`: the Prisma Cloud Compute-compatible registry scanning
//! service, and the scan workers behind it.
//!
//! Layout: [`prisma`] holds one router module per API area and the wire
//! types; [`worker`] claims scan work from the store and runs the scan
//! pipeline; [`state::AppState`] is the one state both share. Everything that
//! must survive a restart or be shared between processes lives in
//! `drydock_store` (SQLite by default, PostgreSQL for several processes).

pub mod auth;
pub mod clock;
pub mod error;
pub mod openapi;
pub mod prisma;
pub mod scope;
pub mod secrets;
pub mod state;
pub mod tls;
pub mod worker;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::http::Uri;
use axum::routing::get;
use axum::Router;
use drydock_store::Store;
use tokio::sync::{watch, Notify};
use tower::Layer;

pub use clock::{Clock, ManualClock, SystemClock};
pub use state::{AppState, Config};

/// Errors starting the service.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// Database.
    #[error(transparent)]
    Store(#[from] drydock_store::StoreError),
    /// Files in the data directory, sockets.
    #[error("{0}")]
    Io(String),
    /// TLS set-up.
    #[error("TLS: {0}")]
    Tls(String),
}

/// Builds the shared state; creates or updates the initial admin user.
pub async fn build_state(
    store: Store,
    clock: Arc<dyn Clock>,
    config: Config,
    secret_key: [u8; 32],
    admin: Option<(String, String)>,
) -> Result<AppState, ServeError> {
    let dummy = auth::hash_password("drydock-dummy").map_err(|e| ServeError::Io(e.to_string()))?;
    let state = AppState {
        store,
        clock,
        config: Arc::new(config),
        secrets: secrets::SecretBox::new(&secret_key),
        basic_cache: Arc::default(),
        dummy_hash: dummy.into(),
        hostname: hostname().into(),
        wake: Arc::new(Notify::new()),
    };
    if let Some((user, password)) = admin {
        let hash = auth::hash_password(&password).map_err(|e| ServeError::Io(e.to_string()))?;
        state
            .store
            .upsert_user(
                &drydock_store::auth::User {
                    username: user,
                    password_hash: hash,
                    role: "admin".into(),
                },
                state.now(),
            )
            .await?;
    }
    Ok(state)
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|s| s.trim().to_string())
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "drydock".into())
}

/// `/api/vNN.NN/...` and `/api/v1/...` are the same API: rewrite before routing.
fn rewrite_version<B>(mut req: axum::http::Request<B>) -> axum::http::Request<B> {
    let path = req.uri().path();
    if let Some(rest) = path.strip_prefix("/api/v") {
        if let Some((ver, tail)) = rest.split_once('/') {
            let is_version = !ver.is_empty()
                && ver != "1"
                && ver.split('.').count() <= 2
                && ver
                    .split('.')
                    .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
            if is_version {
                let pq = match req.uri().query() {
                    Some(q) => format!("/api/v1/{tail}?{q}"),
                    None => format!("/api/v1/{tail}"),
                };
                let mut parts = req.uri().clone().into_parts();
                if let Ok(p) = pq.parse() {
                    parts.path_and_query = Some(p);
                    if let Ok(u) = Uri::from_parts(parts) {
                        *req.uri_mut() = u;
                    }
                }
            }
        }
    }
    req
}

/// The whole HTTP application as a router (routes under `/api/v1` only).
pub fn router(state: AppState) -> Router {
    let protected = prisma::protected().route_layer(axum::middleware::from_fn_with_state(
        state.clone(),
        auth::require_auth,
    ));
    Router::new()
        .merge(protected)
        .merge(prisma::public())
        .route("/api/v1/_ping", get(|| async { "OK" }))
        .route("/healthz", get(|| async { "OK" }))
        .route("/api/openapi.json", get(openapi::document))
        .fallback(|| async { error::ApiError::NotFound("no such endpoint".into()) })
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .layer(tower_http::catch_panic::CatchPanicLayer::new())
        .layer(tower_http::limit::RequestBodyLimitLayer::new(16 << 20))
        .with_state(state)
}

/// The application as a service for a server with body type `B`: version rewrite, then the router.
pub type App<B> =
    tower::util::MapRequest<Router, fn(axum::http::Request<B>) -> axum::http::Request<B>>;

/// Builds [`App`].
pub fn app<B>(state: AppState) -> App<B> {
    tower::util::MapRequestLayer::new(rewrite_version::<B> as fn(_) -> _).layer(router(state))
}

/// How `drydock serve` runs.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Data directory: SQLite database, TLS certificate, secret key.
    pub data_dir: PathBuf,
    /// Database URL; default `sqlite://<data_dir>/drydock.db`.
    pub database_url: Option<String>,
    /// HTTPS listener.
    pub https: Option<SocketAddr>,
    /// Plain HTTP listener (meant for loopback).
    pub http: Option<SocketAddr>,
    /// Certificate and key (PEM); generated self-signed when absent.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// Initial admin user and password.
    pub admin: Option<(String, String)>,
    /// 32-byte key sealing registry secrets, base64; default: `<data_dir>/secret.key`.
    pub secret_key: Option<String>,
    /// Run scan workers in this process.
    pub workers: bool,
    /// Serve the API.
    pub api: bool,
    /// Service settings.
    pub config: Config,
}

fn load_or_create_key(data_dir: &Path, given: Option<&str>) -> Result<[u8; 32], ServeError> {
    use base64::Engine;
    if let Some(b64) = given {
        let raw = base64::engine::general_purpose::STANDARD
            .decode(b64.trim())
            .map_err(|e| ServeError::Io(format!("secret key: not base64: {e}")))?;
        return raw
            .try_into()
            .map_err(|_| ServeError::Io("secret key: expected 32 bytes".into()));
    }
    let path = data_dir.join("secret.key");
    if let Ok(raw) = std::fs::read(&path) {
        return raw
            .try_into()
            .map_err(|_| ServeError::Io(format!("{}: expected 32 bytes", path.display())));
    }
    let key = secrets::SecretBox::generate_key();
    tls::write_private(&path, &key)
        .map_err(|e| ServeError::Io(format!("{}: {e}", path.display())))?;
    Ok(key)
}

/// Opens the store named by the options.
pub async fn open_store(o: &ServeOptions) -> Result<Store, ServeError> {
    std::fs::create_dir_all(&o.data_dir)
        .map_err(|e| ServeError::Io(format!("{}: {e}", o.data_dir.display())))?;
    let url = o
        .database_url
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}", o.data_dir.join("drydock.db").display()));
    let store = Store::open(&url).await?;
    if store.backend() == drydock_store::Backend::Sqlite {
        // One process owns an SQLite database: whatever its predecessor held is free.
        let n = store.expire_all_leases().await?;
        if n > 0 {
            tracing::info!("resuming {n} interrupted claims from the previous run");
        }
    }
    Ok(store)
}

/// Runs the service until `shutdown` resolves.
pub async fn serve(
    o: ServeOptions,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let store = open_store(&o).await?;
    if store.backend() == drydock_store::Backend::Postgres && o.secret_key.is_none() {
        eprintln!(
            "warning: no DRYDOCK_SECRET_KEY: registry secrets are sealed with {}; every process \
             sharing this database needs the same key",
            o.data_dir.join("secret.key").display()
        );
    }
    let key = load_or_create_key(&o.data_dir, o.secret_key.as_deref())?;
    let admin = match o.admin.clone() {
        Some(a) => Some(a),
        None if store.user("admin").await?.is_none() && o.api => {
            let pw = tls::random_password();
            let p = o.data_dir.join("admin-password");
            tls::write_private(&p, pw.as_bytes()).map_err(|e| ServeError::Io(e.to_string()))?;
            eprintln!(
                "created user admin; its password is in {} (set DRYDOCK_ADMIN_PASSWORD to choose one)",
                p.display()
            );
            Some(("admin".to_string(), pw))
        }
        None => None,
    };
    let state = build_state(
        store.clone(),
        Arc::new(SystemClock),
        o.config.clone(),
        key,
        admin,
    )
    .await?;
    let (tx, rx) = watch::channel(false);
    let mut tasks = tokio::task::JoinSet::new();
    if o.workers {
        let st = state.clone();
        let rx = rx.clone();
        tasks.spawn(async move {
            worker::run(st, rx).await;
            Ok::<(), ServeError>(())
        });
    }
    let handle = axum_server::Handle::new();
    if o.api {
        if let Some(addr) = o.https {
            let (cert, key) = match &o.tls {
                Some(p) => p.clone(),
                None => tls::self_signed(&o.data_dir).map_err(ServeError::Tls)?,
            };
            let cfg = axum_server::tls_rustls::RustlsConfig::from_pem_file(&cert, &key)
                .await
                .map_err(|e| ServeError::Tls(format!("{}: {e}", cert.display())))?;
            let svc: App<hyper::body::Incoming> = app(state.clone());
            let h = handle.clone();
            eprintln!("drydock: listening on https://{addr}");
            tasks.spawn(async move {
                axum_server::bind_rustls(addr, cfg)
                    .handle(h)
                    .serve(axum::ServiceExt::<axum::http::Request<hyper::body::Incoming>>::into_make_service(svc))
                    .await
                    .map_err(|e| ServeError::Io(format!("https {addr}: {e}")))
            });
        }
        if let Some(addr) = o.http {
            let svc: App<hyper::body::Incoming> = app(state.clone());
            let h = handle.clone();
            eprintln!("drydock: listening on http://{addr}");
            tasks.spawn(async move {
                axum_server::bind(addr)
                    .handle(h)
                    .serve(axum::ServiceExt::<axum::http::Request<hyper::body::Incoming>>::into_make_service(svc))
                    .await
                    .map_err(|e| ServeError::Io(format!("http {addr}: {e}")))
            });
        }
    }
    let result = tokio::select! {
        _ = shutdown => Ok(()),
        Some(r) = tasks.join_next() => match r {
            Ok(Err(e)) => Err(e),
            _ => Ok(()),
        },
    };
    handle.graceful_shutdown(Some(std::time::Duration::from_secs(5)));
    let _ = tx.send(true);
    while tasks.join_next().await.is_some() {}
    store.close().await;
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versioned_paths_map_to_v1() {
        let r = |p: &str| {
            rewrite_version(
                axum::http::Request::builder()
                    .uri(p)
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
            .uri()
            .to_string()
        };
        assert_eq!(
            r("/api/v34.04/registry?limit=5"),
            "/api/v1/registry?limit=5"
        );
        assert_eq!(r("/api/v32/registry/progress"), "/api/v1/registry/progress");
        assert_eq!(r("/api/v1/registry"), "/api/v1/registry");
        assert_eq!(r("/api/vx.1/registry"), "/api/vx.1/registry");
        assert_eq!(r("/api/openapi.json"), "/api/openapi.json");
    }
}
