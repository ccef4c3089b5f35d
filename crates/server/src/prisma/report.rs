//! A drydock scan report in Prisma's shapes: `shared.ImageScanResult` for
//! `GET /registry` and the rows of `GET /registry/download`.

use std::collections::BTreeMap;

use drydock_catalog::PackageKind;
use drydock_matcher::Finding;
use drydock_scan::ScanReport;
use drydock_vulndb::Severity;

use super::model::*;
use crate::clock::{parse_rfc3339, rfc3339};
use drydock_store::results::ImageRow;

/// Prisma's `packages.Type` for a drydock package kind.
pub fn package_type(k: PackageKind) -> &'static str {
    match k {
        PackageKind::Deb | PackageKind::Apk => "package",
        PackageKind::Python => "python",
        PackageKind::Npm => "nodejs",
        PackageKind::Gem => "gem",
        PackageKind::Java => "jar",
        PackageKind::GoModule => "go",
        PackageKind::Dotnet => "nuget",
        PackageKind::RustCrate | PackageKind::PhpComposer => "unknown",
    }
}

/// Lower-case severity as Prisma writes it.
pub fn severity_name(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "critical",
        Severity::High => "high",
        Severity::Medium => "medium",
        Severity::Low => "low",
        Severity::Negligible => "negligible",
        Severity::Unknown => "unknown",
    }
}

/// Vendor status text: `fixed in X`, `open`, `will not fix`, ...
pub fn status_text(f: &Finding) -> String {
    match (f.status.as_str(), &f.fixed_version) {
        (_, Some(v)) if !v.is_empty() => format!("fixed in {v}"),
        ("will_not_fix", _) => "will not fix".into(),
        ("fix_deferred", _) => "deferred".into(),
        ("end_of_life", _) => "end of life".into(),
        ("under_investigation", _) => "under investigation".into(),
        _ => "open".into(),
    }
}

/// Where to read about an advisory.
pub fn link(f: &Finding) -> String {
    let id = f.id.as_str();
    if id.starts_with("CVE-") {
        if f.namespace.starts_with("debian") {
            return format!("https://security-tracker.debian.org/tracker/{id}");
        }
        if f.namespace.starts_with("alpine") {
            return format!("https://security.alpinelinux.org/vuln/{id}");
        }
        return format!("https://nvd.nist.gov/vuln/detail/{id}");
    }
    if id.starts_with("GHSA-") {
        return format!("https://github.com/advisories/{id}");
    }
    if id.starts_with("DSA-") || id.starts_with("DLA-") {
        return format!("https://security-tracker.debian.org/tracker/{id}");
    }
    format!("https://osv.dev/vulnerability/{id}")
}

fn risk_factors(f: &Finding) -> BTreeMap<String, String> {
    let mut r = BTreeMap::new();
    match f.severity {
        Severity::Critical => {
            r.insert("Critical severity".into(), String::new());
        }
        Severity::High => {
            r.insert("High severity".into(), String::new());
        }
        Severity::Medium => {
            r.insert("Medium severity".into(), String::new());
        }
        _ => {}
    }
    if f.fixed_version.as_deref().is_some_and(|v| !v.is_empty()) {
        r.insert("Has fix".into(), String::new());
    }
    if let Some(c) = &f.cvss {
        let parts: Vec<&str> = c.vector.split('/').collect();
        if parts.contains(&"AV:N") {
            r.insert("Attack vector: network".into(), String::new());
        }
        if parts.contains(&"AC:L") {
            r.insert("Attack complexity: low".into(), String::new());
        }
    }
    r
}

/// Creation time (unix seconds) of each layer, by layer index, from the history.
fn layer_times(rep: &ScanReport) -> Vec<i64> {
    rep.config
        .history
        .iter()
        .filter(|h| !h.empty_layer)
        .map(|h| h.created.as_deref().and_then(parse_rfc3339).unwrap_or(0) / 1000)
        .collect()
}

fn vulnerability(f: &Finding, times: &[i64]) -> Vulnerability {
    let os = f.kind.is_os();
    Vulnerability {
        cve: f.id.clone(),
        id: if os { 46 } else { 47 },
        severity: severity_name(f.severity).to_string(),
        cvss: f.cvss.as_ref().map(|c| c.score).unwrap_or(0.0),
        vec_str: f
            .cvss
            .as_ref()
            .map(|c| c.vector.clone())
            .unwrap_or_default(),
        package_name: f.package.clone(),
        package_version: f.installed_version.clone(),
        package_type: package_type(f.kind).to_string(),
        status: status_text(f),
        link: link(f),
        description: f
            .cvss
            .as_ref()
            .and_then(|c| c.description.clone())
            .or_else(|| f.title.clone())
            .unwrap_or_default(),
        title: f.title.clone().unwrap_or_default(),
        text: format!(
            "{} (source: {}; severity: {})",
            f.reason, f.data_source, f.severity_source
        ),
        kind: "image".into(),
        risk_factors: risk_factors(f),
        layer_time: f.layer.and_then(|l| times.get(l).copied()).unwrap_or(0),
        binary_pkgs: if f.source_package != f.package {
            vec![f.package.clone()]
        } else {
            Vec::new()
        },
        ..Default::default()
    }
}

