//! The on-disk database: a directory of generations and a `current` symlink.
//!
//! ```text
//! <root>/current -> gen-20261122T200501Z-1234
//! <root>/gen-.../meta.json           schema, build time, feeds, counts
//! <root>/gen-.../ns/<namespace>.idx.json.zst  package -> (offset, length) in the .dat file
//! <root>/gen-.../ns/<namespace>.dat          one zstd frame of JSON advisories per package
//! <root>/gen-.../cvss/<year>.json.zst      CVE -> CVSS, sharded by CVE year
//! ```
//! A build writes a new generation, then renames a fresh symlink over
//! `current` (atomic on POSIX), so a reader that resolved `current` once
//! ([`Store::snapshot`]) never sees half an update. The previous generation is
//! kept for readers still using it; older ones are removed.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::model::{Advisory, CvssInfo, Db, FeedInfo};

/// Version of the on-disk layout; bumped on incompatible changes.
pub const SCHEMA_VERSION: u32 = 2;

/// Errors reading or writing the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No database has been built at this location yet.
    #[error(
        "no vulnerability database at {0} (run `drydock db update` or `drydock db import DIR`)"
    )]
    Missing(PathBuf),
    /// The database was written by an incompatible version.
    #[error("vulnerability database at {path} has schema {found}, this drydock reads {SCHEMA_VERSION}; rebuild it")]
    Schema {
        /// Generation directory.
        path: PathBuf,
        /// Schema found.
        found: u32,
    },
    /// File system error.
    #[error("{0}: {1}")]
    Io(PathBuf, io::Error),
    /// A file in the store is corrupt.
    #[error("{0}: corrupt: {1}")]
    Corrupt(PathBuf, String),
}

/// Contents of `meta.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Metadata {
    /// Layout version.
    pub schema: u32,
    /// When this generation was built (RFC 3339, UTC).
    pub built_at: String,
    /// Feeds that went in.
    pub feeds: Vec<FeedInfo>,
    /// Advisory count per namespace.
    pub namespaces: BTreeMap<String, usize>,
    /// CVEs with CVSS data.
    pub cvss_count: usize,
}

/// A database location.
#[derive(Debug, Clone)]
pub struct Store {
    root: PathBuf,
}

/// One generation, resolved once; all reads go to the same generation.
#[derive(Debug, Clone)]
pub struct Snapshot {
    dir: PathBuf,
    /// Its metadata.
    pub meta: Metadata,
}

fn ns_file(ns: &str) -> String {
    let safe: String = ns
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    safe
}

/// Where each package's advisories sit in a namespace's `.dat` file.
type NsIndex = BTreeMap<String, (u64, u64)>;

fn cve_year(id: &str) -> &str {
    id.split('-')
        .nth(1)
        .filter(|y| y.len() == 4 && y.bytes().all(|b| b.is_ascii_digit()))
        .unwrap_or("other")
}

fn write_zst<T: Serialize>(path: &Path, v: &T) -> Result<(), StoreError> {
    let io = |e| StoreError::Io(path.to_path_buf(), e);
    let f = fs::File::create(path).map_err(io)?;
    let mut enc = zstd::Encoder::new(f, 9).map_err(io)?;
    serde_json::to_writer(&mut enc, v).map_err(|e| StoreError::Io(path.to_path_buf(), e.into()))?;
    let f = enc.finish().map_err(io)?;
    f.sync_all().map_err(io)
}

fn read_zst<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<Option<T>, StoreError> {
    let f = match fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(StoreError::Io(path.to_path_buf(), e)),
    };
    let mut buf = Vec::new();
    zstd::Decoder::new(f)
        .and_then(|mut d| d.read_to_end(&mut buf))
        .map_err(|e| StoreError::Corrupt(path.to_path_buf(), e.to_string()))?;
    serde_json::from_slice(&buf)
        .map(Some)
        .map_err(|e| StoreError::Corrupt(path.to_path_buf(), e.to_string()))
}

