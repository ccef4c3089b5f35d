//! The scan pipeline: registry -> layers -> catalog -> match.
//!
//! [`Scanner::scan`] resolves the image, reads every layer (in parallel, each
//! streamed straight from the registry through decompression and tar), takes
//! per-layer results from the [`LayerCache`] when it has seen the digest
//! before, squashes the layers, inventories packages and matches them against
//! the vulnerability DB snapshot.

mod cache;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use drydock_catalog::{Inventory, OsRelease, Package};
use drydock_layers::{FileSystem, LayerContents, LayerError, Limits};
use drydock_matcher::Finding;
use drydock_registry::{Client, Descriptor, Platform, Reference};
use drydock_vulndb::store::Snapshot;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};

pub use cache::{LayerCache, LayerStore};

/// Why a scan failed as a whole.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// Talking to the registry failed.
    #[error(transparent)]
    Registry(#[from] drydock_registry::Error),
    /// A layer could not be read.
    #[error("layer {digest}: {source}")]
    Layer {
        /// Layer digest.
        digest: String,
        /// Cause.
        source: LayerError,
    },
    /// The vulnerability DB could not be read.
    #[error(transparent)]
    Db(#[from] drydock_vulndb::StoreError),
    /// A worker thread died.
    #[error("internal error: {0}")]
    Internal(String),
}

/// How to scan.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// Platform to pick from an index (default linux/amd64).
    pub platform: Option<Platform>,
    /// Limits for hostile layers.
    pub limits: Limits,
    /// Layers read at once.
    pub parallel_layers: usize,
    /// Retries for a layer whose transfer broke off.
    pub layer_retries: u32,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            platform: None,
            limits: Limits::default(),
            parallel_layers: 4,
            layer_retries: 2,
        }
    }
}

/// One layer in the report.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LayerReport {
    /// Blob digest.
    pub digest: String,
    /// Compressed size.
    pub size: i64,
    /// True when the per-layer cache answered and no blob was fetched.
    pub cached: bool,
}

/// Counters that show what the cache saved.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ScanStats {
    /// Blobs fetched from the registry (layers only).
    pub blobs_fetched: u64,
    /// Layers answered by the cache.
    pub layers_from_cache: u64,
    /// Compressed bytes downloaded.
    pub bytes_fetched: u64,
}

/// The vulnerability DB a report was made with.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DbInfo {
    /// When it was built.
    pub built_at: String,
    /// Feeds and their dates.
    pub feeds: Vec<drydock_vulndb::FeedInfo>,
}

/// Everything one scan found. This is the `--format json` document.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScanReport {
    /// The reference as given.
    pub reference: String,
    /// Digest of the platform manifest scanned.
    pub manifest_digest: String,
    /// Digest of the index the reference pointed at, when it was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index_digest: Option<String>,
    /// Manifest media type.
    pub media_type: String,
    /// Platform scanned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    /// Detected OS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<OsRelease>,
    /// Advisory namespace used (`debian:12`, `alpine:v3.10`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Image config: id, creation time, history (the Dockerfile instructions).
    #[serde(default)]
    pub config: ImageConfig,
    /// Layers, base first.
    pub layers: Vec<LayerReport>,
    /// Installed packages.
    pub packages: Vec<Package>,
    /// Findings, most severe first.
    pub findings: Vec<Finding>,
    /// Problems that did not stop the scan.
    pub warnings: Vec<String>,
    /// DB used for matching (absent when scanned without one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub db: Option<DbInfo>,
    /// Cache counters.
    pub stats: ScanStats,
}

/// What the image config says about how the image was built.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ImageConfig {
    /// Image id: the config blob's digest.
    pub id: String,
    /// Creation time as written (RFC 3339), when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// Uncompressed layer digests (`rootfs.diff_ids`).
    #[serde(default)]
    pub diff_ids: Vec<String>,
    /// Build history, oldest first.
    #[serde(default)]
    pub history: Vec<HistoryEntry>,
    /// Environment.
    #[serde(default)]
    pub env: Vec<String>,
    /// Entrypoint.
    #[serde(default)]
    pub entrypoint: Vec<String>,
    /// User.
    #[serde(default)]
    pub user: String,
    /// Working directory.
    #[serde(default)]
    pub working_dir: String,
    /// Labels.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
}

/// One `history` entry of an image config.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// When (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// The instruction, e.g. `/bin/sh -c #(nop) ADD file:... in /`.
    #[serde(default)]
    pub created_by: String,
    /// True when the step made no layer.
    #[serde(default)]
    pub empty_layer: bool,
}

