//! One layer: decompress, walk the tar, keep what is wanted.

use std::collections::BTreeMap;
use std::io::{self, BufRead, BufReader, Read};

use serde::{Deserialize, Serialize};

use crate::normalize_path;

/// Bounds that keep a hostile layer from exhausting memory or time.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest single file whose content is kept; bigger wanted files are skipped with a warning.
    pub max_file_size: u64,
    /// Largest file read for [`Keep::Extract`] (binaries); bigger ones are skipped with a warning.
    pub max_binary_size: u64,
    /// Most uncompressed bytes read from one layer before it is declared a bomb.
    pub max_layer_bytes: u64,
    /// Highest uncompressed/compressed ratio tolerated once past 64 MiB uncompressed.
    pub max_ratio: u64,
    /// Most tar entries in one layer.
    pub max_entries: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_size: 64 << 20,
            max_binary_size: 512 << 20,
            max_layer_bytes: 32 << 30,
            max_ratio: 1000,
            max_entries: 5_000_000,
        }
    }
}

/// What the reader knows about a tar entry when it asks what to keep.
#[derive(Debug, Clone, Copy)]
pub struct EntryInfo<'a> {
    /// Normalised path (`usr/bin/x`).
    pub path: &'a str,
    /// Unix permission bits.
    pub mode: u32,
    /// Size in bytes.
    pub size: u64,
}

/// What to keep of one regular file.
#[derive(Debug, Clone, Copy)]
pub enum Keep {
    /// Nothing.
    No,
    /// The whole content (up to `Limits::max_file_size`).
    Content,
    /// Read the file (up to `Limits::max_binary_size`) and keep only what the
    /// function extracts from it (e.g. a Go binary's build info), or nothing.
    Extract(fn(&[u8]) -> Option<Vec<u8>>),
}

/// Compression detected from the blob's first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Compression {
    /// gzip (`1f 8b`).
    Gzip,
    /// zstd (`28 b5 2f fd`).
    Zstd,
    /// An uncompressed tar.
    None,
}

/// Why a layer could not be read.
#[derive(Debug, thiserror::Error)]
pub enum LayerError {
    /// Transport or decompression failure, truncation, or digest mismatch reported by the reader.
    #[error("reading layer: {0}")]
    Io(#[from] io::Error),
    /// The tar stream is malformed.
    #[error("layer is not a valid tar archive: {0}")]
    Tar(String),
    /// The layer expands beyond the limits (decompression bomb).
    #[error("layer rejected as a decompression bomb: {0}")]
    Bomb(String),
}

/// What one layer holds that matters for the squashed view.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct LayerContents {
    /// Kept regular files by normalised path.
    pub files: BTreeMap<String, Vec<u8>>,
    /// Symlinks by normalised path (target as written).
    pub symlinks: BTreeMap<String, String>,
    /// Paths deleted by `.wh.NAME` entries.
    pub whiteouts: Vec<String>,
    /// Directories made opaque by `.wh..wh..opq`.
    pub opaque_dirs: Vec<String>,
    /// Non-fatal problems (skipped hostile paths, oversize files...).
    pub warnings: Vec<String>,
    /// Tar entries seen.
    pub entries: u64,
    /// Uncompressed bytes read.
    pub uncompressed_bytes: u64,
}

/// Counts the compressed bytes read into a cell the bomb guard reads ratios from.
struct Counting<'a, R> {
    inner: R,
    n: &'a std::cell::Cell<u64>,
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.n.set(self.n.get() + n as u64);
        Ok(n)
    }
}

/// Guards the decompressed stream against bombs.
struct Guard<'a, R> {
    inner: R,
    /// Decompressed bytes so far.
    n: &'a std::cell::Cell<u64>,
    compressed: &'a std::cell::Cell<u64>,
    /// Set when decompression (or the transport under it) failed, as opposed to tar parsing.
    decode_failed: &'a std::cell::Cell<bool>,
    limits: &'a Limits,
}

