//! `drydock db import|update|status`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use std::io::Write;

use anyhow::Context;
use drydock_vulndb::update::Sources;
use drydock_vulndb::Store;

#[derive(clap::Subcommand)]
pub enum Command {
    /// Build the DB from feed files on disk (folders as in ../shared/vulndb: alpine-secdb/, debian-tracker*/, debian-oval/, nvd/, cve5*/ ...).
    Import {
        /// Directory holding the feed folders.
        dir: PathBuf,
    },
    /// Download the feeds from their upstream URLs (or mirrors) and rebuild the DB.
    Update(Box<UpdateArgs>),
    /// Show what the DB holds, from which feeds, of which date.
    Status,
}

#[derive(clap::Args)]
pub struct UpdateArgs {
    /// Alpine secdb base URL.
    #[arg(
        long,
        env = "DRYDOCK_ALPINE_SECDB_URL",
        default_value = "https://secdb.alpinelinux.org"
    )]
    alpine_url: String,
    /// Alpine branches to fetch (comma-separated) [default: v3.2..v3.22,edge]
    #[arg(long, value_delimiter = ',')]
    alpine_branches: Vec<String>,
    /// Debian security tracker JSON URL.
    #[arg(
        long,
        env = "DRYDOCK_DEBIAN_TRACKER_URL",
        default_value = "https://security-tracker.debian.org/tracker/data/json"
    )]
    debian_tracker_url: String,
    /// Base of the tracker's data/ folder (DSA/list, DLA/list).
    #[arg(
        long,
        env = "DRYDOCK_DEBIAN_LISTS_URL",
        default_value = "https://salsa.debian.org/security-tracker-team/security-tracker/-/raw/master/data"
    )]
    debian_lists_url: String,
    /// Debian OVAL base URL.
    #[arg(
        long,
        env = "DRYDOCK_DEBIAN_OVAL_URL",
        default_value = "https://www.debian.org/security/oval"
    )]
    debian_oval_url: String,
    /// Debian releases to fetch OVAL for (comma-separated).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "buster,bullseye,bookworm,trixie"
    )]
    debian_oval_releases: Vec<String>,
    /// NVD CVE API 2.0 URL.
    #[arg(
        long,
        env = "DRYDOCK_NVD_URL",
        default_value = "https://services.nvd.nist.gov/rest/json/cves/2.0"
    )]
    nvd_url: String,
    /// NVD API key (faster paging).
    #[arg(long, env = "NVD_API_KEY", hide_env_values = true)]
    nvd_api_key: Option<String>,
    /// Seconds between NVD pages [default: 6, or 0.6 with an API key]
    #[arg(long)]
    nvd_delay: Option<f64>,
    /// Skip NVD (CVSS scores then come from the other feeds only).
    #[arg(long)]
    no_nvd: bool,
    /// OSV bucket base URL ({base}/{ecosystem}/all.zip).
    #[arg(
        long,
        env = "DRYDOCK_OSV_URL",
        default_value = "https://osv-vulnerabilities.storage.googleapis.com"
    )]
    osv_url: String,
    /// OSV ecosystems to fetch (comma-separated).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "PyPI,npm,crates.io,Go,RubyGems,Packagist,NuGet,Maven"
    )]
    osv_ecosystems: Vec<String>,
    /// Skip OSV (language package advisories).
    #[arg(long)]
    no_osv: bool,
    /// Keep the downloaded feed files in this directory.
    #[arg(long)]
    keep: Option<PathBuf>,
}

fn build(dir: &Path, db_dir: &Path) -> anyhow::Result<()> {
    let db = drydock_vulndb::import::import_dir(dir)?;
    for w in db.warnings.iter().take(20) {
        eprintln!("warning: {w}");
    }
    if db.warnings.len() > 20 {
        eprintln!("warning: ... and {} more", db.warnings.len() - 20);
    }
    let mut out = std::io::stdout().lock();
    let gen = Store::new(db_dir)
        .write(&db)
        .with_context(|| format!("writing the DB to {}", db_dir.display()))?;
    writeln!(
        out,
        "built {} advisories in {} namespaces, CVSS for {} CVEs -> {}",
        db.advisory_count(),
        db.advisories.len(),
        db.cvss.len(),
        gen.display()
    )?;
    for f in &db.feeds {
        writeln!(
            out,
            "  {:<18} {:>8} records  data date {}",
            f.name,
            f.records,
            f.data_date.as_deref().unwrap_or("-")
        )?;
    }
    Ok(())
}

pub async fn run(cmd: Command, db_dir: &Path) -> anyhow::Result<ExitCode> {
    match cmd {
        Command::Import { dir } => {
            let db_dir = db_dir.to_path_buf();
            tokio::task::spawn_blocking(move || build(&dir, &db_dir)).await??;
        }
        Command::Update(a) => {
            let a = *a;
            let mut src = Sources {
                alpine_base: a.alpine_url,
                debian_tracker_json: a.debian_tracker_url,
                debian_lists_base: a.debian_lists_url,
                debian_oval_base: a.debian_oval_url,
                debian_oval_releases: a.debian_oval_releases,
                nvd_api: (!a.no_nvd).then_some(a.nvd_url),
                nvd_delay: Duration::from_secs_f64(
                    a.nvd_delay
                        .unwrap_or(if a.nvd_api_key.is_some() { 0.6 } else { 6.0 }),
                ),
                nvd_api_key: a.nvd_api_key,
                osv_base: (!a.no_osv).then_some(a.osv_url),
                osv_ecosystems: a.osv_ecosystems,
                ..Sources::default()
            };
            if !a.alpine_branches.is_empty() {
                src.alpine_branches = a.alpine_branches;
            }
            let tmp;
            let dir = match &a.keep {
                Some(k) => k.clone(),
                None => {
                    tmp = tempfile::tempdir().context("creating a download directory")?;
                    tmp.path().to_path_buf()
                }
            };
            let fetched = drydock_vulndb::update::fetch_all(&src, &dir, &|f| match f.bytes {
                Some(n) => eprintln!("fetched {} ({n} bytes)", f.url),
                None => eprintln!("absent  {} (404, skipped)", f.url),
            })
            .await?;
            eprintln!(
                "{} files downloaded",
                fetched.iter().filter(|f| f.bytes.is_some()).count()
            );
            let db_dir = db_dir.to_path_buf();
            tokio::task::spawn_blocking(move || build(&dir, &db_dir)).await??;
        }
        Command::Status => {
            let snap = Store::new(db_dir).snapshot()?;
            let mut out = std::io::stdout().lock();
            writeln!(out, "database: {}", snap.dir().display())?;
            writeln!(out, "built:    {}", snap.meta.built_at)?;
            writeln!(out, "feeds:")?;
            for f in &snap.meta.feeds {
                writeln!(
                    out,
                    "  {:<18} {:>8} records  data date {:<26} from {}",
                    f.name,
                    f.records,
                    f.data_date.as_deref().unwrap_or("-"),
                    f.origin
                )?;
            }
            writeln!(out, "namespaces:")?;
            for (ns, n) in &snap.meta.namespaces {
                writeln!(out, "  {ns:<18} {n:>8} advisories")?;
            }
            writeln!(out, "CVSS records: {}", snap.meta.cvss_count)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
