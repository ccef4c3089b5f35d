//! Matching: installed packages x advisories -> findings, each with the reason it matched.
//!
//! Pure and synchronous: the caller loads the advisories of the image's
//! namespace and the CVSS records it needs; nothing here does I/O.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use drydock_catalog::{OsRelease, Package, PackageKind};
use drydock_version::Scheme;
use drydock_vulndb::{Advisory, CvssInfo, FixState, Severity};
use serde::{Deserialize, Serialize};

/// Advisories of one namespace, by package.
pub type Advisories = BTreeMap<String, Vec<Advisory>>;

/// One vulnerability in one installed package.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Vulnerability id (CVE when there is one).
    pub id: String,
    /// Other ids for the same issue (DSA, DLA, GHSA...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// Installed (binary) package name.
    pub package: String,
    /// Installed version.
    pub installed_version: String,
    /// Source package the advisory names (Debian source, Alpine origin).
    pub source_package: String,
    /// Version compared against the advisory (source version for Debian).
    pub compared_version: String,
    /// First fixed version, if a fix exists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed_version: Option<String>,
    /// fixed, affected, will_not_fix, fix_deferred, end_of_life, under_investigation.
    pub status: String,
    /// Effective severity.
    pub severity: Severity,
    /// Where the severity came from, e.g. "debian-tracker urgency medium" or "nvd CVSS 7.5".
    pub severity_source: String,
    /// CVSS data when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cvss: Option<CvssInfo>,
    /// Short description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Feed the matching record came from.
    pub data_source: String,
    /// Namespace of the advisory (`debian:12`, `alpine:v3.10`).
    pub namespace: String,
    /// Why it matched, in words.
    pub reason: String,
    /// Package manager of the package.
    pub kind: PackageKind,
    /// Layer that installed the package.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<usize>,
}

/// The advisory namespace for an OS: `alpine:v3.10`, `alpine:edge`, `debian:12`.
pub fn namespace_for(os: &OsRelease) -> Option<String> {
    match os.id.as_str() {
        "alpine" => {
            let v = &os.version_id;
            if v.contains("_alpha") || v.contains("edge") {
                return Some("alpine:edge".into());
            }
            let mut it = v.split('.');
            let (maj, min) = (it.next()?, it.next()?);
            Some(format!("alpine:v{maj}.{min}"))
        }
        "debian" => {
            let major = os.version_id.split('.').next().unwrap_or("");
            if !major.is_empty() {
                Some(format!("debian:{major}"))
            } else {
                os.codename
                    .as_ref()
                    .map(|c| drydock_vulndb::feeds::debian_namespace(c))
            }
        }
        _ => None,
    }
}

fn scheme(kind: PackageKind) -> Scheme {
    match kind {
        PackageKind::Deb => Scheme::Dpkg,
        PackageKind::Apk => Scheme::Apk,
    }
}

/// Matches packages against the advisories of their namespace.
///
/// `fallback` holds records that apply to every release of the distro unless
/// the release has its own record for the same (package, id) (Debian's
/// `data/CVE/list` lines without a release tag). Returns findings and warnings
/// for versions that could not be compared.
pub fn match_packages(
    namespace: &str,
    packages: &[Package],
    advisories: &Advisories,
    fallback: Option<&Advisories>,
    cvss: &BTreeMap<String, CvssInfo>,
) -> (Vec<Finding>, Vec<String>) {
    let mut findings = Vec::new();
    let mut warnings = Vec::new();
    for pkg in packages {
        let (name, version) = match pkg.kind {
            PackageKind::Deb => (&pkg.source_name, &pkg.source_version),
            PackageKind::Apk => (&pkg.source_name, &pkg.version),
        };
        let own = advisories
            .get(name.as_str())
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let inherited = fallback
            .and_then(|f| f.get(name.as_str()))
            .map(Vec::as_slice)
            .unwrap_or(&[])
            .iter()
            .filter(|a| !own.iter().any(|o| o.id == a.id));
        for adv in own.iter().chain(inherited) {
            let affected = match &adv.state {
                FixState::Fixed { version: fixed } => {
                    if fixed == "0" {
                        continue;
                    }
                    match scheme(pkg.kind).compare(version, fixed) {
                        Ok(o) => o == Ordering::Less,
                        Err(e) => {
                            warnings.push(format!(
                                "{} {}: cannot compare with {} fixed version: {e}",
                                pkg.name, pkg.version, adv.id
                            ));
                            continue;
                        }
                    }
                }
                _ => true,
            };
            if !affected {
                continue;
            }
            let c = cvss.get(&adv.id).cloned();
            let (severity, severity_source) = match (&adv.vendor_severity, &c) {
                (Some(v), _) => (v.severity, format!("{} urgency {}", adv.source, v.label)),
                (None, Some(c)) => (
                    Severity::from_cvss_score(c.score),
                    format!("{} CVSS {}", c.source, c.score),
                ),
                (None, None) => (
                    Severity::Unknown,
                    "no vendor rating or CVSS data".to_string(),
                ),
            };
            let cmp_label = if pkg.kind == PackageKind::Deb
                && (pkg.source_name != pkg.name || pkg.source_version != pkg.version)
            {
                format!("source package {name} {version}")
            } else {
                format!("{name} {version}")
            };
            let reason = match &adv.state {
                FixState::Fixed { version: fixed } => format!(
                    "{cmp_label} < fixed version {fixed} ({} ordering) per {} {namespace}",
                    scheme(pkg.kind).name(),
                    adv.source
                ),
                FixState::NoDsa { reason } => format!(
                    "{cmp_label}: unfixed in {namespace}, no DSA planned ({reason}) per {}",
                    adv.source
                ),
                other => format!(
                    "{cmp_label}: {} in {namespace} per {}",
                    other.status().replace('_', " "),
                    adv.source
                ),
            };
            findings.push(Finding {
                id: adv.id.clone(),
                aliases: adv.aliases.clone(),
                package: pkg.name.clone(),
                installed_version: pkg.version.clone(),
                source_package: name.clone(),
                compared_version: version.clone(),
                fixed_version: adv.state.fixed_version().map(str::to_string),
                status: adv.state.status().to_string(),
                severity,
                severity_source,
                title: adv
                    .title
                    .clone()
                    .or_else(|| c.as_ref().and_then(|c| c.description.clone())),
                cvss: c,
                data_source: adv.source.clone(),
                namespace: namespace.to_string(),
                reason,
                kind: pkg.kind,
                layer: pkg.layer,
            });
        }
    }
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.package.cmp(&b.package))
            .then_with(|| a.id.cmp(&b.id))
    });
    (findings, warnings)
}