/// Findings per severity: [critical, high, medium, low, total].
pub fn counts(rep: &ScanReport) -> [i64; 5] {
    let mut c = [0i64; 5];
    for f in &rep.findings {
        match f.severity {
            Severity::Critical => c[0] += 1,
            Severity::High => c[1] += 1,
            Severity::Medium => c[2] += 1,
            Severity::Low => c[3] += 1,
            _ => {}
        }
        c[4] += 1;
    }
    c
}

/// A risk score that orders images the way Prisma's does: severity first, then count.
pub fn risk_score(c: &[i64; 5]) -> i64 {
    c[0] * 1_000_000 + c[1] * 10_000 + c[2] * 100 + c[3]
}

/// Everything `GET /registry` shows for one registry tag.
pub struct ResultContext<'a> {
    /// The stored image row.
    pub image: &'a ImageRow,
    /// Other tags of the same digest in the repository.
    pub tags: Vec<String>,
    /// This server's host name.
    pub hostname: &'a str,
    /// Registry type of the specification.
    pub registry_type: String,
}

/// Builds `shared.ImageScanResult`.
pub fn image_scan_result(rep: &ScanReport, cx: &ResultContext<'_>) -> ImageScanResult {
    let img = cx.image;
    let times = layer_times(rep);
    let mut vulns: Vec<Vulnerability> = rep
        .findings
        .iter()
        .map(|f| vulnerability(f, &times))
        .collect();
    for v in &mut vulns {
        v.discovered = rfc3339(img.first_scan_time);
    }
    let c = counts(rep);
    let mut cve_count: BTreeMap<(String, String), i64> = BTreeMap::new();
    for f in &rep.findings {
        *cve_count
            .entry((f.package.clone(), f.installed_version.clone()))
            .or_default() += 1;
    }
    let mut groups: BTreeMap<&'static str, Vec<Package>> = BTreeMap::new();
    for p in &rep.packages {
        groups
            .entry(package_type(p.kind))
            .or_default()
            .push(Package {
                name: p.name.clone(),
                version: p.version.clone(),
                origin_package_name: if p.source_name != p.name {
                    p.source_name.clone()
                } else {
                    String::new()
                },
                path: p.location.clone(),
                license: String::new(),
                cve_count: cve_count
                    .get(&(p.name.clone(), p.version.clone()))
                    .copied()
                    .unwrap_or(0),
                layer_time: p.layer.and_then(|l| times.get(l).copied()).unwrap_or(0),
                os_package: p.kind.is_os(),
                purl: String::new(),
            });
    }
    let packages = groups
        .into_iter()
        .map(|(t, pkgs)| Packages {
            pkgs_type: t.to_string(),
            pkgs,
        })
        .collect();
    let diff_ids = if rep.config.diff_ids.is_empty() {
        rep.layers.iter().map(|l| l.digest.clone()).collect()
    } else {
        rep.config.diff_ids.clone()
    };
    let mut layer_iter = diff_ids.iter();
    let mut size_iter = rep.layers.iter();
    let history: Vec<ImageHistory> = rep
        .config
        .history
        .iter()
        .map(|h| {
            let (id, size) = if h.empty_layer {
                (String::new(), 0)
            } else {
                (
                    layer_iter.next().cloned().unwrap_or_default(),
                    size_iter.next().map(|l| l.size).unwrap_or(0),
                )
            };
            ImageHistory {
                created: h.created.as_deref().and_then(parse_rfc3339).unwrap_or(0) / 1000,
                instruction: h.created_by.clone(),
                id,
                size_bytes: size,
                empty_layer: h.empty_layer,
                base_layer: false,
                tags: Vec::new(),
                vulnerabilities: Vec::new(),
            }
        })
        .collect();
    // A digest in the tag column means the image was scanned by digest: no tag.
    let tag_name = if img.tag.contains(':') {
        ""
    } else {
        img.tag.as_str()
    };
    let tag = ImageTag {
        registry: img.registry.clone(),
        repo: img.repo.clone(),
        tag: tag_name.to_string(),
        digest: img.digest.clone(),
        id: rep.config.id.clone(),
    };
    let tags: Vec<ImageTag> = cx
        .tags
        .iter()
        .map(|t| ImageTag {
            tag: t.clone(),
            ..tag.clone()
        })
        .collect();
    let repo_digest = format!(
        "{}@{}",
        img.repo,
        if img.index_digest.is_empty() {
            &img.digest
        } else {
            &img.index_digest
        }
    );
    let mut image_risk = BTreeMap::new();
    for v in &vulns {
        for k in v.risk_factors.keys() {
            image_risk.insert(k.clone(), String::new());
        }
    }
    let os = rep.os.as_ref();
    let created = rfc3339(
        rep.config
            .created
            .as_deref()
            .and_then(parse_rfc3339)
            .unwrap_or(0),
    );
    ImageScanResult {
        underscore_id: img.name.clone(),
        id: rep.config.id.clone(),
        kind: "image".into(),
        repo_tag: tag.clone(),
        tags,
        registry_type: cx.registry_type.clone(),
        registry_tags: cx.tags.clone(),
        repo_digests: vec![repo_digest.clone()],
        distro: os.and_then(|o| o.pretty_name.clone()).unwrap_or_default(),
        os_distro: os.map(|o| o.id.clone()).unwrap_or_default(),
        os_distro_release: os.and_then(|o| o.codename.clone()).unwrap_or_default(),
        os_distro_version: os.map(|o| o.version_id.clone()).unwrap_or_default(),
        package_manager: rep.packages.iter().any(|p| p.kind.is_os()),
        packages,
        applications: Vec::new(),
        top_layer: diff_ids.last().cloned().unwrap_or_default(),
        layers: diff_ids.clone(),
        history,
        vulnerabilities_count: vulns.len() as i64,
        vulnerabilities: vulns,
        vulnerability_distribution: Distribution {
            critical: c[0],
            high: c[1],
            medium: c[2],
            low: c[3],
            total: c[4],
        },
        vulnerability_risk_score: risk_score(&c) as f64,
        compliance_issues: Vec::new(),
        compliance_issues_count: 0,
        compliance_distribution: Distribution::default(),
        compliance_risk_score: 0.0,
        all_compliance: AllCompliance::default(),
        risk_factors: image_risk,
        scan_id: img.scan_id,
        scan_time: rfc3339(img.scan_time),
        first_scan_time: rfc3339(img.first_scan_time),
        creation_time: created.clone(),
        scan_version: env!("CARGO_PKG_VERSION").to_string(),
        scan_build_date: String::new(),
        hostname: cx.hostname.to_string(),
        instances: vec![ImageInstance {
            host: cx.hostname.to_string(),
            image: img.name.clone(),
            modified: rfc3339(img.scan_time),
            registry: img.registry.clone(),
            repo: img.repo.clone(),
            tag: img.tag.clone(),
        }],
        collections: vec!["All".into()],
        labels: rep
            .config
            .labels
            .iter()
            .map(|(k, v)| format!("{k}:{v}"))
            .collect(),
        image: Image {
            created,
            entrypoint: rep.config.entrypoint.clone(),
            env: rep.config.env.clone(),
            healthcheck: false,
            id: rep.config.id.clone(),
            labels: rep.config.labels.clone(),
            layers: diff_ids,
            os: rep
                .platform
                .as_deref()
                .and_then(|p| p.split('/').next())
                .unwrap_or("linux")
                .to_string(),
            repo_digest: vec![repo_digest],
            repo_tags: if tag_name.is_empty() {
                Vec::new()
            } else {
                vec![format!("{}:{}", img.repo, tag_name)]
            },
            user: rep.config.user.clone(),
            working_dir: rep.config.working_dir.clone(),
        },
        err: String::new(),
        err_code: 0,
        secrets: Vec::new(),
        is_arm64: rep.platform.as_deref().is_some_and(|p| p.contains("arm64")),
    }
}