impl ImageConfig {
    /// Reads what it can of a config blob; anything malformed is left empty.
    pub fn parse(id: &str, json: &[u8]) -> Self {
        #[derive(Deserialize, Default)]
        #[serde(default)]
        struct Raw {
            created: Option<String>,
            config: Option<RawCfg>,
            rootfs: Option<RawRootfs>,
            history: Option<Vec<HistoryEntry>>,
        }
        #[derive(Deserialize, Default)]
        #[serde(default)]
        struct RawCfg {
            #[serde(rename = "Env")]
            env: Option<Vec<String>>,
            #[serde(rename = "Entrypoint")]
            entrypoint: Option<Vec<String>>,
            #[serde(rename = "User")]
            user: Option<String>,
            #[serde(rename = "WorkingDir")]
            working_dir: Option<String>,
            #[serde(rename = "Labels")]
            labels: Option<BTreeMap<String, String>>,
        }
        #[derive(Deserialize, Default)]
        #[serde(default)]
        struct RawRootfs {
            diff_ids: Option<Vec<String>>,
        }
        let raw: Raw = serde_json::from_slice(json).unwrap_or_default();
        let cfg = raw.config.unwrap_or_default();
        ImageConfig {
            id: id.to_string(),
            created: raw.created,
            diff_ids: raw.rootfs.and_then(|r| r.diff_ids).unwrap_or_default(),
            history: raw.history.unwrap_or_default(),
            env: cfg.env.unwrap_or_default(),
            entrypoint: cfg.entrypoint.unwrap_or_default(),
            user: cfg.user.unwrap_or_default(),
            working_dir: cfg.working_dir.unwrap_or_default(),
            labels: cfg.labels.unwrap_or_default(),
        }
    }
}

/// Scans images; share one across scans to share connections and the cache.
#[derive(Clone)]
pub struct Scanner {
    client: Client,
    cache: Option<LayerCache>,
    opts: ScanOptions,
    fetched: Arc<AtomicU64>,
}

/// Progress callbacks (e.g. a terminal progress bar).
pub trait Progress: Send + Sync {
    /// The image has this many layers.
    fn layers(&self, _total: usize) {}
    /// One layer is done.
    fn layer_done(&self, _digest: &str, _cached: bool) {}
}

/// A [`Progress`] that ignores everything.
pub struct NoProgress;
impl Progress for NoProgress {}

/// The catalogers' needs in the layer reader's terms.
fn keep(e: &drydock_layers::EntryInfo) -> drydock_layers::Keep {
    match drydock_catalog::need(e.path, e.mode, e.size) {
        drydock_catalog::Need::Nothing => drydock_layers::Keep::No,
        drydock_catalog::Need::Content => drydock_layers::Keep::Content,
        drydock_catalog::Need::Extract(f) => drydock_layers::Keep::Extract(f),
    }
}

struct FsFiles<'a>(&'a FileSystem);

impl drydock_catalog::Files for FsFiles<'_> {
    fn read(&self, path: &str) -> Option<(&[u8], usize)> {
        self.0.get(path).map(|f| (f.data.as_slice(), f.layer))
    }
    fn list(&self, dir: &str) -> Vec<String> {
        let prefix = format!("{}/", dir.trim_matches('/'));
        self.0
            .files()
            .filter(|(p, _)| p.strip_prefix(&prefix).is_some_and(|r| !r.contains('/')))
            .map(|(p, _)| p.to_string())
            .collect()
    }
    fn all(&self) -> Vec<String> {
        self.0.files().map(|(p, _)| p.to_string()).collect()
    }
}

impl Scanner {
    /// A scanner using `client`, with an optional on-disk layer cache.
    pub fn new(client: Client, cache: Option<LayerCache>, opts: ScanOptions) -> Self {
        Scanner {
            client,
            cache,
            opts,
            fetched: Arc::default(),
        }
    }

    async fn read_one(
        &self,
        r: &Reference,
        d: &Descriptor,
    ) -> Result<(LayerContents, bool), ScanError> {
        if let Some(c) = &self.cache {
            if let Some(hit) = c.get(&d.digest).await {
                return Ok((hit, true));
            }
        }
        let mut attempt = 0;
        loop {
            let blob = self.client.open_blob(r, d).await?;
            self.fetched.fetch_add(1, Ordering::Relaxed);
            let limits = self.opts.limits.clone();
            let res = tokio::task::spawn_blocking(move || {
                drydock_layers::read_layer(blob, &keep, &limits)
            })
            .await
            .map_err(|e| ScanError::Internal(e.to_string()))?;
            match res {
                Ok((contents, _compression)) => {
                    if let Some(c) = &self.cache {
                        if let Err(e) = c.put(&d.digest, &contents).await {
                            tracing::warn!("layer cache write failed: {e}");
                        }
                    }
                    return Ok((contents, false));
                }
                Err(LayerError::Io(e))
                    if attempt < self.opts.layer_retries
                        && e.kind() == std::io::ErrorKind::ConnectionAborted =>
                {
                    attempt += 1;
                    tracing::info!("retrying layer {} after: {e}", d.digest);
                }
                Err(source) => {
                    return Err(ScanError::Layer {
                        digest: d.digest.clone(),
                        source,
                    })
                }
            }
        }
    }