/// Ids a set of packages could match, to preload CVSS for exactly those.
pub fn candidate_ids<'a>(
    packages: &'a [Package],
    advisories: &'a Advisories,
    fallback: Option<&'a Advisories>,
) -> Vec<&'a str> {
    let mut ids: Vec<&str> = packages
        .iter()
        .flat_map(|p| {
            advisories
                .get(&p.source_name)
                .into_iter()
                .chain(fallback.and_then(|f| f.get(&p.source_name)))
                .flatten()
                .map(|a| a.id.as_str())
        })
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

#[cfg(test)]
mod tests {
    use super::*;
    use drydock_vulndb::VendorSeverity;

    fn pkg(name: &str, ver: &str, src: &str, srcver: &str, kind: PackageKind) -> Package {
        Package {
            name: name.into(),
            version: ver.into(),
            source_name: src.into(),
            source_version: srcver.into(),
            arch: String::new(),
            kind,
            location: String::new(),
            layer: Some(0),
        }
    }

    fn adv(id: &str, pkg: &str, state: FixState) -> Advisory {
        Advisory {
            id: id.into(),
            aliases: vec![],
            package: pkg.into(),
            state,
            vendor_severity: None,
            source: "test".into(),
            title: None,
        }
    }

    #[test]
    fn alpine_by_origin() {
        let pkgs = vec![pkg(
            "libcrypto1.1",
            "1.1.1d-r2",
            "openssl",
            "1.1.1d-r2",
            PackageKind::Apk,
        )];
        let mut a = Advisories::new();
        a.insert(
            "openssl".into(),
            vec![
                adv(
                    "CVE-2020-1967",
                    "openssl",
                    FixState::Fixed {
                        version: "1.1.1g-r0".into(),
                    },
                ),
                adv(
                    "CVE-2019-1",
                    "openssl",
                    FixState::Fixed {
                        version: "1.1.1d-r0".into(),
                    },
                ),
            ],
        );
        let mut cvss = BTreeMap::new();
        cvss.insert(
            "CVE-2020-1967".to_string(),
            CvssInfo {
                vector: "v".into(),
                score: 7.5,
                source: "nvd".into(),
                description: None,
            },
        );
        let (f, w) = match_packages("alpine:v3.10", &pkgs, &a, None, &cvss);
        assert!(w.is_empty());
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::High);
        assert_eq!(f[0].fixed_version.as_deref(), Some("1.1.1g-r0"));
        assert!(
            f[0].reason.contains("1.1.1d-r2 < fixed version 1.1.1g-r0"),
            "{}",
            f[0].reason
        );
    }

    #[test]
    fn debian_by_source_with_fallback_and_states() {
        let pkgs = vec![pkg(
            "libc6",
            "2.36-9+deb12u1",
            "glibc",
            "2.36-9+deb12u1",
            PackageKind::Deb,
        )];
        let mut own = Advisories::new();
        let mut nodsa = adv(
            "CVE-3",
            "glibc",
            FixState::NoDsa {
                reason: "Minor issue".into(),
            },
        );
        nodsa.vendor_severity = Some(VendorSeverity {
            severity: Severity::Low,
            label: "low".into(),
        });
        own.insert(
            "glibc".into(),
            vec![
                adv(
                    "CVE-1",
                    "glibc",
                    FixState::Fixed {
                        version: "0".into(),
                    },
                ),
                nodsa,
            ],
        );
        let mut all = Advisories::new();
        all.insert(
            "glibc".into(),
            vec![
                adv("CVE-1", "glibc", FixState::Unfixed),
                adv(
                    "CVE-2",
                    "glibc",
                    FixState::Fixed {
                        version: "2.36-9+deb12u4".into(),
                    },
                ),
            ],
        );
        let (f, _) = match_packages("debian:12", &pkgs, &own, Some(&all), &BTreeMap::new());
        let ids: Vec<&str> = f.iter().map(|x| x.id.as_str()).collect();
        assert_eq!(
            ids,
            vec!["CVE-3", "CVE-2"],
            "release-specific not-affected shadows the all-releases record"
        );
        assert_eq!(f[0].status, "affected");
        assert_eq!(f[1].severity, Severity::Unknown);
    }

    #[test]
    fn namespaces() {
        let os = |id: &str, v: &str| OsRelease {
            id: id.into(),
            version_id: v.into(),
            codename: None,
            pretty_name: None,
            source: String::new(),
        };
        assert_eq!(
            namespace_for(&os("alpine", "3.10.9")).as_deref(),
            Some("alpine:v3.10")
        );
        assert_eq!(
            namespace_for(&os("alpine", "3.21_alpha20240923")).as_deref(),
            Some("alpine:edge")
        );
        assert_eq!(
            namespace_for(&os("debian", "12")).as_deref(),
            Some("debian:12")
        );
        assert_eq!(namespace_for(&os("fedora", "40")), None);
    }
}
