//! Debian security tracker data in its three shapes:
//! the tracker JSON (`security-tracker.debian.org/tracker/data/json`),
//! per-CVE entries of `data/CVE/list` (as vuln-list JSON), and the DSA/DLA lists.
//!
//! Outcome of each tracker state (documented in README "How findings are decided"):
//! resolved with a version -> `Fixed`; resolved with version `0` or `<not-affected>` ->
//! no record; open/`<unfixed>` -> `Unfixed`; `<no-dsa>` -> `NoDsa`; `<postponed>` ->
//! `Postponed`; `<ignored>` -> `Ignored`; `<end-of-life>` -> `EndOfLife`; undetermined ->
//! `Undetermined`; `<removed>`/`<itp>` -> no record. Urgency `unimportant` is kept as
//! vendor severity NEGLIGIBLE.

use std::collections::HashMap;

use serde::Deserialize;

use super::{debian_namespace, Record, DEBIAN_ALL_RELEASES};
use crate::model::{Advisory, FixState, Severity, VendorSeverity};
use crate::FeedError;

/// Maps a Debian urgency (`medium`, `high**`, `unimportant`) to a vendor severity.
pub fn urgency(u: &str) -> Option<VendorSeverity> {
    let label = u.trim().trim_end_matches('*').trim().to_ascii_lowercase();
    let severity = match label.as_str() {
        "unimportant" => Severity::Negligible,
        "low" => Severity::Low,
        "medium" => Severity::Medium,
        "high" => Severity::High,
        _ => return None, // "not yet assigned", "end-of-life", ""
    };
    Some(VendorSeverity { severity, label })
}

#[derive(Deserialize)]
struct TrackerCve {
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    releases: serde_json::Value,
}

#[derive(Deserialize)]
struct TrackerRelease {
    #[serde(default)]
    status: String,
    #[serde(default)]
    fixed_version: Option<String>,
    #[serde(default)]
    urgency: Option<String>,
    #[serde(default)]
    nodsa: Option<String>,
    #[serde(default)]
    nodsa_reason: Option<String>,
}