    /// Scans one image. `db` may be `None` to inventory only.
    pub async fn scan(
        &self,
        reference: &Reference,
        db: Option<&Snapshot>,
        progress: &dyn Progress,
    ) -> Result<ScanReport, ScanError> {
        let img = self
            .client
            .resolve(reference, self.opts.platform.as_ref())
            .await?;
        progress.layers(img.layers.len());
        let before = self.fetched.load(Ordering::Relaxed);
        let results: Vec<Result<(usize, LayerContents, bool), ScanError>> =
            futures_util::stream::iter(img.layers.iter().enumerate())
                .map(|(i, d)| async move {
                    let (c, cached) = self.read_one(reference, d).await?;
                    progress.layer_done(&d.digest, cached);
                    Ok((i, c, cached))
                })
                .buffered(self.opts.parallel_layers.max(1))
                .collect()
                .await;
        let mut layers = Vec::with_capacity(results.len());
        for r in results {
            layers.push(r?);
        }
        let fs = FileSystem::squash(layers.iter().map(|(_, c, _)| c));
        let Inventory {
            os,
            packages,
            warnings: mut inv_warnings,
        } = drydock_catalog::inventory(&FsFiles(&fs));
        let mut warnings = fs.warnings.clone();
        warnings.append(&mut inv_warnings);
        let namespace = os.as_ref().and_then(drydock_matcher::namespace_for);
        let mut findings = Vec::new();
        if let Some(snap) = db {
            match (&os, &namespace) {
                (None, _) if packages.iter().any(|p| p.kind.is_os()) => {
                    warnings.push("OS not detected: OS packages were not matched".into())
                }
                (Some(o), None) => warnings.push(format!(
                    "OS {} {} is not supported for vulnerability matching",
                    o.id, o.version_id
                )),
                _ => {}
            }
            // One advisory namespace per distro release or language ecosystem present.
            let mut groups: BTreeMap<String, Vec<Package>> = BTreeMap::new();
            for p in &packages {
                if let Some(ns) = drydock_matcher::package_namespace(p, namespace.as_deref()) {
                    groups.entry(ns).or_default().push(p.clone());
                }
            }
            for (ns, pkgs) in groups {
                let keys: Vec<String> = pkgs
                    .iter()
                    .map(|p| drydock_matcher::lookup_key(p, &ns))
                    .collect();
                let keys = || keys.iter().map(String::as_str);
                let advisories = snap.advisories(&ns, keys())?;
                let fallback = if ns.starts_with("debian:") {
                    Some(snap.advisories(drydock_vulndb::feeds::DEBIAN_ALL_RELEASES, keys())?)
                } else {
                    None
                };
                let all_releases = drydock_vulndb::feeds::DEBIAN_ALL_RELEASES;
                let known = snap.meta.namespaces.contains_key(&ns)
                    || (ns.starts_with("debian:")
                        && snap.meta.namespaces.contains_key(all_releases));
                if !known {
                    warnings.push(format!("the vulnerability DB has no advisories for {ns}"));
                }
                let ids =
                    drydock_matcher::candidate_ids(&ns, &pkgs, &advisories, fallback.as_ref());
                let cvss = snap.cvss(ids)?;
                let (f, w) = drydock_matcher::match_packages(
                    &ns,
                    &pkgs,
                    &advisories,
                    fallback.as_ref(),
                    &cvss,
                );
                findings.extend(f);
                warnings.extend(w);
            }
            findings.sort_by(|a, b| {
                b.severity
                    .cmp(&a.severity)
                    .then_with(|| a.package.cmp(&b.package))
                    .then_with(|| a.id.cmp(&b.id))
            });
        }
        let layer_reports: Vec<LayerReport> = img
            .layers
            .iter()
            .zip(&layers)
            .map(|(d, (_, _, cached))| LayerReport {
                digest: d.digest.clone(),
                size: d.size,
                cached: *cached,
            })
            .collect();
        let stats = ScanStats {
            blobs_fetched: self.fetched.load(Ordering::Relaxed) - before,
            layers_from_cache: layer_reports.iter().filter(|l| l.cached).count() as u64,
            bytes_fetched: layer_reports
                .iter()
                .filter(|l| !l.cached)
                .map(|l| l.size.max(0) as u64)
                .sum(),
        };
        Ok(ScanReport {
            reference: reference.to_string(),
            manifest_digest: img.manifest_digest,
            index_digest: img.index_digest,
            media_type: img.media_type,
            platform: img.platform.map(|p| p.to_string()),
            config: ImageConfig::parse(&img.config.digest, &img.config_json),
            os,
            namespace,
            layers: layer_reports,
            packages,
            findings,
            warnings,
            db: db.map(|s| DbInfo {
                built_at: s.meta.built_at.clone(),
                feeds: s.meta.feeds.clone(),
            }),
            stats,
        })
    }
}
