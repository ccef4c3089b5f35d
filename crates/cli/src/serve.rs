//! `drydock serve` and `drydock worker`: the registry scanning service.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use drydock_server::{Config, ServeOptions};

/// Options shared by `serve` and `worker`.
#[derive(clap::Args)]
pub struct Common {
    /// Data directory: the SQLite database, TLS certificate and secret key.
    #[arg(long, env = "DRYDOCK_DATA_DIR", default_value = "./drydock-data")]
    data_dir: PathBuf,
    /// Database URL (default: SQLite in the data directory); postgres://... for several processes.
    #[arg(long, env = "DRYDOCK_DATABASE_URL")]
    database_url: Option<String>,
    /// Key sealing stored registry secrets (32 bytes, base64); every process must use the same.
    #[arg(long, env = "DRYDOCK_SECRET_KEY", hide_env_values = true)]
    secret_key: Option<String>,
    /// Images scanned at once by this process.
    #[arg(long, default_value_t = 2)]
    concurrency: usize,
    /// Lease on claimed work, in seconds: a process silent this long is presumed gone.
    #[arg(long, default_value_t = 30)]
    lease: u64,
    /// Registry reached over HTTP or unverified TLS (loopback registries always are); repeatable.
    #[arg(long = "insecure-registry")]
    insecure_registries: Vec<String>,
    /// Hours between regular scans (0: only on request).
    #[arg(long, default_value_t = 24.0)]
    scan_interval_hours: f64,
}

/// `drydock serve`.
#[derive(clap::Args)]
pub struct ServeArgs {
    #[command(flatten)]
    common: Common,
    /// HTTPS address.
    #[arg(long, default_value = "0.0.0.0:8083")]
    listen: SocketAddr,
    /// Also serve plain HTTP here (meant for loopback).
    #[arg(long)]
    http_listen: Option<SocketAddr>,
    /// Serve plain HTTP only (on --http-listen).
    #[arg(long)]
    no_https: bool,
    /// TLS certificate (PEM); self-signed in the data directory when absent.
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// TLS private key (PEM).
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Initial admin user name.
    #[arg(long, env = "DRYDOCK_ADMIN_USER", default_value = "admin")]
    admin_user: String,
    /// Initial admin password (set or reset at start); generated on first start when absent.
    #[arg(long, env = "DRYDOCK_ADMIN_PASSWORD", hide_env_values = true)]
    admin_password: Option<String>,
    /// Token lifetime in minutes.
    #[arg(long, default_value_t = 30)]
    token_minutes: u64,
    /// Serve the API only; leave scanning to `drydock worker` processes.
    #[arg(long)]
    no_workers: bool,
}

/// `drydock worker`.
#[derive(clap::Args)]
pub struct WorkerArgs {
    #[command(flatten)]
    common: Common,
}

fn config(c: &Common, db_dir: &Path, token_minutes: u64) -> Config {
    Config {
        vulndb_dir: db_dir.to_path_buf(),
        token_ttl: Duration::from_secs(token_minutes * 60),
        scan_interval: (c.scan_interval_hours > 0.0)
            .then(|| Duration::from_secs_f64(c.scan_interval_hours * 3600.0)),
        concurrency: c.concurrency.max(1),
        lease: Duration::from_secs(c.lease.max(2)),
        insecure_registries: c.insecure_registries.clone(),
    }
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
    eprintln!("drydock: shutting down");
}

/// Runs the service until SIGINT/SIGTERM.
pub async fn serve(a: ServeArgs, db_dir: &Path) -> anyhow::Result<ExitCode> {
    if a.no_https && a.http_listen.is_none() {
        anyhow::bail!("--no-https needs --http-listen");
    }
    let o = ServeOptions {
        data_dir: a.common.data_dir.clone(),
        database_url: a.common.database_url.clone(),
        https: (!a.no_https).then_some(a.listen),
        http: a.http_listen,
        tls: a.tls_cert.clone().zip(a.tls_key.clone()),
        admin: a.admin_password.clone().map(|p| (a.admin_user.clone(), p)),
        secret_key: a.common.secret_key.clone(),
        workers: !a.no_workers,
        api: true,
        config: config(&a.common, db_dir, a.token_minutes),
    };
    drydock_server::serve(o, shutdown_signal())
        .await
        .context("drydock serve")?;
    Ok(ExitCode::SUCCESS)
}

/// Runs scan workers only (beside a `drydock serve` on the same PostgreSQL database).
pub async fn worker(a: WorkerArgs, db_dir: &Path) -> anyhow::Result<ExitCode> {
    let o = ServeOptions {
        data_dir: a.common.data_dir.clone(),
        database_url: a.common.database_url.clone(),
        https: None,
        http: None,
        tls: None,
        admin: None,
        secret_key: a.common.secret_key.clone(),
        workers: true,
        api: false,
        config: config(&a.common, db_dir, 30),
    };
    drydock_server::serve(o, shutdown_signal())
        .await
        .context("drydock worker")?;
    Ok(ExitCode::SUCCESS)
}
