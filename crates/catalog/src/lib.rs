//! Package inventory from file contents.
//!
//! Pure functions over bytes: the scan pipeline hands in the files that
//! [`need`] selected from the squashed image, this crate returns the OS and
//! the installed packages (with the layer each came from), plus warnings for
//! anything it had to skip.

pub mod apk;
pub mod binary;
pub mod dpkg;
pub mod jar;
pub mod lang;
pub mod os;

use serde::{Deserialize, Serialize};

pub use os::OsRelease;

/// Which package manager a package belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PackageKind {
    /// Debian/Ubuntu dpkg.
    Deb,
    /// Alpine apk.
    Apk,
    /// Python distribution (dist-info / egg-info).
    Python,
    /// npm package (node_modules or a lockfile).
    Npm,
    /// Rust crate (Cargo.lock or cargo-auditable data).
    RustCrate,
    /// Go module or the Go standard library (`stdlib`), from build info.
    GoModule,
    /// Ruby gem.
    Gem,
    /// PHP Composer package.
    PhpComposer,
    /// .NET NuGet package (deps.json).
    Dotnet,
    /// Java archive (Maven coordinates `group:artifact` when known).
    Java,
}

impl PackageKind {
    /// True for packages of the OS package manager.
    pub fn is_os(self) -> bool {
        matches!(self, PackageKind::Deb | PackageKind::Apk)
    }
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

impl Package {
    /// A language package: source name and version equal the package's own,
    /// `location` is the image path (without the leading `/`) it was read from.
    pub fn new(kind: PackageKind, name: &str, version: &str, location: &str, layer: usize) -> Self {
        Package {
            name: name.to_string(),
            version: version.to_string(),
            source_name: name.to_string(),
            source_version: version.to_string(),
            arch: String::new(),
            kind,
            location: format!("/{location}"),
            layer: Some(layer),
        }
    }
}

/// What the catalogers need of a file.
#[derive(Debug, Clone, Copy)]
pub enum Need {
    /// Nothing.
    Nothing,
    /// The whole content.
    Content,
    /// Only the record an extractor makes of it: [`binary::extract`] for
    /// executables, [`jar::extract`] for Java archives.
    Extract(fn(&[u8]) -> Option<Vec<u8>>),
}

fn os_file(p: &str) -> bool {
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
        || p.strip_prefix("var/lib/dpkg/info/")
            .is_some_and(|f| f.ends_with(".list") && !f.contains('/'))
}

/// What the catalogers need of the file at `path` with Unix `mode` and `size`.
pub fn need(path: &str, mode: u32, size: u64) -> Need {
    let p = path.trim_start_matches('/');
    if os_file(p) || lang::classify(p).is_some() {
        Need::Content
    } else if jar::is_archive(p) {
        Need::Extract(jar::extract)
    } else if mode & 0o111 != 0 && size >= 1024 {
        Need::Extract(binary::extract)
    } else {
        Need::Nothing
    }
}

/// Source of files for [`inventory`]: returns content and layer index.
pub trait Files {
    /// Content and layer of the file at `path`, following symlinks.
    fn read(&self, path: &str) -> Option<(&[u8], usize)>;
    /// Paths of kept files under `dir` (one level).
    fn list(&self, dir: &str) -> Vec<String>;
    /// Every kept file path.
    fn all(&self) -> Vec<String>;
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
        if os_file(&p) {
            if let Some((data, layer)) = files.read(&p) {
                dpkg::parse_into(data, &format!("/{p}"), Some(layer), false, &mut inv);
            }
        }
    }
    let mut owned = std::collections::HashSet::new();
    for p in files.list("var/lib/dpkg/info") {
        if let Some((data, _)) = files.read(&p).filter(|_| p.ends_with(".list")) {
            owned.extend(
                String::from_utf8_lossy(data)
                    .lines()
                    .map(|l| l.trim_start_matches('/').to_string()),
            );
        }
    }
    if let Some((data, layer)) = files.read("lib/apk/db/installed") {
        apk::parse_into(data, "/lib/apk/db/installed", Some(layer), &mut inv);
        owned.extend(apk::owned_files(data));
    }
    language_packages(files, &owned, &mut inv);
    inv.packages.sort_by(|a, b| {
        (a.kind, &a.name, &a.version, &a.arch).cmp(&(b.kind, &b.name, &b.version, &b.arch))
    });
    inv.packages.dedup_by(|a, b| {
        a.kind == b.kind && a.name == b.name && a.version == b.version && a.arch == b.arch
    });
    inv
}

