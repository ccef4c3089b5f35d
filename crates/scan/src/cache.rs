//! Per-layer results cached by blob digest, on disk or in any other store.

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use drydock_layers::LayerContents;
use futures_util::future::BoxFuture;

/// Bumped whenever what a layer read keeps changes (catalogers' wanted files,
/// `LayerContents` shape), so stale entries are simply not found.
const CACHE_VERSION: &str = "v3";

/// Where cached layers live: a key (`v3/sha256:...`) to an opaque compressed blob.
///
/// The CLI keeps them in a directory; the service keeps them in its database
/// so every worker process shares one cache.
pub trait LayerStore: Send + Sync {
    /// The blob stored under `key`; any failure counts as a miss.
    fn load<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Option<Vec<u8>>>;
    /// Stores `data` under `key`.
    fn save<'a>(&'a self, key: &'a str, data: Vec<u8>) -> BoxFuture<'a, std::io::Result<()>>;
}

/// The per-layer cache: what a layer read kept, compressed, by digest.
#[derive(Clone)]
pub struct LayerCache {
    store: Arc<dyn LayerStore>,
}

impl std::fmt::Debug for LayerCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LayerCache")
    }
}

/// A directory of `<version>/<hex>.json.zst` files.
struct DirStore {
    root: PathBuf,
}

impl DirStore {
    fn path(&self, key: &str) -> Option<PathBuf> {
        let (version, digest) = key.split_once('/')?;
        let hex = digest.strip_prefix("sha256:")?;
        if hex.len() != 64 || !hex.bytes().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        Some(self.root.join(version).join(format!("{hex}.json.zst")))
    }
}

impl LayerStore for DirStore {
    fn load<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Option<Vec<u8>>> {
        Box::pin(async move {
            let mut buf = Vec::new();
            fs::File::open(self.path(key)?)
                .ok()?
                .read_to_end(&mut buf)
                .ok()?;
            Some(buf)
        })
    }

    fn save<'a>(&'a self, key: &'a str, data: Vec<u8>) -> BoxFuture<'a, std::io::Result<()>> {
        Box::pin(async move {
            let Some(p) = self.path(key) else {
                return Ok(());
            };
            if let Some(dir) = p.parent() {
                fs::create_dir_all(dir)?;
            }
            // Write to a temp file, then rename: readers never see half an entry.
            let tmp = p.with_extension(format!("tmp{}", std::process::id()));
            let mut f = fs::File::create(&tmp)?;
            f.write_all(&data)?;
            drop(f);
            fs::rename(tmp, p)
        })
    }
}

impl LayerCache {
    /// A cache in the directory `root` (created on first write).
    pub fn new(root: &Path) -> Self {
        LayerCache {
            store: Arc::new(DirStore {
                root: root.to_path_buf(),
            }),
        }
    }

    /// A cache kept in another store.
    pub fn with_store(store: Arc<dyn LayerStore>) -> Self {
        LayerCache { store }
    }

    fn key(digest: &str) -> String {
        format!("{CACHE_VERSION}/{digest}")
    }

    /// The cached contents of a layer; a corrupt entry counts as a miss.
    pub async fn get(&self, digest: &str) -> Option<LayerContents> {
        let data = self.store.load(&Self::key(digest)).await?;
        let mut buf = Vec::new();
        zstd::Decoder::new(&data[..])
            .ok()?
            .read_to_end(&mut buf)
            .ok()?;
        serde_json::from_slice(&buf).ok()
    }

    /// Stores a layer's contents.
    pub async fn put(&self, digest: &str, c: &LayerContents) -> std::io::Result<()> {
        let json = serde_json::to_vec(c).map_err(std::io::Error::other)?;
        let data = zstd::encode_all(&json[..], 3)?;
        self.store.save(&Self::key(digest), data).await
    }
}