impl Store {
    /// A store rooted at `root` (created on first write).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Store { root: root.into() }
    }

    /// Root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Writes `db` as a new generation and makes it current atomically.
    pub fn write(&self, db: &Db) -> Result<PathBuf, StoreError> {
        let io = |p: &Path| {
            let p = p.to_path_buf();
            move |e| StoreError::Io(p, e)
        };
        fs::create_dir_all(&self.root).map_err(io(&self.root))?;
        let now = time::OffsetDateTime::now_utc();
        let stamp = format!(
            "{:04}{:02}{:02}T{:02}{:02}{:02}Z-{}-{}",
            now.year(),
            u8::from(now.month()),
            now.day(),
            now.hour(),
            now.minute(),
            now.second(),
            std::process::id(),
            now.nanosecond()
        );
        let name = format!("gen-{stamp}");
        let tmp = self.root.join(format!(".tmp-{name}"));
        fs::create_dir_all(tmp.join("ns")).map_err(io(&tmp))?;
        fs::create_dir_all(tmp.join("cvss")).map_err(io(&tmp))?;
        let mut namespaces = BTreeMap::new();
        for (ns, pkgs) in &db.advisories {
            // One zstd frame per package, so a scan decodes only the packages it has.
            let safe = ns_file(ns);
            let dat_path = tmp.join("ns").join(format!("{safe}.dat"));
            let mut dat = Vec::new();
            let mut index = NsIndex::new();
            for (pkg, advs) in pkgs {
                let json = serde_json::to_vec(advs)
                    .map_err(|e| StoreError::Io(dat_path.clone(), e.into()))?;
                let frame = zstd::encode_all(&json[..], 9)
                    .map_err(|e| StoreError::Io(dat_path.clone(), e))?;
                index.insert(pkg.clone(), (dat.len() as u64, frame.len() as u64));
                dat.extend_from_slice(&frame);
            }
            let mut f = fs::File::create(&dat_path).map_err(io(&dat_path))?;
            f.write_all(&dat).map_err(io(&dat_path))?;
            f.sync_all().map_err(io(&dat_path))?;
            write_zst(&tmp.join("ns").join(format!("{safe}.idx.json.zst")), &index)?;
            namespaces.insert(ns.clone(), pkgs.values().map(Vec::len).sum());
        }
        let mut years: BTreeMap<&str, BTreeMap<&String, &CvssInfo>> = BTreeMap::new();
        for (id, c) in &db.cvss {
            years.entry(cve_year(id)).or_default().insert(id, c);
        }
        for (y, m) in years {
            write_zst(&tmp.join("cvss").join(format!("{y}.json.zst")), &m)?;
        }
        let meta = Metadata {
            schema: SCHEMA_VERSION,
            built_at: now
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
            feeds: db.feeds.clone(),
            namespaces,
            cvss_count: db.cvss.len(),
        };
        let mp = tmp.join("meta.json");
        let mut f = fs::File::create(&mp).map_err(io(&mp))?;
        f.write_all(&serde_json::to_vec_pretty(&meta).unwrap_or_default())
            .map_err(io(&mp))?;
        f.sync_all().map_err(io(&mp))?;
        let final_dir = self.root.join(&name);
        fs::rename(&tmp, &final_dir).map_err(io(&final_dir))?;
        // Swap: a new symlink renamed over `current` replaces it atomically.
        let link_tmp = self.root.join(format!(".current-{stamp}"));
        std::os::unix::fs::symlink(&name, &link_tmp).map_err(io(&link_tmp))?;
        let previous = fs::read_link(self.root.join("current")).ok();
        fs::rename(&link_tmp, self.root.join("current")).map_err(io(&self.root))?;
        if let Ok(d) = fs::File::open(&self.root) {
            let _ = d.sync_all();
        }
        // Keep `current` and the one before it; remove older generations and leftovers.
        if let Ok(entries) = fs::read_dir(&self.root) {
            for e in entries.flatten() {
                let n = e.file_name().to_string_lossy().into_owned();
                let keep = n == name
                    || previous.as_deref().is_some_and(|p| p == Path::new(&n))
                    || n == "current";
                if !keep && (n.starts_with("gen-") || n.starts_with(".tmp-gen-")) {
                    let _ = fs::remove_dir_all(e.path());
                }
            }
        }
        Ok(final_dir)
    }

    /// Resolves `current` once and reads its metadata.
    pub fn snapshot(&self) -> Result<Snapshot, StoreError> {
        let link = self.root.join("current");
        let target = fs::read_link(&link).map_err(|e| {
            if e.kind() == io::ErrorKind::NotFound {
                StoreError::Missing(self.root.clone())
            } else {
                StoreError::Io(link.clone(), e)
            }
        })?;
        let dir = self.root.join(target);
        let mp = dir.join("meta.json");
        let raw = fs::read(&mp).map_err(|e| StoreError::Io(mp.clone(), e))?;
        let meta: Metadata = serde_json::from_slice(&raw)
            .map_err(|e| StoreError::Corrupt(mp.clone(), e.to_string()))?;
        if meta.schema != SCHEMA_VERSION {
            return Err(StoreError::Schema {
                path: dir,
                found: meta.schema,
            });
        }
        Ok(Snapshot { dir, meta })
    }
}

