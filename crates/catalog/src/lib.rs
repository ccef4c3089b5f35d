//! Package inventory from file contents.
//!
//! Pure functions over bytes: the scan pipeline hands in the files that
//! [`wanted`] selected from the squashed image, this crate returns the OS and
//! the installed packages (with the layer each came from), plus warnings for
//! anything it had to skip.

pub mod apk;
pub mod dpkg;
pub mod os;

use serde::{Deserialize, Serialize};

pub use os::OsRelease;

/// Which package manager a package belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PackageKind {
    /// Debian/Ubuntu dpkg.
    Deb,
    /// Alpine apk.
    Apk,
}

/// One installed package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Package {
    /// Binary package name.
    pub name: String,
    /// Installed version.
    pub version: String,
    /// Source package (Debian `Source:`, Alpine origin `o:`); equals `name` when absent.
    pub source_name: String,
    /// Source version (Debian `Source: x (ver)`); equals `version` when absent.
    pub source_version: String,
    /// Architecture as recorded.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub arch: String,
    /// Package manager.
    pub kind: PackageKind,
    /// Database file it was read from (absolute path in the image).
    pub location: String,
    /// Index of the layer that last wrote that database file (0 = base).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<usize>,
}

/// True for paths whose content the catalogers need.
pub fn wanted(path: &str) -> bool {
    let p = path.trim_start_matches('/');
    matches!(
        p,
        "etc/os-release"
            | "usr/lib/os-release"
            | "etc/alpine-release"
            | "etc/debian_version"
            | "var/lib/dpkg/status"
            | "lib/apk/db/installed"
    ) || p
        .strip_prefix("var/lib/dpkg/status.d/")
        .is_some_and(|f| !f.is_empty() && !f.contains('/') && !f.ends_with(".md5sums"))
}

/// Source of files for [`inventory`]: returns content and layer index.
pub trait Files {
    /// Content and layer of the file at `path`, following symlinks.
    fn read(&self, path: &str) -> Option<(&[u8], usize)>;
    /// Paths of kept files under `dir` (one level).
    fn list(&self, dir: &str) -> Vec<String>;
}

/// Everything found in one image.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Inventory {
    /// Detected OS, if any.
    pub os: Option<OsRelease>,
    /// Installed packages, sorted by kind, name, version.
    pub packages: Vec<Package>,
    /// Problems that did not stop the inventory.
    pub warnings: Vec<String>,
}

/// Runs OS detection and every OS package cataloger over `files`.
pub fn inventory(files: &dyn Files) -> Inventory {
    let mut inv = Inventory {
        os: os::detect(files),
        ..Default::default()
    };
    if let Some((data, layer)) = files.read("var/lib/dpkg/status") {
        dpkg::parse_into(data, "/var/lib/dpkg/status", Some(layer), true, &mut inv);
    }
    for p in files.list("var/lib/dpkg/status.d") {
        if wanted(&p) {
            if let Some((data, layer)) = files.read(&p) {
                dpkg::parse_into(data, &format!("/{p}"), Some(layer), false, &mut inv);
            }
        }
    }
    if let Some((data, layer)) = files.read("lib/apk/db/installed") {
        apk::parse_into(data, "/lib/apk/db/installed", Some(layer), &mut inv);
    }
    inv.packages.sort_by(|a, b| {
        (a.kind, &a.name, &a.version, &a.arch).cmp(&(b.kind, &b.name, &b.version, &b.arch))
    });
    inv.packages.dedup_by(|a, b| {
        a.kind == b.kind && a.name == b.name && a.version == b.version && a.arch == b.arch
    });
    inv
}

/// Splits a control-file style database into paragraphs of (key, value) lines,
/// joining continuation lines. Shared by dpkg (`Key: value`) and apk (`K:value`).
pub(crate) fn paragraphs(text: &str) -> Vec<Vec<(String, String)>> {
    let mut out = Vec::new();
    let mut cur: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            continue;
        }
        if line.starts_with(' ') || line.starts_with('\t') {
            if let Some(last) = cur.last_mut() {
                last.1.push('\n');
                last.1.push_str(line.trim());
            }
            continue;
        }
        if let Some((k, v)) = line.split_once(':') {
            cur.push((k.to_string(), v.trim().to_string()));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}