/// Parses the tracker JSON (package -> CVE -> releases).
pub fn parse_tracker_json(data: &[u8]) -> Result<(Vec<Record>, Vec<String>), FeedError> {
    let map: HashMap<String, serde_json::Value> = serde_json::from_slice(data)
        .map_err(|e| FeedError::new("debian-tracker", format!("not tracker JSON: {e}")))?;
    let mut out = Vec::new();
    let mut warnings = Vec::new();
    for (pkg, cves) in map {
        let cves: HashMap<String, TrackerCve> = match serde_json::from_value(cves) {
            Ok(c) => c,
            Err(e) => {
                warnings.push(format!(
                    "debian-tracker: package {pkg}: unexpected shape ({e}); skipped"
                ));
                continue;
            }
        };
        for (id, cve) in cves {
            let releases: HashMap<String, TrackerRelease> = match cve.releases {
                serde_json::Value::Object(m) => m
                    .into_iter()
                    .filter_map(|(k, v)| serde_json::from_value(v).ok().map(|r| (k, r)))
                    .collect(),
                _ => continue, // `[]`: no release information
            };
            for (rel, r) in releases {
                let vendor = r.urgency.as_deref().and_then(urgency);
                let state = match r.status.as_str() {
                    "resolved" => {
                        match r.fixed_version.as_deref().map(str::trim) {
                            None | Some("") => {
                                warnings.push(format!("debian-tracker: {id} {pkg} {rel}: resolved without fixed_version; skipped"));
                                continue;
                            }
                            Some("0") => continue,
                            Some(v) => {
                                if drydock_version::dpkg::parse(v).is_err() {
                                    warnings.push(format!("debian-tracker: {id} {pkg} {rel}: bad version {v:?}; skipped"));
                                    continue;
                                }
                                FixState::Fixed {
                                    version: v.to_string(),
                                }
                            }
                        }
                    }
                    "open" => match (r.nodsa_reason.as_deref(), r.nodsa.as_deref()) {
                        (Some("postponed"), _) => FixState::Postponed,
                        (Some("ignored"), _) => FixState::Ignored,
                        (_, Some(reason)) => FixState::NoDsa {
                            reason: reason.to_string(),
                        },
                        _ if r.urgency.as_deref() == Some("end-of-life") => FixState::EndOfLife,
                        _ => FixState::Unfixed,
                    },
                    "undetermined" => FixState::Undetermined,
                    other => {
                        warnings.push(format!(
                            "debian-tracker: {id} {pkg} {rel}: unknown status {other:?}; skipped"
                        ));
                        continue;
                    }
                };
                out.push((
                    debian_namespace(&rel),
                    Advisory {
                        id: id.clone(),
                        aliases: vec![],
                        package: pkg.clone(),
                        state,
                        vendor_severity: vendor,
                        source: "debian-tracker".into(),
                        title: cve.description.clone().filter(|d| !d.is_empty()),
                    },
                ));
            }
        }
    }
    Ok((out, warnings))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CveListEntry {
    header: CveListHeader,
    #[serde(default)]
    annotations: Vec<Annotation>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CveListHeader {
    #[serde(rename = "ID")]
    id: String,
    #[serde(default)]
    description: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Annotation {
    #[serde(rename = "Type", default)]
    kind_of_line: String,
    #[serde(default)]
    release: Option<String>,
    #[serde(default)]
    package: Option<String>,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    severity: Option<String>,
    #[serde(default)]
    bugs: Vec<String>,
}

/// Parses one `data/CVE/list` entry in vuln-list JSON form.
///
/// Lines without a release (`- pkg ...`) describe unstable and, as in the tracker,
/// hold for every release that has no line of its own: they go to the
/// [`DEBIAN_ALL_RELEASES`] namespace, which the matcher consults as a fallback.
pub fn parse_cve_list_json(data: &[u8]) -> Result<(Vec<Record>, Vec<String>), FeedError> {
    let e: CveListEntry = serde_json::from_slice(data)
        .map_err(|e| FeedError::new("debian-cve-list", format!("not a CVE list entry: {e}")))?;
    let mut out = Vec::new();
    let mut warnings = Vec::new();
    let aliases: Vec<String> = e
        .annotations
        .iter()
        .filter(|a| a.kind_of_line == "xref")
        .flat_map(|a| a.bugs.iter().cloned())
        .collect();
    let title = e.header.description.map(|d| {
        d.trim_matches(|c| matches!(c, '(' | ')' | '[' | ']'))
            .trim()
            .to_string()
    });
    for a in e.annotations.iter().filter(|a| a.kind_of_line == "package") {
        let (Some(pkg), Some(kind)) = (&a.package, &a.kind) else {
            continue;
        };
        let state = match kind.as_str() {
            "fixed" => match a.version.as_deref() {
                Some("0") => continue,
                Some(v) if drydock_version::dpkg::parse(v).is_ok() => FixState::Fixed {
                    version: v.to_string(),
                },
                other => {
                    warnings.push(format!(
                        "debian-cve-list: {} {pkg}: bad fixed version {other:?}",
                        e.header.id
                    ));
                    continue;
                }
            },
            "unfixed" => FixState::Unfixed,
            "no-dsa" => FixState::NoDsa {
                reason: a.description.clone().unwrap_or_default(),
            },
            "postponed" => FixState::Postponed,
            "ignored" => FixState::Ignored,
            "end-of-life" => FixState::EndOfLife,
            "undetermined" => FixState::Undetermined,
            "not-affected" | "removed" | "itp" => {
                // A release-specific not-affected still has to override the all-releases line.
                if kind == "not-affected" {
                    if let Some(rel) = &a.release {
                        out.push((
                            debian_namespace(rel),
                            not_affected_marker(&e.header.id, pkg),
                        ));
                    }
                }
                continue;
            }
            other => {
                warnings.push(format!(
                    "debian-cve-list: {} {pkg}: unknown kind {other:?}",
                    e.header.id
                ));
                continue;
            }
        };
        let ns = a
            .release
            .as_deref()
            .map(debian_namespace)
            .unwrap_or_else(|| DEBIAN_ALL_RELEASES.to_string());
        out.push((
            ns,
            Advisory {
                id: e.header.id.clone(),
                aliases: aliases.clone(),
                package: pkg.clone(),
                state,
                vendor_severity: a.severity.as_deref().and_then(urgency),
                source: "debian-cve-list".into(),
                title: title.clone().filter(|t| !t.is_empty()),
            },
        ));
    }
    Ok((out, warnings))
}

/// A record that says "not affected in this release"; it shadows the all-releases
/// record and is dropped by the matcher.
fn not_affected_marker(id: &str, pkg: &str) -> Advisory {
    Advisory {
        id: id.to_string(),
        aliases: vec![],
        package: pkg.to_string(),
        state: FixState::Fixed {
            version: "0".into(),
        },
        vendor_severity: None,
        source: "debian-cve-list".into(),
        title: None,
    }
}

/// Parses a DSA or DLA list (`data/DSA/list`, `data/DLA/list`).
///
/// Each advisory names CVEs in `{...}` and per-release fixed versions in
/// `[release] - srcpkg version` lines; every (CVE, release) pair becomes a
/// `Fixed` record carrying the advisory id as alias.
pub fn parse_dsa_list(text: &str, source: &str) -> (Vec<Record>, Vec<String>, Option<String>) {
    let mut out = Vec::new();
    let mut warnings = Vec::new();
    let mut newest: Option<String> = None;
    let mut adv_id = String::new();
    let mut title = String::new();
    let mut cves: Vec<String> = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let t = line.trim();
        if line.starts_with('[') {
            // "[29 Mar 2023] DSA-5380-1 xorg-server - security update"
            let Some((date, rest)) = t[1..].split_once(']') else {
                warnings.push(format!("{source} line {}: malformed header", n + 1));
                continue;
            };
            if newest.is_none() {
                newest = parse_list_date(date);
            }
            let mut it = rest.split_whitespace();
            adv_id = it.next().unwrap_or("").to_string();
            title = rest
                .split_once(" - ")
                .map(|x| x.1.trim().to_string())
                .unwrap_or_default();
            cves.clear();
        } else if let Some(inner) = t.strip_prefix('{').and_then(|x| x.strip_suffix('}')) {
            cves = inner.split_whitespace().map(str::to_string).collect();
        } else if let Some(rest) = t.strip_prefix('[') {
            // "[bullseye] - xorg-server 2:1.20.11-1+deb11u6"
            let Some((rel, rest)) = rest.split_once(']') else {
                continue;
            };
            let mut it = rest.trim().trim_start_matches('-').split_whitespace();
            let (Some(pkg), Some(ver)) = (it.next(), it.next()) else {
                continue;
            };
            if ver.starts_with('<') || ver == "0" {
                continue;
            }
            if drydock_version::dpkg::parse(ver).is_err() {
                warnings.push(format!("{source} {adv_id}: bad version {ver:?}"));
                continue;
            }
            for cve in &cves {
                out.push((
                    debian_namespace(rel),
                    Advisory {
                        id: cve.clone(),
                        aliases: vec![adv_id.clone()],
                        package: pkg.to_string(),
                        state: FixState::Fixed {
                            version: ver.to_string(),
                        },
                        vendor_severity: None,
                        source: source.to_string(),
                        title: Some(format!("{adv_id}: {title}")).filter(|_| !title.is_empty()),
                    },
                ));
            }
        }
    }
    (out, warnings, newest)
}

fn parse_list_date(d: &str) -> Option<String> {
    let fmt = time::macros::format_description!("[day padding:none] [month repr:short] [year]");
    let date = time::Date::parse(d.trim(), &fmt).ok()?;
    Some(format!("{date}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracker_states() {
        let j = br#"{"p":{"CVE-1":{"description":"d","releases":{"bookworm":{"status":"resolved","fixed_version":"1.2-1","urgency":"medium**"},"bullseye":{"status":"resolved","fixed_version":"0","urgency":"low"},"buster":{"status":"open","urgency":"low","nodsa":"Minor issue","nodsa_reason":""},"sid":{"status":"open","urgency":"unimportant"},"trixie":{"status":"open","nodsa":"x","nodsa_reason":"postponed"},"stretch":{"status":"undetermined"}}},"CVE-2":{"releases":[]}}}"#;
        let (recs, warns) = parse_tracker_json(j).unwrap();
        assert!(warns.is_empty());
        let get = |ns: &str| recs.iter().find(|r| r.0 == ns).map(|r| &r.1);
        assert_eq!(
            get("debian:12").unwrap().state,
            FixState::Fixed {
                version: "1.2-1".into()
            }
        );
        assert_eq!(
            get("debian:12")
                .unwrap()
                .vendor_severity
                .as_ref()
                .unwrap()
                .severity,
            Severity::Medium
        );
        assert!(get("debian:11").is_none(), "fixed_version 0 = not affected");
        assert_eq!(
            get("debian:10").unwrap().state,
            FixState::NoDsa {
                reason: "Minor issue".into()
            }
        );
        assert_eq!(
            get("debian:sid")
                .unwrap()
                .vendor_severity
                .as_ref()
                .unwrap()
                .severity,
            Severity::Negligible
        );
        assert_eq!(get("debian:13").unwrap().state, FixState::Postponed);
        assert_eq!(get("debian:9").unwrap().state, FixState::Undetermined);
    }

    #[test]
    fn dsa_list() {
        let t = "[29 Mar 2023] DSA-5380-1 xorg-server - security update\n\t{CVE-2023-1393 CVE-2023-2}\n\t[bullseye] - xorg-server 2:1.20.11-1+deb11u6\n        [buster] - xorg-server <not-affected> (x)\n";
        let (recs, warns, newest) = parse_dsa_list(t, "debian-dsa");
        assert!(warns.is_empty());
        assert_eq!(recs.len(), 2);
        assert_eq!(recs[0].0, "debian:11");
        assert_eq!(recs[0].1.aliases, vec!["DSA-5380-1".to_string()]);
        assert_eq!(newest.as_deref(), Some("2023-03-29"));
    }
}
