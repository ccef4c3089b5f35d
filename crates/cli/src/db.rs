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

/// `db update` flags; an unset URL or list keeps the upstream default of
/// [`Sources::default`], the one place those defaults live (README lists them).
#[derive(clap::Args)]
pub struct UpdateArgs {
    /// Alpine secdb base URL [default: https://secdb.alpinelinux.org]
    #[arg(long, env = "DRYDOCK_ALPINE_SECDB_URL")]
    alpine_url: Option<String>,
    /// Alpine branches to fetch (comma-separated) [default: v3.2..v3.22,edge]
    #[arg(long, value_delimiter = ',')]
    alpine_branches: Vec<String>,
    /// Debian security tracker JSON URL [default: https://security-tracker.debian.org/tracker/data/json]
    #[arg(long, env = "DRYDOCK_DEBIAN_TRACKER_URL")]
    debian_tracker_url: Option<String>,
    /// Base of the tracker's data/ folder with DSA/list and DLA/list [default: salsa.debian.org's security-tracker raw data]
    #[arg(long, env = "DRYDOCK_DEBIAN_LISTS_URL")]
    debian_lists_url: Option<String>,
    /// Debian OVAL base URL [default: https://www.debian.org/security/oval]
    #[arg(long, env = "DRYDOCK_DEBIAN_OVAL_URL")]
    debian_oval_url: Option<String>,
    /// Debian releases to fetch OVAL for (comma-separated) [default: buster,bullseye,bookworm,trixie]
    #[arg(long, value_delimiter = ',')]
    debian_oval_releases: Vec<String>,
    /// NVD CVE API 2.0 URL [default: https://services.nvd.nist.gov/rest/json/cves/2.0]
    #[arg(long, env = "DRYDOCK_NVD_URL")]
    nvd_url: Option<String>,
    /// NVD API key (faster paging).
    #[arg(long, env = "NVD_API_KEY", hide_env_values = true)]
    nvd_api_key: Option<String>,
    /// Seconds between NVD pages [default: 6, or 0.6 with an API key]
    #[arg(long)]
    nvd_delay: Option<f64>,
    /// Skip NVD (CVSS scores then come from the other feeds only).
    #[arg(long)]
    no_nvd: bool,
    /// OSV bucket base URL, {base}/{ecosystem}/all.zip [default: https://osv-vulnerabilities.storage.googleapis.com]
    #[arg(long, env = "DRYDOCK_OSV_URL")]
    osv_url: Option<String>,
    /// OSV ecosystems to fetch (comma-separated) [default: PyPI,npm,crates.io,Go,RubyGems,Packagist,NuGet,Maven]
    #[arg(long, value_delimiter = ',')]
    osv_ecosystems: Vec<String>,
    /// Skip OSV (language package advisories).
    #[arg(long)]
    no_osv: bool,
    /// Keep the downloaded feed files in this directory.
    #[arg(long)]
    keep: Option<PathBuf>,
}

impl UpdateArgs {
    /// The upstream defaults with the flags applied.
    fn sources(&self) -> Sources {
        let mut src = Sources::default();
        let set = |field: &mut String, v: &Option<String>| {
            if let Some(v) = v {
                field.clone_from(v);
            }
        };
        set(&mut src.alpine_base, &self.alpine_url);
        set(&mut src.debian_tracker_json, &self.debian_tracker_url);
        set(&mut src.debian_lists_base, &self.debian_lists_url);
        set(&mut src.debian_oval_base, &self.debian_oval_url);
        let list = |field: &mut Vec<String>, v: &Vec<String>| {
            if !v.is_empty() {
                field.clone_from(v);
            }
        };
        list(&mut src.alpine_branches, &self.alpine_branches);
        list(&mut src.debian_oval_releases, &self.debian_oval_releases);
        list(&mut src.osv_ecosystems, &self.osv_ecosystems);
        if let (Some(api), Some(url)) = (src.nvd_api.as_mut(), &self.nvd_url) {
            api.clone_from(url);
        }
        if self.no_nvd {
            src.nvd_api = None;
        }
        if let (Some(base), Some(url)) = (src.osv_base.as_mut(), &self.osv_url) {
            base.clone_from(url);
        }
        if self.no_osv {
            src.osv_base = None;
        }
        src.nvd_api_key.clone_from(&self.nvd_api_key);
        let delay = self
            .nvd_delay
            .unwrap_or(if self.nvd_api_key.is_some() { 0.6 } else { 6.0 });
        src.nvd_delay = Duration::from_secs_f64(delay);
        src
    }
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
            let src = a.sources();
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
