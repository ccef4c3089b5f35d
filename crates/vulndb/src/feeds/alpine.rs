//! Alpine secdb JSON (`secdb.alpinelinux.org/vX.Y/{main,community}.json`).

use serde::Deserialize;

use crate::model::{Advisory, FixState};
use crate::FeedError;

#[derive(Deserialize)]
struct SecDb {
    #[serde(default)]
    distroversion: Option<String>,
    #[serde(default)]
    packages: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    pkg: Pkg,
}

#[derive(Deserialize)]
struct Pkg {
    name: String,
    #[serde(default)]
    secfixes: Option<serde_json::Map<String, serde_json::Value>>,
}

/// Parses one secdb file; returns (namespace such as `alpine:v3.10`, advisories, warnings).
///
/// A fixed version of `0` means "never affected" in secdb and produces no record.
/// `branch_hint` (the directory name) is used when the file lacks `distroversion`.
pub fn parse(
    data: &[u8],
    branch_hint: &str,
) -> Result<(String, Vec<Advisory>, Vec<String>), FeedError> {
    let db: SecDb = serde_json::from_slice(data)
        .map_err(|e| FeedError::new("alpine-secdb", format!("not secdb JSON: {e}")))?;
    let branch = db
        .distroversion
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| branch_hint.to_string());
    let mut out = Vec::new();
    let mut warnings = Vec::new();
    for e in db.packages {
        let Some(fixes) = e.pkg.secfixes else {
            continue;
        };
        for (version, ids) in fixes {
            if version == "0" {
                continue;
            }
            // apk-tools orders even versions it calls invalid ("6.6.2p1-r0"), so keep
            // those and compare them the same way; only non-versions are dropped.
            let usable = version.starts_with(|c: char| c.is_ascii_digit());
            let ids = match ids {
                serde_json::Value::Array(a) => a,
                serde_json::Value::Null => continue,
                other => {
                    warnings.push(format!(
                        "alpine-secdb {branch} {}: secfixes {version} is not a list ({other})",
                        e.pkg.name
                    ));
                    continue;
                }
            };
            if !usable {
                warnings.push(format!(
                    "alpine-secdb {branch} {}: {version:?} is not a version; entries skipped",
                    e.pkg.name
                ));
                continue;
            }
            for id in ids.iter().filter_map(|v| v.as_str()) {
                // Entries look like "CVE-2020-1967" or "CVE-2019-1 GHSA-xxxx" or "XSA-1 CVE-2...".
                let parts: Vec<&str> = id.split_whitespace().collect();
                let Some(primary) = parts
                    .iter()
                    .find(|p| p.starts_with("CVE-"))
                    .or(parts.first())
                else {
                    continue;
                };
                out.push(Advisory {
                    id: primary.to_string(),
                    aliases: parts
                        .iter()
                        .filter(|p| *p != primary)
                        .map(|p| p.to_string())
                        .collect(),
                    package: e.pkg.name.clone(),
                    state: FixState::Fixed {
                        version: version.clone(),
                    },
                    vendor_severity: None,
                    source: "alpine-secdb".into(),
                    title: None,
                });
            }
        }
    }
    Ok((format!("alpine:{branch}"), out, warnings))
}

#[cfg(test)]
mod tests {
    #[test]
    fn parses_and_skips_zero() {
        let s = br#"{"distroversion":"v3.10","packages":[{"pkg":{"name":"openssl","secfixes":{"1.1.1g-r0":["CVE-2020-1967"],"0":["CVE-1999-1"],"bad version":["CVE-1"],"6.6.2p1-r0":["CVE-2"]}}},{"pkg":{"name":"x"}}]}"#;
        let (ns, advs, warns) = super::parse(s, "v3.10").unwrap();
        assert_eq!(ns, "alpine:v3.10");
        assert_eq!(advs.len(), 2);
        assert_eq!(advs[0].state.fixed_version(), Some("1.1.1g-r0"));
        assert_eq!(warns.len(), 1);
        assert!(super::parse(b"{not json", "v3.10").is_err());
    }
}
