//! Operating system detection from release files.

use serde::{Deserialize, Serialize};

use crate::Files;

/// The distribution an image is built on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OsRelease {
    /// `ID` from os-release (`debian`, `alpine`, `ubuntu`...).
    pub id: String,
    /// `VERSION_ID` (`12`, `3.10.9`).
    pub version_id: String,
    /// `VERSION_CODENAME` (`bookworm`), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub codename: Option<String>,
    /// `PRETTY_NAME`, when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pretty_name: Option<String>,
    /// Which file said so.
    pub source: String,
}

/// Parses os-release `KEY=value` lines (quotes and escapes as in os-release(5)).
pub fn parse_os_release(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|l| {
            let l = l.trim();
            if l.starts_with('#') {
                return None;
            }
            let (k, v) = l.split_once('=')?;
            let v = v.trim();
            let v = v
                .strip_prefix('"')
                .and_then(|x| x.strip_suffix('"'))
                .or_else(|| v.strip_prefix('\'').and_then(|x| x.strip_suffix('\'')))
                .unwrap_or(v);
            Some((
                k.trim().to_string(),
                v.replace("\\\"", "\"").replace("\\\\", "\\"),
            ))
        })
        .collect()
}

fn debian_codename(version_id: &str) -> Option<&'static str> {
    Some(match version_id.split('.').next()? {
        "7" => "wheezy",
        "8" => "jessie",
        "9" => "stretch",
        "10" => "buster",
        "11" => "bullseye",
        "12" => "bookworm",
        "13" => "trixie",
        "14" => "forky",
        _ => return None,
    })
}

/// Detects the OS: os-release first, then Alpine and Debian marker files.
pub fn detect(files: &dyn Files) -> Option<OsRelease> {
    for path in ["etc/os-release", "usr/lib/os-release"] {
        let Some((data, _)) = files.read(path) else {
            continue;
        };
        let kv = parse_os_release(&String::from_utf8_lossy(data));
        let get = |k: &str| {
            kv.iter()
                .rev()
                .find(|(x, _)| x == k)
                .map(|(_, v)| v.clone())
        };
        let Some(id) = get("ID").filter(|s| !s.is_empty()) else {
            continue;
        };
        let mut version_id = get("VERSION_ID").unwrap_or_default();
        // Alpine's os-release may lag behind /etc/alpine-release on edge; prefer the latter.
        if id == "alpine" {
            if let Some((d, _)) = files.read("etc/alpine-release") {
                let v = String::from_utf8_lossy(d).trim().to_string();
                if !v.is_empty() {
                    version_id = v;
                }
            }
        }
        let mut codename = get("VERSION_CODENAME").filter(|s| !s.is_empty());
        if id == "debian" && codename.is_none() {
            codename = debian_codename(&version_id).map(str::to_string);
        }
        return Some(OsRelease {
            id,
            version_id,
            codename,
            pretty_name: get("PRETTY_NAME"),
            source: format!("/{path}"),
        });
    }
    if let Some((d, _)) = files.read("etc/alpine-release") {
        let v = String::from_utf8_lossy(d).trim().to_string();
        return Some(OsRelease {
            id: "alpine".into(),
            version_id: v,
            codename: None,
            pretty_name: None,
            source: "/etc/alpine-release".into(),
        });
    }
    if let Some((d, _)) = files.read("etc/debian_version") {
        let v = String::from_utf8_lossy(d).trim().to_string();
        let (version_id, codename) = if v.chars().next().is_some_and(|c| c.is_ascii_digit()) {
            let major = v.split('.').next().unwrap_or("").to_string();
            let c = debian_codename(&major).map(str::to_string);
            (major, c)
        } else {
            // "bookworm/sid": testing or unstable.
            let c = v.split('/').next().unwrap_or("").to_string();
            (String::new(), Some(c))
        };
        return Some(OsRelease {
            id: "debian".into(),
            version_id,
            codename,
            pretty_name: None,
            source: "/etc/debian_version".into(),
        });
    }
    None
}