/// Column names of `GET /registry/download`, as in Prisma's CSV export.
pub const CSV_HEADER: [&str; 17] = [
    "Registry",
    "Repository",
    "Tag",
    "Id",
    "Distro",
    "CVE ID",
    "Type",
    "Severity",
    "Packages",
    "Source Package",
    "Package Version",
    "CVSS",
    "Fix Status",
    "Risk Factors",
    "Description",
    "Vulnerability Link",
    "Package Path",
];

/// CSV rows of one image: one per vulnerability (one row without CVE columns for a clean image).
pub fn csv_rows(r: &ImageScanResult, rep: &ScanReport) -> Vec<Vec<String>> {
    let base = |v: Option<(&Vulnerability, &Finding)>| -> Vec<String> {
        let mut row = vec![
            r.repo_tag.registry.clone(),
            r.repo_tag.repo.clone(),
            r.repo_tag.tag.clone(),
            r.id.clone(),
            r.distro.clone(),
        ];
        match v {
            Some((v, f)) => row.extend([
                v.cve.clone(),
                v.package_type.clone(),
                v.severity.clone(),
                v.package_name.clone(),
                f.source_package.clone(),
                v.package_version.clone(),
                if v.cvss > 0.0 {
                    format!("{}", v.cvss)
                } else {
                    String::new()
                },
                v.status.clone(),
                v.risk_factors
                    .keys()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", "),
                v.description.clone(),
                v.link.clone(),
                rep.packages
                    .iter()
                    .find(|p| p.name == f.package && p.version == f.installed_version)
                    .map(|p| p.location.clone())
                    .unwrap_or_default(),
            ]),
            None => row.extend(std::iter::repeat_n(String::new(), 12)),
        }
        row
    };
    if r.vulnerabilities.is_empty() {
        return vec![base(None)];
    }
    r.vulnerabilities
        .iter()
        .zip(&rep.findings)
        .map(|(v, f)| base(Some((v, f))))
        .collect()
}