impl Snapshot {
    /// Generation directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Advisories of one namespace (`alpine:v3.10`, `debian:12`) for the given
    /// package names (as the namespace keys them), by package. Only those
    /// packages' records are read and decoded.
    pub fn advisories<'a>(
        &self,
        ns: &str,
        packages: impl IntoIterator<Item = &'a str>,
    ) -> Result<BTreeMap<String, Vec<Advisory>>, StoreError> {
        // Names are built by hand: `alpine_v3.10` has a dot that is not an extension.
        let safe = ns_file(ns);
        let Some(index) =
            read_zst::<NsIndex>(&self.dir.join("ns").join(format!("{safe}.idx.json.zst")))?
        else {
            return Ok(BTreeMap::new());
        };
        let dat_path = self.dir.join("ns").join(format!("{safe}.dat"));
        let corrupt = |m: String| StoreError::Corrupt(dat_path.clone(), m);
        let mut f = fs::File::open(&dat_path).map_err(|e| StoreError::Io(dat_path.clone(), e))?;
        let mut out = BTreeMap::new();
        for pkg in packages {
            let Some(&(offset, len)) = index.get(pkg) else {
                continue;
            };
            if out.contains_key(pkg) {
                continue;
            }
            use std::io::Seek;
            f.seek(io::SeekFrom::Start(offset))
                .map_err(|e| StoreError::Io(dat_path.clone(), e))?;
            // A package's frame is a few KiB; a huge length means a damaged index, not data.
            if len > 64 << 20 {
                return Err(corrupt(format!("{pkg}: frame of {len} bytes")));
            }
            let mut frame = vec![0u8; usize::try_from(len).map_err(|e| corrupt(e.to_string()))?];
            f.read_exact(&mut frame)
                .map_err(|e| corrupt(format!("{pkg}: {e}")))?;
            let json = zstd::decode_all(&frame[..]).map_err(|e| corrupt(format!("{pkg}: {e}")))?;
            let advs: Vec<Advisory> =
                serde_json::from_slice(&json).map_err(|e| corrupt(format!("{pkg}: {e}")))?;
            out.insert(pkg.to_string(), advs);
        }
        Ok(out)
    }

    /// CVSS for the given CVE ids (loads only the year shards needed).
    pub fn cvss<'a>(
        &self,
        ids: impl IntoIterator<Item = &'a str>,
    ) -> Result<BTreeMap<String, CvssInfo>, StoreError> {
        let mut by_year: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for id in ids {
            by_year.entry(cve_year(id)).or_default().push(id);
        }
        let mut out = BTreeMap::new();
        for (y, want) in by_year {
            let shard: BTreeMap<String, CvssInfo> =
                read_zst(&self.dir.join("cvss").join(format!("{y}.json.zst")))?.unwrap_or_default();
            for id in want {
                if let Some(c) = shard.get(id) {
                    out.insert(id.to_string(), c.clone());
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::FixState;

    #[test]
    fn write_swap_read() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        assert!(matches!(store.snapshot(), Err(StoreError::Missing(_))));
        let mut db = Db::default();
        db.add(
            "alpine:v3.10",
            Advisory {
                id: "CVE-2020-1967".into(),
                aliases: vec![],
                package: "openssl".into(),
                state: FixState::Fixed {
                    version: "1.1.1g-r0".into(),
                },
                vendor_severity: None,
                source: "alpine-secdb".into(),
                title: None,
            },
        );
        db.add_cvss(
            "CVE-2020-1967",
            CvssInfo {
                vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H".into(),
                score: 7.5,
                source: "nvd".into(),
                description: None,
            },
        );
        store.write(&db).unwrap();
        let snap1 = store.snapshot().unwrap();
        store.write(&Db::default()).unwrap();
        // The old snapshot still reads its own generation.
        assert_eq!(
            snap1
                .advisories("alpine:v3.10", ["openssl", "musl"])
                .unwrap()["openssl"]
                .len(),
            1
        );
        assert_eq!(
            snap1.cvss(["CVE-2020-1967"]).unwrap()["CVE-2020-1967"].score,
            7.5
        );
        let snap2 = store.snapshot().unwrap();
        assert!(snap2
            .advisories("alpine:v3.10", ["openssl"])
            .unwrap()
            .is_empty());
        store.write(&Db::default()).unwrap();
        let gens = fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with("gen-"))
            .count();
        assert_eq!(gens, 2, "current and previous generation kept");
    }
}
