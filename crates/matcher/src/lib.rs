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
        PackageKind::Python => Scheme::Pep440,
        PackageKind::Npm => Scheme::Npm,
        PackageKind::RustCrate => Scheme::Cargo,
        PackageKind::GoModule => Scheme::Go,
        PackageKind::Gem => Scheme::RubyGems,
        PackageKind::PhpComposer | PackageKind::Dotnet => Scheme::Generic,
        PackageKind::Java => Scheme::Maven,
    }
}

/// The advisory namespace of a package: the OS namespace for OS packages, the
/// ecosystem's (`pypi`, `npm`, `crates.io`, `go`, ...) for language packages.
pub fn package_namespace(pkg: &Package, os_namespace: Option<&str>) -> Option<String> {
    Some(match pkg.kind {
        PackageKind::Deb | PackageKind::Apk => return os_namespace.map(str::to_string),
        PackageKind::Python => "pypi".into(),
        PackageKind::Npm => "npm".into(),
        PackageKind::RustCrate => "crates.io".into(),
        PackageKind::GoModule => "go".into(),
        PackageKind::Gem => "rubygems".into(),
        PackageKind::PhpComposer => "packagist".into(),
        PackageKind::Dotnet => "nuget".into(),
        PackageKind::Java => "maven".into(),
    })
}

/// The name a package's advisories are keyed by in `namespace`.
pub fn lookup_key(pkg: &Package, namespace: &str) -> String {
    lookup(pkg, namespace).0
}

/// Name and version an advisory is looked up and compared by.
fn lookup(pkg: &Package, namespace: &str) -> (String, String) {
    match pkg.kind {
        PackageKind::Deb => (pkg.source_name.clone(), pkg.source_version.clone()),
        PackageKind::Apk => (pkg.source_name.clone(), pkg.version.clone()),
        _ => (
            drydock_vulndb::feeds::osv::package_key(namespace, &pkg.name),
            pkg.version.clone(),
        ),
    }
}

/// Whether `version` is affected by `state`, with the fixed version that applies.
fn affected(
    state: &FixState,
    version: &str,
    s: Scheme,
) -> Result<Option<Option<String>>, drydock_version::VersionError> {
    let lt = |a: &str, b: &str| s.compare(a, b).map(|o| o == Ordering::Less);
    Ok(match state {
        FixState::Fixed { version: fixed } if fixed == "0" => None,
        FixState::Fixed { version: fixed } => lt(version, fixed)?.then(|| Some(fixed.clone())),
        FixState::Ranges {
            intervals,
            versions,
        } => {
            let mut hit = false;
            let mut fix: Option<String> = None;
            for i in intervals {
                let after_start = match &i.introduced {
                    Some(intro) => !lt(version, intro)?,
                    None => true,
                };
                let before_end = match (&i.fixed, &i.last_affected) {
                    (Some(f), _) => lt(version, f)?,
                    (None, Some(la)) => !lt(la, version)?,
                    (None, None) => true,
                };
                if after_start && before_end {
                    hit = true;
                    fix = fix.or_else(|| i.fixed.clone());
                }
            }
            if !hit {
                for v in versions {
                    if v == version || s.compare(v, version).is_ok_and(|o| o == Ordering::Equal) {
                        hit = true;
                        // The next fix above this version, from any interval.
                        for i in intervals.iter().filter_map(|i| i.fixed.as_ref()) {
                            if lt(version, i)?
                                && fix.as_ref().is_none_or(|f| lt(i, f).unwrap_or(false))
                            {
                                fix = Some(i.clone());
                            }
                        }
                    }
                }
            }
            hit.then_some(fix)
        }
        FixState::NpmRange {
            vulnerable,
            patched,
        } => {
            drydock_version::lang::npm_satisfies(version, vulnerable)?.then(|| {
                patched.as_ref().map(|p| {
                    let p = p.trim();
                    // ">=4.17.5" reads as a version; anything richer stays a range.
                    match p.strip_prefix(">=").map(str::trim) {
                        Some(v) if !v.contains(' ') && !v.contains('|') => v.to_string(),
                        _ => p.to_string(),
                    }
                })
            })
        }
        FixState::GemRequirements {
            patched,
            unaffected,
        } => {
            let sat = |reqs: &[String]| -> Result<bool, drydock_version::VersionError> {
                for r in reqs {
                    if drydock_version::lang::rubygems_satisfies(version, r)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            };
            if sat(patched)? || sat(unaffected)? {
                None
            } else {
                // The lowest patched version above the installed one: the `>=` bound
                // of each requirement (else its `~>` bound).
                let mut fix: Option<String> = None;
                for r in patched {
                    let cons: Vec<&str> = r.split(',').map(str::trim).collect();
                    let bound = cons
                        .iter()
                        .find_map(|c| c.strip_prefix(">="))
                        .or_else(|| cons.iter().find_map(|c| c.strip_prefix("~>")))
                        .map(|v| v.trim().to_string());
                    if let Some(b) = bound {
                        if lt(version, &b)?
                            && fix.as_ref().is_none_or(|f| lt(&b, f).unwrap_or(false))
                        {
                            fix = Some(b);
                        }
                    }
                }
                Some(fix)
            }
        }
        _ => Some(None),
    })
}

/// Matches packages against the advisories of one namespace.
///
/// `fallback` holds records that apply to every release of the distro unless
/// the release has its own record for the same (package, id) (Debian's
/// `data/CVE/list` lines without a release tag). Findings of one package that
/// share an id or alias (a CVE and its GHSA, PYSEC, RUSTSEC or GO advisory) are
/// merged into one. Returns findings and warnings for versions that could not
/// be compared.
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
        let (name, version) = lookup(pkg, namespace);
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
        let mut mine = Vec::new();
        for adv in own.iter().chain(inherited) {
            let fixed = match affected(&adv.state, &version, scheme(pkg.kind)) {
                Ok(Some(f)) => f,
                Ok(None) => continue,
                Err(e) => {
                    warnings.push(format!(
                        "{} {}: cannot evaluate {}: {e}",
                        pkg.name, pkg.version, adv.id
                    ));
                    continue;
                }
            };
            let c = std::iter::once(&adv.id)
                .chain(&adv.aliases)
                .filter_map(|i| cvss.get(i))
                .max_by_key(|c| c.source == "nvd")
                .cloned();
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
            let order = scheme(pkg.kind).name();
            let reason = match (&adv.state, &fixed) {
                (FixState::Fixed { .. }, Some(f)) => format!(
                    "{cmp_label} < fixed version {f} ({order} ordering) per {} {namespace}",
                    adv.source
                ),
                (FixState::Ranges { .. }, Some(f)) => format!(
                    "{cmp_label} in an affected range fixed in {f} ({order} ordering) per {} {}",
                    adv.source, adv.id
                ),
                (FixState::Ranges { .. }, None) => format!(
                    "{cmp_label} in an affected range with no fix ({order} ordering) per {} {}",
                    adv.source, adv.id
                ),
                (FixState::GemRequirements { patched, .. }, _) => format!("{cmp_label} meets none of the patched requirements {patched:?} ({order} ordering) per {} {}", adv.source, adv.id),
                (FixState::NpmRange { vulnerable, .. }, _) => format!(
                    "{cmp_label} satisfies vulnerable range {vulnerable:?} per {} {}",
                    adv.source, adv.id
                ),
                (FixState::NoDsa { reason }, _) => format!(
                    "{cmp_label}: unfixed in {namespace}, no DSA planned ({reason}) per {}",
                    adv.source
                ),
                (other, _) => format!(
                    "{cmp_label}: {} in {namespace} per {}",
                    other.status().replace('_', " "),
                    adv.source
                ),
            };
            mine.push(Finding {
                id: adv.id.clone(),
                aliases: adv.aliases.clone(),
                package: pkg.name.clone(),
                installed_version: pkg.version.clone(),
                source_package: name.clone(),
                compared_version: version.clone(),
                status: if fixed.is_some() {
                    "fixed".into()
                } else {
                    adv.state.status().to_string()
                },
                fixed_version: fixed,
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
        findings.extend(merge_aliases(mine));
    }
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.package.cmp(&b.package))
            .then_with(|| a.id.cmp(&b.id))
    });
    (findings, warnings)
}