impl<R: Read> Read for Guard<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self
            .inner
            .read(buf)
            .inspect_err(|_| self.decode_failed.set(true))?;
        self.n.set(self.n.get() + n as u64);
        let total = self.n.get();
        if total > self.limits.max_layer_bytes {
            return Err(io::Error::other(BombMarker(format!(
                "more than {} uncompressed bytes",
                self.limits.max_layer_bytes
            ))));
        }
        let c = self.compressed.get().max(1);
        if total > (64 << 20) && total / c > self.limits.max_ratio {
            return Err(io::Error::other(BombMarker(format!(
                "{} bytes expanded from {} compressed (ratio over {})",
                total, c, self.limits.max_ratio
            ))));
        }
        Ok(n)
    }
}

#[derive(Debug)]
struct BombMarker(String);
impl std::fmt::Display for BombMarker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for BombMarker {}

/// Reads one layer blob, keeping of each regular file what `wanted` asks for.
///
/// The blob is read to its very end even when the tar stream stops early, so
/// a digest-verifying reader gets to check the whole blob.
pub fn read_layer<R: Read>(
    blob: R,
    wanted: &dyn Fn(&EntryInfo) -> Keep,
    limits: &Limits,
) -> Result<(LayerContents, Compression), LayerError> {
    let cell = std::cell::Cell::new(0u64);
    let mut raw = Counting {
        inner: BufReader::with_capacity(256 << 10, blob),
        n: &cell,
    };
    let head = raw.inner.fill_buf()?;
    let compression = if head.starts_with(&[0x1f, 0x8b]) {
        Compression::Gzip
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Compression::Zstd
    } else {
        Compression::None
    };
    let decode_failed = std::cell::Cell::new(false);
    let decoded_bytes = std::cell::Cell::new(0u64);
    let result = {
        let shared = &mut raw;
        let decoded: Box<dyn Read + '_> = match compression {
            Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(shared)),
            Compression::Zstd => Box::new(zstd::stream::read::Decoder::new(shared)?),
            Compression::None => Box::new(shared),
        };
        let guard = Guard {
            inner: decoded,
            n: &decoded_bytes,
            compressed: &cell,
            decode_failed: &decode_failed,
            limits,
        };
        walk(guard, wanted, limits)
    };
    // Drain what the decoder left (tar padding, trailing bytes) so the digest is checked.
    let drained = io::copy(&mut raw, &mut io::sink());
    let (mut contents, err, data_end) = result;
    match err.map(classify) {
        None => {
            drained?;
        }
        Some(e @ LayerError::Bomb(_)) => return Err(e),
        Some(e) => {
            // A transport failure (digest mismatch, cut transfer) shows up again here,
            // a cut compressed stream as a decoder error.
            drained?;
            // The blob is exactly what the registry published, but its tar stream is
            // broken (e.g. ends mid-file): keep what was read, say so, carry on.
            if contents.entries == 0 || decode_failed.get() {
                return Err(e);
            }
            // Some writers (umoci) stop right after the last file's data, without the
            // block padding and end-of-archive marker: every entry is complete, so
            // nothing was lost and there is nothing to warn about.
            if decoded_bytes.get() == data_end {
                tracing::debug!(
                    "layer tar stream ends without padding/end-of-archive after complete entries"
                );
                return Ok((contents, compression));
            }
            contents.warnings.push(format!(
                "layer tar stream is damaged after {} entries ({e}); files after that point were not read",
                contents.entries
            ));
        }
    }
    Ok((contents, compression))
}

fn classify(e: LayerError) -> LayerError {
    if let LayerError::Io(io) = &e {
        if let Some(b) = io.get_ref().and_then(|x| x.downcast_ref::<BombMarker>()) {
            return LayerError::Bomb(b.0.clone());
        }
    }
    e
}

/// Walks the tar; on a mid-stream error returns what was read so far with the
/// error, and the stream offset where the last entry's data ends.
fn walk<R: Read>(
    r: R,
    wanted: &dyn Fn(&EntryInfo) -> Keep,
    limits: &Limits,
) -> (LayerContents, Option<LayerError>, u64) {
    let mut out = LayerContents::default();
    let mut hardlinks: Vec<(String, String)> = Vec::new();
    let mut data_end = 0;
    let err = walk_entries(r, wanted, limits, &mut out, &mut hardlinks, &mut data_end).err();
    for (path, target) in hardlinks {
        match out.files.get(&target).cloned() {
            Some(d) => {
                out.files.insert(path, d);
            }
            None => out.warnings.push(format!(
                "hard link /{path} -> /{target}: target not kept in this layer"
            )),
        }
    }
    (out, err, data_end)
}

