//! OSV records (JSON or YAML: Go vulndb, PyPA, RustSec `osv`, GHSA, ...) and
//! the nodejs security-wg npm advisories.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::Parsed;
use crate::model::{Advisory, CvssInfo, FixState, Interval, Severity, VendorSeverity};
use crate::FeedError;

/// Namespace for an OSV ecosystem name (suffixes such as `:v3.10` are ignored);
/// `None` for ecosystems drydock does not match yet.
pub fn ecosystem_namespace(eco: &str) -> Option<&'static str> {
    Some(match eco.split(':').next().unwrap_or(eco) {
        "PyPI" => "pypi",
        "npm" => "npm",
        "crates.io" => "crates.io",
        "Go" => "go",
        "RubyGems" => "rubygems",
        "Packagist" => "packagist",
        "NuGet" => "nuget",
        "Maven" => "maven",
        _ => return None,
    })
}

/// How a package name is keyed in a namespace (PyPI: PEP 503; NuGet/Packagist: lower case).
pub fn package_key(namespace: &str, name: &str) -> String {
    match namespace {
        "pypi" => drydock_version::lang::pep503(name),
        "nuget" | "packagist" => name.to_ascii_lowercase(),
        _ => name.to_string(),
    }
}

#[derive(Deserialize)]
struct Osv {
    id: String,
    #[serde(default)]
    aliases: Vec<String>,
    #[serde(default)]
    withdrawn: Option<serde_json::Value>,
    #[serde(default)]
    summary: Option<String>,
    #[serde(default)]
    details: Option<String>,
    #[serde(default)]
    severity: Vec<OsvSeverity>,
    #[serde(default)]
    affected: Vec<Affected>,
    #[serde(default)]
    database_specific: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct OsvSeverity {
    #[serde(rename = "type")]
    kind: String,
    score: String,
}

#[derive(Deserialize)]
struct Affected {
    #[serde(default)]
    package: Option<Pkg>,
    #[serde(default)]
    ranges: Vec<Range>,
    #[serde(default)]
    versions: Vec<serde_json::Value>,
    #[serde(default)]
    database_specific: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct Pkg {
    ecosystem: String,
    name: String,
}

#[derive(Deserialize)]
struct Range {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    events: Vec<BTreeMap<String, serde_json::Value>>,
}

fn value_str(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Turns OSV events into intervals (events are ordered within a range).
fn intervals(events: &[BTreeMap<String, serde_json::Value>]) -> Vec<Interval> {
    let mut out = Vec::new();
    let mut open: Option<Interval> = None;
    for e in events {
        for (k, v) in e {
            let Some(v) = value_str(v) else { continue };
            match k.as_str() {
                "introduced" => {
                    if let Some(i) = open.take() {
                        out.push(i);
                    }
                    open = Some(Interval {
                        introduced: (v != "0").then_some(v),
                        fixed: None,
                        last_affected: None,
                    });
                }
                "fixed" | "last_affected" => {
                    let mut i = open.take().unwrap_or(Interval {
                        introduced: None,
                        fixed: None,
                        last_affected: None,
                    });
                    if k == "fixed" {
                        i.fixed = Some(v);
                    } else {
                        i.last_affected = Some(v);
                    }
                    out.push(i);
                }
                _ => {} // "limit": an upper bound on the search, not a fix
            }
        }
    }
    out.extend(open);
    out
}

fn ghsa_severity(v: Option<&serde_json::Value>) -> Option<VendorSeverity> {
    let label = v?.get("severity")?.as_str()?;
    Some(VendorSeverity {
        severity: Severity::parse(label)?,
        label: format!("GHSA {}", label.to_ascii_lowercase()),
    })
}

/// Parses one OSV document (JSON or, with `yaml`, YAML).
pub fn parse(data: &[u8], yaml: bool, source: &str) -> Result<Parsed, FeedError> {
    let osv: Osv = if yaml {
        serde_norway::from_slice(data)
            .map_err(|e| FeedError::new(source, format!("not OSV YAML: {e}")))?
    } else {
        serde_json::from_slice(data)
            .map_err(|e| FeedError::new(source, format!("not OSV JSON: {e}")))?
    };
    let mut p = Parsed::default();
    if osv.withdrawn.as_ref().is_some_and(|w| !w.is_null()) {
        return Ok(p);
    }
    let title = osv
        .summary
        .clone()
        .filter(|s| !s.trim().is_empty())
        .or_else(|| {
            osv.details
                .as_ref()
                .and_then(|d| d.lines().next())
                .map(str::to_string)
        });
    for s in &osv.severity {
        if s.kind == "CVSS_V3" {
            if let Some(score) = super::cvss::score_v3(&s.score) {
                p.cvss.push((
                    osv.id.clone(),
                    CvssInfo {
                        vector: s.score.clone(),
                        score,
                        source: source.to_string(),
                        description: None,
                    },
                ));
            }
        }
    }
    let vendor = ghsa_severity(osv.database_specific.as_ref());
    for a in &osv.affected {
        let Some(pkg) = &a.package else { continue };
        let Some(ns) = ecosystem_namespace(&pkg.ecosystem) else {
            p.warnings.push(format!(
                "{source} {}: ecosystem {:?} not matched yet; skipped",
                osv.id, pkg.ecosystem
            ));
            continue;
        };
        let mut ivs = Vec::new();
        for r in &a.ranges {
            match r.kind.as_str() {
                "SEMVER" | "ECOSYSTEM" => ivs.extend(intervals(&r.events)),
                other => p.warnings.push(format!("{source} {}: {other} range ignored (commit ranges cannot be matched to installed versions)", osv.id)),
            }
        }
        let versions: Vec<String> = a.versions.iter().filter_map(value_str).collect();
        if ivs.is_empty() && versions.is_empty() {
            continue;
        }
        p.records.push((
            ns.to_string(),
            Advisory {
                id: osv.id.clone(),
                aliases: osv
                    .aliases
                    .iter()
                    .filter(|x| **x != osv.id)
                    .cloned()
                    .collect(),
                package: package_key(ns, &pkg.name),
                state: FixState::Ranges {
                    intervals: ivs,
                    versions,
                },
                vendor_severity: ghsa_severity(a.database_specific.as_ref())
                    .or_else(|| vendor.clone()),
                source: source.to_string(),
                title: title.clone(),
            },
        ));
    }
    Ok(p)
}

#[derive(Deserialize)]
struct NodeWg {
    id: serde_json::Value,
    module_name: String,
    #[serde(default)]
    cves: Vec<String>,
    #[serde(default)]
    vulnerable_versions: Option<String>,
    #[serde(default)]
    patched_versions: Option<String>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    cvss_vector: Option<String>,
    #[serde(default)]
    cvss_score: Option<f64>,
}

/// Parses one nodejs security-wg `vuln/npm/<n>.json` advisory.
pub fn parse_nodejs_wg(data: &[u8]) -> Result<Parsed, FeedError> {
    let a: NodeWg = serde_json::from_slice(data).map_err(|e| {
        FeedError::new(
            "nodejs-security-wg",
            format!("not a security-wg advisory: {e}"),
        )
    })?;
    let mut p = Parsed::default();
    let Some(vulnerable) = a.vulnerable_versions.filter(|v| !v.trim().is_empty()) else {
        return Ok(p);
    };
    let wg_id = format!("NSWG-ECO-{}", value_str(&a.id).unwrap_or_default());
    let mut ids: Vec<String> = a.cves.clone();
    ids.push(wg_id);
    let primary = ids.remove(0);
    if let (Some(v), Some(s)) = (
        a.cvss_vector.filter(|v| v.starts_with("CVSS:3")),
        a.cvss_score,
    ) {
        p.cvss.push((
            primary.clone(),
            CvssInfo {
                vector: v,
                score: s,
                source: "nodejs-security-wg".into(),
                description: None,
            },
        ));
    }
    p.records.push((
        "npm".into(),
        Advisory {
            id: primary,
            aliases: ids,
            package: a.module_name,
            state: FixState::NpmRange {
                vulnerable,
                patched: a.patched_versions.filter(|v| !v.trim().is_empty()),
            },
            vendor_severity: None,
            source: "nodejs-security-wg".into(),
            title: a.title,
        },
    ));
    Ok(p)
}

#[derive(Deserialize)]
struct RubySec {
    gem: String,
    #[serde(default)]
    cve: Option<serde_json::Value>,
    #[serde(default)]
    ghsa: Option<String>,
    #[serde(default)]
    osvdb: Option<serde_json::Value>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    cvss_v3: Option<f64>,
    #[serde(default)]
    patched_versions: Vec<String>,
    #[serde(default)]
    unaffected_versions: Vec<String>,
}

/// Parses one RubySec advisory (`gems/<gem>/<id>.yml`).
pub fn parse_rubysec(data: &[u8]) -> Result<Parsed, FeedError> {
    let a: RubySec = serde_norway::from_slice(data)
        .map_err(|e| FeedError::new("rubysec", format!("not a RubySec advisory: {e}")))?;
    let mut ids: Vec<String> = Vec::new();
    if let Some(c) = a.cve.as_ref().and_then(value_str) {
        ids.push(format!("CVE-{c}"));
    }
    if let Some(g) = a.ghsa.filter(|g| !g.is_empty()) {
        ids.push(format!("GHSA-{g}"));
    }
    if let Some(o) = a.osvdb.as_ref().and_then(value_str) {
        ids.push(format!("OSVDB-{o}"));
    }
    let mut p = Parsed::default();
    if ids.is_empty() {
        p.warnings.push(format!(
            "rubysec {}: advisory without CVE, GHSA or OSVDB id; skipped",
            a.gem
        ));
        return Ok(p);
    }
    let primary = ids.remove(0);
    if let Some(score) = a.cvss_v3 {
        p.cvss.push((
            primary.clone(),
            CvssInfo {
                vector: String::new(),
                score,
                source: "rubysec".into(),
                description: None,
            },
        ));
    }
    p.records.push((
        "rubygems".into(),
        Advisory {
            id: primary,
            aliases: ids,
            package: a.gem,
            state: FixState::GemRequirements {
                patched: a.patched_versions,
                unaffected: a.unaffected_versions,
            },
            vendor_severity: None,
            source: "rubysec".into(),
            title: a.title,
        },
    ));
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn osv_yaml_and_intervals() {
        let y = b"id: PYSEC-2021-142\naliases: [CVE-2020-14343]\ndetails: d\naffected:\n- package: {name: PyYAML, ecosystem: PyPI}\n  ranges:\n  - type: ECOSYSTEM\n    events:\n    - introduced: '0'\n    - fixed: '5.4'\n  - type: GIT\n    repo: x\n    events: [{introduced: '0'}]\n  versions: ['5.3']\n";
        let p = parse(y, true, "osv-pypi").unwrap();
        assert_eq!(p.records.len(), 1);
        let (ns, a) = &p.records[0];
        assert_eq!((ns.as_str(), a.package.as_str()), ("pypi", "pyyaml"));
        assert_eq!(
            a.state,
            FixState::Ranges {
                intervals: vec![Interval {
                    introduced: None,
                    fixed: Some("5.4".into()),
                    last_affected: None
                }],
                versions: vec!["5.3".into()]
            }
        );
        assert_eq!(p.warnings.len(), 1, "GIT range noted");
        let ev: Vec<BTreeMap<String, serde_json::Value>> = serde_json::from_str(r#"[{"introduced":"0"},{"fixed":"1.21.9"},{"introduced":"1.22.0-0"},{"fixed":"1.22.2"},{"introduced":"2.0"}]"#).unwrap();
        assert_eq!(intervals(&ev).len(), 3);
    }

    #[test]
    fn withdrawn_and_bad() {
        assert!(parse(br#"{"id":"X","withdrawn":"2020-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"npm","name":"a"},"versions":["1"]}]}"#, false, "osv").unwrap().records.is_empty());
        assert!(parse(b"{", false, "osv").is_err());
    }

    #[test]
    fn rubysec() {
        let y = b"---\ngem: rack\ncve: 2022-44570\nghsa: 65f5-mfpf-vfhj\ntitle: t\ncvss_v3: 7.5\npatched_versions:\n  - \"~> 2.0.9.2\"\n  - \">= 3.0.4.1\"\nunaffected_versions:\n  - \"< 1.5\"\n";
        let p = parse_rubysec(y).unwrap();
        assert_eq!(p.records[0].1.id, "CVE-2022-44570");
        assert_eq!(
            p.records[0].1.aliases,
            vec!["GHSA-65f5-mfpf-vfhj".to_string()]
        );
        assert!(
            matches!(&p.records[0].1.state, FixState::GemRequirements { patched, unaffected } if patched.len() == 2 && unaffected.len() == 1)
        );
    }

    #[test]
    fn nodejs_wg() {
        let j = br#"{"id":1,"module_name":"bassmaster","cves":["CVE-2014-7205"],"vulnerable_versions":"<=1.5.1","patched_versions":">=1.5.2","title":"t","cvss_vector":"CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:L/A:N","cvss_score":6.5}"#;
        let p = parse_nodejs_wg(j).unwrap();
        assert_eq!(p.records[0].1.id, "CVE-2014-7205");
        assert_eq!(p.records[0].1.aliases, vec!["NSWG-ECO-1".to_string()]);
        assert_eq!(p.cvss[0].1.score, 6.5);
    }
}
