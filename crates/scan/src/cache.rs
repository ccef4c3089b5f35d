//! Per-layer results cached on disk by blob digest.

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use drydock_layers::LayerContents;

/// Bumped whenever what a layer read keeps changes (catalogers' wanted files,
/// `LayerContents` shape), so stale entries are simply not found.
const CACHE_VERSION: &str = "v3";

/// A directory of `<digest>.json.zst` files, one per layer read.
#[derive(Debug, Clone)]
pub struct LayerCache {
    dir: PathBuf,
}

impl LayerCache {
    /// A cache under `root` (created on first write).
    pub fn new(root: &Path) -> Self {
        LayerCache {
            dir: root.join(CACHE_VERSION),
        }
    }

    fn path(&self, digest: &str) -> Option<PathBuf> {
        let hex = digest.strip_prefix("sha256:")?;
        if hex.len() != 64 || !hex.bytes().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        Some(self.dir.join(format!("{hex}.json.zst")))
    }

    /// The cached contents of a layer; a corrupt entry counts as a miss.
    pub fn get(&self, digest: &str) -> Option<LayerContents> {
        let f = fs::File::open(self.path(digest)?).ok()?;
        let mut buf = Vec::new();
        zstd::Decoder::new(f).ok()?.read_to_end(&mut buf).ok()?;
        serde_json::from_slice(&buf).ok()
    }

    /// Stores a layer's contents (write to a temp file, then rename).
    pub fn put(&self, digest: &str, c: &LayerContents) -> std::io::Result<()> {
        let Some(p) = self.path(digest) else {
            return Ok(());
        };
        fs::create_dir_all(&self.dir)?;
        let tmp = p.with_extension(format!("tmp{}", std::process::id()));
        let json = serde_json::to_vec(c).map_err(std::io::Error::other)?;
        let mut f = fs::File::create(&tmp)?;
        f.write_all(&zstd::encode_all(&json[..], 3)?)?;
        drop(f);
        fs::rename(tmp, p)
    }
}