/// Merges findings of one package whose id sets overlap; the merged finding is
/// named by its CVE when it has one and lists every other id as an alias.
fn merge_aliases(mut list: Vec<Finding>) -> Vec<Finding> {
    let ids = |f: &Finding| -> Vec<String> {
        std::iter::once(f.id.clone())
            .chain(f.aliases.iter().cloned())
            .collect()
    };
    let mut out: Vec<Finding> = Vec::new();
    // Most informative first: a fix known, then higher severity.
    list.sort_by(|a, b| {
        (b.fixed_version.is_some(), b.severity).cmp(&(a.fixed_version.is_some(), a.severity))
    });
    for f in list {
        let fi = ids(&f);
        match out
            .iter_mut()
            .find(|o| ids(o).iter().any(|i| fi.contains(i)))
        {
            Some(o) => {
                let mut all = ids(o);
                all.extend(fi);
                all.sort();
                all.dedup();
                if !o.data_source.split(", ").any(|s| s == f.data_source) {
                    o.data_source = format!("{}, {}", o.data_source, f.data_source);
                    o.reason = format!("{}; {}", o.reason, f.reason);
                }
                o.title = o.title.take().or(f.title);
                o.cvss = o.cvss.take().or(f.cvss);
                o.id = all
                    .iter()
                    .find(|i| i.starts_with("CVE-"))
                    .cloned()
                    .unwrap_or_else(|| all[0].clone());
                let primary = o.id.clone();
                o.aliases = all.into_iter().filter(|i| *i != primary).collect();
            }
            None => {
                let mut f = f;
                if !f.id.starts_with("CVE-") {
                    if let Some(cve) = f.aliases.iter().find(|a| a.starts_with("CVE-")).cloned() {
                        f.aliases.retain(|a| *a != cve);
                        f.aliases.push(std::mem::replace(&mut f.id, cve));
                        f.aliases.sort();
                    }
                }
                out.push(f);
            }
        }
    }
    out
}

/// Ids (and aliases) a set of packages could match, to preload CVSS for exactly those.
pub fn candidate_ids<'a>(
    namespace: &str,
    packages: &'a [Package],
    advisories: &'a Advisories,
    fallback: Option<&'a Advisories>,
) -> Vec<&'a str> {
    let mut ids: Vec<&str> = packages
        .iter()
        .flat_map(|p| {
            let key = lookup(p, namespace).0;
            advisories
                .get(&key)
                .into_iter()
                .chain(fallback.and_then(|f| f.get(&key)))
                .flatten()
                .flat_map(|a| {
                    std::iter::once(a.id.as_str()).chain(a.aliases.iter().map(String::as_str))
                })
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
