//! `drydock image REF`.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Context};
use drydock_registry::{Client, ClientOptions, Credentials, DockerConfig, Platform, Reference};
use drydock_scan::{LayerCache, Progress, ScanOptions, Scanner};
use drydock_vulndb::{Severity, Store};

use crate::output;

#[derive(clap::Args)]
pub struct Args {
    /// Image reference, e.g. 127.0.0.1:5055/fixtures/alpine:3.10.9
    reference: String,
    /// Output format.
    #[arg(long, short, value_enum, default_value_t = output::Format::Table)]
    format: output::Format,
    /// Only report these severities (comma-separated: UNKNOWN,NEGLIGIBLE,LOW,MEDIUM,HIGH,CRITICAL).
    #[arg(long, value_delimiter = ',')]
    severity: Vec<String>,
    /// Exit with this code when findings remain after filtering.
    #[arg(long, default_value_t = 0)]
    exit_code: u8,
    /// Hide findings that have no fixed version.
    #[arg(long)]
    ignore_unfixed: bool,
    /// Platform to scan from a multi-arch image (os/arch[/variant]).
    #[arg(long, default_value = "linux/amd64")]
    platform: String,
    /// Allow plain HTTP and unverified TLS to the registry.
    #[arg(long)]
    insecure: bool,
    /// Registry user name (else ~/.docker/config.json).
    #[arg(long, env = "DRYDOCK_USERNAME")]
    username: Option<String>,
    /// Registry password or token.
    #[arg(long, env = "DRYDOCK_PASSWORD", hide_env_values = true)]
    password: Option<String>,
    /// Layer cache directory [default: $XDG_CACHE_HOME/drydock/layers]
    #[arg(long, env = "DRYDOCK_CACHE_DIR")]
    cache_dir: Option<PathBuf>,
    /// Do not read or write the layer cache.
    #[arg(long)]
    no_cache: bool,
    /// List packages only; do not load the vulnerability DB.
    #[arg(long)]
    no_match: bool,
    /// Registry timeout in seconds.
    #[arg(long, default_value_t = 30)]
    timeout: u64,
    /// Print cache and transfer counters to stderr.
    #[arg(long, short)]
    verbose: bool,
}

struct Bar(Option<indicatif::ProgressBar>);

impl Progress for Bar {
    fn layers(&self, total: usize) {
        if let Some(b) = &self.0 {
            b.set_length(total as u64);
        }
    }
    fn layer_done(&self, _digest: &str, _cached: bool) {
        if let Some(b) = &self.0 {
            b.inc(1);
        }
    }
}

pub async fn run(a: Args, db_dir: &Path) -> anyhow::Result<ExitCode> {
    let reference = Reference::parse(&a.reference)?;
    let platform = Platform::parse(&a.platform)
        .with_context(|| format!("--platform {:?}: expected os/arch[/variant]", a.platform))?;
    let mut wanted: Vec<Severity> = Vec::new();
    for s in &a.severity {
        match Severity::parse(s) {
            Some(x) => wanted.push(x),
            None => bail!("--severity: unknown severity {s:?}"),
        }
    }
    let mut credentials = HashMap::new();
    match (&a.username, &a.password) {
        (Some(u), Some(p)) => {
            credentials.insert(
                reference.registry.clone(),
                Credentials::Basic {
                    username: u.clone(),
                    password: p.clone(),
                },
            );
        }
        (Some(_), None) | (None, Some(_)) => bail!("--username and --password go together"),
        (None, None) => match DockerConfig::load_default() {
            Ok(cfg) => {
                if let Some(c) = cfg.credentials_for(&reference.registry) {
                    credentials.insert(reference.registry.clone(), c);
                }
            }
            Err(e) => eprintln!("warning: ignoring docker config: {e}"),
        },
    }
    let client = Client::new(ClientOptions {
        insecure: a.insecure,
        timeout: Duration::from_secs(a.timeout),
        credentials,
        ..Default::default()
    })?;
    let cache = (!a.no_cache).then(|| {
        LayerCache::new(
            &a.cache_dir
                .clone()
                .unwrap_or_else(crate::paths::default_cache_dir),
        )
    });
    let scanner = Scanner::new(
        client,
        cache,
        ScanOptions {
            platform: Some(platform),
            ..Default::default()
        },
    );
    let snapshot = if a.no_match {
        None
    } else {
        Some(Store::new(db_dir).snapshot()?)
    };
    let bar = if std::io::stderr().is_terminal() {
        let b = indicatif::ProgressBar::new(0);
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} {msg} [{bar:30}] {pos}/{len} layers",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b.set_message(reference.to_string());
        b.enable_steady_tick(Duration::from_millis(120));
        Some(b)
    } else {
        None
    };
    let progress = Bar(bar);
    let result = scanner.scan(&reference, snapshot.as_ref(), &progress).await;
    if let Some(b) = &progress.0 {
        b.finish_and_clear();
    }
    let mut report = result.with_context(|| format!("scanning {reference}"))?;
    if !wanted.is_empty() {
        report.findings.retain(|f| wanted.contains(&f.severity));
    }
    if a.ignore_unfixed {
        report.findings.retain(|f| f.fixed_version.is_some());
    }
    for w in &report.warnings {
        eprintln!("warning: {w}");
    }
    if a.verbose {
        eprintln!(
            "layers: {} total, {} from cache, {} blobs fetched ({} bytes)",
            report.layers.len(),
            report.stats.layers_from_cache,
            report.stats.blobs_fetched,
            report.stats.bytes_fetched
        );
    }
    output::print(&report, a.format)?;
    Ok(if a.exit_code != 0 && !report.findings.is_empty() {
        ExitCode::from(a.exit_code)
    } else {
        ExitCode::SUCCESS
    })
}