/// Runs the language catalogers over every kept file, skipping files the OS
/// package manager owns and lockfiles that sit beside a `node_modules`.
fn language_packages(
    files: &dyn Files,
    owned: &std::collections::HashSet<String>,
    inv: &mut Inventory,
) {
    let all = files.all();
    let node_dirs: std::collections::HashSet<&str> = all
        .iter()
        .filter_map(|p| {
            p.find("node_modules/")
                .map(|i| p[..i].trim_end_matches('/'))
        })
        .collect();
    for p in &all {
        // Owned by dpkg/apk (e.g. Debian's python3-yaml egg-info): already an OS package.
        if owned.contains(p.as_str()) || p.rsplit_once('/').is_some_and(|(d, _)| owned.contains(d))
        {
            continue;
        }
        let Some((data, layer)) = files.read(p) else {
            continue;
        };
        let found = if jar::is_record(data) {
            jar::parse(data, p, layer, &mut inv.warnings)
        } else if binary::is_record(data) {
            binary::parse(data, p, layer, &mut inv.warnings)
        } else if let Some(kind) = lang::classify(p) {
            let dir = p.rsplit_once('/').map_or("", |x| x.0);
            let lock = matches!(
                kind,
                lang::LangFile::NpmLock | lang::LangFile::YarnLock | lang::LangFile::PnpmLock
            );
            if lock && node_dirs.contains(dir) {
                continue; // node_modules beside it is the installed truth
            }
            lang::catalog_file(kind, p, data, layer, &mut inv.warnings)
        } else {
            continue;
        };
        inv.packages.extend(found);
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    struct Mem(BTreeMap<String, Vec<u8>>);

    impl Files for Mem {
        fn read(&self, path: &str) -> Option<(&[u8], usize)> {
            self.0
                .get(path.trim_start_matches('/'))
                .map(|d| (d.as_slice(), 0))
        }
        fn list(&self, dir: &str) -> Vec<String> {
            let prefix = format!("{dir}/");
            self.0
                .keys()
                .filter(|k| k.strip_prefix(&prefix).is_some_and(|r| !r.contains('/')))
                .cloned()
                .collect()
        }
        fn all(&self) -> Vec<String> {
            self.0.keys().cloned().collect()
        }
    }

    #[test]
    fn malformed_language_files_warn_and_the_rest_goes_on() {
        let files = Mem(BTreeMap::from([
            (
                "app/node_modules/bad/package.json".to_string(),
                b"{\"name\": \"bad\", ".to_vec(),
            ),
            (
                "app/node_modules/good/package.json".to_string(),
                br#"{"name":"good","version":"1.0.0"}"#.to_vec(),
            ),
            (
                "usr/lib/python3/site-packages/x-1.dist-info/METADATA".to_string(),
                b"\xff\xfe garbage".to_vec(),
            ),
            (
                "app/Cargo.lock".to_string(),
                b"[[package]]\nname = 3\n".to_vec(),
            ),
            (
                "usr/local/bin/tool".to_string(),
                binary::extract(b"\x7fELF\x02\x01\x01 truncated elf").unwrap_or_default(),
            ),
        ]));
        let inv = inventory(&files);
        let names: Vec<&str> = inv.packages.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, vec!["good"]);
        assert_eq!(inv.warnings.len(), 3, "{:?}", inv.warnings);
    }

    #[test]
    fn os_owned_python_metadata_is_not_reported_twice() {
        let files = Mem(BTreeMap::from([
            (
                "var/lib/dpkg/info/python3-yaml.list".to_string(),
                b"/usr/lib/python3/dist-packages/PyYAML-6.0.egg-info\n".to_vec(),
            ),
            (
                "usr/lib/python3/dist-packages/PyYAML-6.0.egg-info/PKG-INFO".to_string(),
                b"Name: PyYAML\nVersion: 6.0\n".to_vec(),
            ),
            (
                "usr/local/lib/python3.11/site-packages/requests-2.19.1.dist-info/METADATA"
                    .to_string(),
                b"Name: requests\nVersion: 2.19.1\n".to_vec(),
            ),
        ]));
        let inv = inventory(&files);
        let names: Vec<&str> = inv.packages.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, vec!["requests"]);
    }
}