fn walk_entries<R: Read>(
    r: R,
    wanted: &dyn Fn(&EntryInfo) -> Keep,
    limits: &Limits,
    out: &mut LayerContents,
    hardlinks: &mut Vec<(String, String)>,
    data_end: &mut u64,
) -> Result<(), LayerError> {
    let mut ar = tar::Archive::new(r);
    let entries = ar.entries().map_err(tar_err)?;
    for entry in entries {
        let mut entry = entry.map_err(tar_err)?;
        out.entries += 1;
        *data_end = entry.raw_file_position() + entry.header().entry_size().unwrap_or(0);
        if out.entries > limits.max_entries {
            return Err(LayerError::Bomb(format!(
                "more than {} tar entries",
                limits.max_entries
            )));
        }
        let raw_path = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let Some(path) = normalize_path(&raw_path) else {
            out.warnings
                .push(format!("skipped entry {raw_path:?}: path escapes the root"));
            continue;
        };
        if path.is_empty() {
            continue;
        }
        let (dir, base) = match path.rsplit_once('/') {
            Some((d, b)) => (d, b),
            None => ("", path.as_str()),
        };
        if base == ".wh..wh..opq" {
            out.opaque_dirs.push(dir.to_string());
            continue;
        }
        if let Some(victim) = base.strip_prefix(".wh.") {
            if victim.is_empty() || victim == "." || victim == ".." {
                out.warnings
                    .push(format!("ignored malformed whiteout {raw_path:?}"));
                continue;
            }
            out.whiteouts.push(if dir.is_empty() {
                victim.to_string()
            } else {
                format!("{dir}/{victim}")
            });
            continue;
        }
        let kind = entry.header().entry_type();
        if kind.is_symlink() {
            match entry.link_name_bytes() {
                Some(t) => {
                    out.symlinks
                        .insert(path, String::from_utf8_lossy(&t).into_owned());
                }
                None => out
                    .warnings
                    .push(format!("symlink {raw_path:?} without a target")),
            }
            continue;
        }
        let mode = entry.header().mode().unwrap_or(0);
        let size = entry.header().size().unwrap_or(0);
        let keep = wanted(&EntryInfo {
            path: &path,
            mode,
            size,
        });
        if kind.is_hard_link() {
            if !matches!(keep, Keep::No) {
                if let Some(t) = entry
                    .link_name_bytes()
                    .and_then(|t| normalize_path(&String::from_utf8_lossy(&t)))
                {
                    hardlinks.push((path, t));
                }
            }
            continue;
        }
        // A later entry for the same path replaces an earlier one, as on extraction.
        out.symlinks.remove(&path);
        if !(kind.is_file() || kind == tar::EntryType::Continuous) || matches!(keep, Keep::No) {
            out.files.remove(&path);
            continue;
        }
        let cap = match keep {
            Keep::Extract(_) => limits.max_binary_size,
            _ => limits.max_file_size,
        };
        if size > cap {
            out.warnings.push(format!(
                "skipped /{path}: {size} bytes is over the {cap} byte limit for catalogued files"
            ));
            out.files.remove(&path);
            continue;
        }
        let mut data = Vec::with_capacity(size as usize);
        (&mut entry).take(cap + 1).read_to_end(&mut data)?;
        match keep {
            Keep::Extract(f) => match f(&data) {
                Some(d) => {
                    out.files.insert(path, d);
                }
                None => {
                    out.files.remove(&path);
                }
            },
            _ => {
                out.files.insert(path, data);
            }
        }
    }
    Ok(())
}

fn tar_err(e: io::Error) -> LayerError {
    // Transport errors (digest mismatch, truncation) surface through tar as io errors: keep them.
    if e.get_ref().is_some_and(|x| x.is::<BombMarker>()) || e.kind() != io::ErrorKind::Other {
        LayerError::Io(e)
    } else {
        LayerError::Tar(e.to_string())
    }
}
