//! Records the matcher works from.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Severity on the usual scale; `Negligible` is Debian's "unimportant".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Severity {
    /// No vendor rating and no CVSS score known.
    Unknown,
    /// Debian "unimportant": affects the package, not worth a fix in stable.
    Negligible,
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
    /// Critical.
    Critical,
}

impl Severity {
    /// Upper-case name as printed and accepted by `--severity`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Unknown => "UNKNOWN",
            Severity::Negligible => "NEGLIGIBLE",
            Severity::Low => "LOW",
            Severity::Medium => "MEDIUM",
            Severity::High => "HIGH",
            Severity::Critical => "CRITICAL",
        }
    }

    /// Parses a name case-insensitively.
    pub fn parse(s: &str) -> Option<Severity> {
        Some(match s.trim().to_ascii_uppercase().as_str() {
            "UNKNOWN" => Severity::Unknown,
            "NEGLIGIBLE" | "UNIMPORTANT" => Severity::Negligible,
            "LOW" => Severity::Low,
            "MEDIUM" | "MODERATE" => Severity::Medium,
            "HIGH" | "IMPORTANT" => Severity::High,
            "CRITICAL" => Severity::Critical,
            _ => return None,
        })
    }

    /// The CVSS v3 qualitative rating of a base score.
    pub fn from_cvss_score(score: f64) -> Severity {
        match score {
            s if s >= 9.0 => Severity::Critical,
            s if s >= 7.0 => Severity::High,
            s if s >= 4.0 => Severity::Medium,
            s if s > 0.0 => Severity::Low,
            _ => Severity::Unknown,
        }
    }
}

/// A vendor's own rating and the feed it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VendorSeverity {
    /// Mapped severity.
    pub severity: Severity,
    /// The vendor's word, e.g. Debian urgency "medium" or "unimportant".
    pub label: String,
}

/// The state of one vulnerability for one package in one distro release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum FixState {
    /// Fixed in `version`; earlier versions are affected.
    Fixed {
        /// First fixed version.
        version: String,
    },
    /// Affected, no fix yet (tracker `<unfixed>` / status open).
    Unfixed,
    /// Affected; the security team will not issue a DSA (`<no-dsa>`), reason as given.
    NoDsa {
        /// Tracker's note, e.g. "Minor issue".
        reason: String,
    },
    /// Affected; fix postponed to a point release (`<postponed>`).
    Postponed,
    /// Affected; the security team decided to ignore it (`<ignored>`).
    Ignored,
    /// Affected; the package is no longer supported in this release (`<end-of-life>`).
    EndOfLife,
    /// Not yet triaged (tracker status "undetermined").
    Undetermined,
    /// Affected per OSV ranges and explicit version lists (language ecosystems).
    Ranges {
        /// Affected intervals, in the ecosystem's ordering.
        intervals: Vec<Interval>,
        /// Versions listed as affected one by one.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        versions: Vec<String>,
    },
    /// Affected unless a patched or unaffected RubyGems requirement holds (RubySec).
    GemRequirements {
        /// `patched_versions`, e.g. `~> 2.2.6.2`, `>= 3.0.4.1`.
        patched: Vec<String>,
        /// `unaffected_versions`, e.g. `< 2.0`.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        unaffected: Vec<String>,
    },
    /// Affected when the version satisfies an npm semver range (nodejs security-wg).
    NpmRange {
        /// `vulnerable_versions`, e.g. `<4.17.5`.
        vulnerable: String,
        /// `patched_versions`, e.g. `>=4.17.5`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        patched: Option<String>,
    },
}

/// One affected interval: from `introduced` (inclusive; `None` = from the start)
/// up to `fixed` (exclusive) or `last_affected` (inclusive), or open-ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interval {
    /// First affected version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub introduced: Option<String>,
    /// First fixed version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed: Option<String>,
    /// Last affected version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_affected: Option<String>,
}

impl FixState {
    /// Status word used in reports (as Trivy: fixed, affected, will_not_fix, fix_deferred, end_of_life).
    pub fn status(&self) -> &'static str {
        match self {
            FixState::Fixed { .. } => "fixed",
            FixState::Unfixed => "affected",
            FixState::NoDsa { .. } => "affected",
            FixState::Postponed => "fix_deferred",
            FixState::Ignored => "will_not_fix",
            FixState::EndOfLife => "end_of_life",
            FixState::Undetermined => "under_investigation",
            FixState::Ranges { intervals, .. } if intervals.iter().any(|i| i.fixed.is_some()) => {
                "fixed"
            }
            FixState::Ranges { .. } => "affected",
            FixState::GemRequirements { patched, .. } if !patched.is_empty() => "fixed",
            FixState::GemRequirements { .. } => "affected",
            FixState::NpmRange {
                patched: Some(_), ..
            } => "fixed",
            FixState::NpmRange { .. } => "affected",
        }
    }

    /// Fixed version of a distro record, when there is one (range states: see the matcher).
    pub fn fixed_version(&self) -> Option<&str> {
        match self {
            FixState::Fixed { version } => Some(version),
            _ => None,
        }
    }
}

/// One vulnerability affecting one (source) package of one distro release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Advisory {
    /// Primary id (CVE, or the feed's own id when there is no CVE).
    pub id: String,
    /// Other ids naming the same issue (DSA, DLA, GHSA...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// Package name as the feed names it (Debian source package, Alpine origin).
    pub package: String,
    /// Fixed, unfixed, ...
    #[serde(flatten)]
    pub state: FixState,
    /// Vendor rating, if the feed has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor_severity: Option<VendorSeverity>,
    /// Feed the record came from (`debian-tracker`, `alpine-secdb`...).
    pub source: String,
    /// Short description, when the feed has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

/// CVSS data for one CVE from an NVD-like source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CvssInfo {
    /// CVSS v3.x vector.
    pub vector: String,
    /// Base score.
    pub score: f64,
    /// Where it came from (`nvd`, `cve5`, `ubuntu-oval`).
    pub source: String,
    /// Description, when the source has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// What one feed contributed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedInfo {
    /// Feed name.
    pub name: String,
    /// Where it was read from (path or URL).
    pub origin: String,
    /// Newest date found in the data, or the file's modification time (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_date: Option<String>,
    /// Records contributed.
    pub records: usize,
}

/// The whole database in memory: advisories per namespace and package, CVSS per CVE.
#[derive(Debug, Clone, Default)]
pub struct Db {
    /// `namespace -> package -> advisories`; namespaces are `alpine:v3.10`, `debian:12`.
    pub advisories: BTreeMap<String, BTreeMap<String, Vec<Advisory>>>,
    /// CVE id -> CVSS.
    pub cvss: BTreeMap<String, CvssInfo>,
    /// Feeds that went in.
    pub feeds: Vec<FeedInfo>,
    /// Problems with individual records or files that were skipped.
    pub warnings: Vec<String>,
}

/// Feed priority for Debian: a record from a higher-ranked feed replaces a lower one
/// for the same (release, package, id).
pub fn source_rank(source: &str) -> u8 {
    match source {
        "debian-tracker" => 4,
        "debian-cve-list" => 3,
        "debian-oval" => 2,
        "debian-dsa" | "debian-dla" => 1,
        _ => 0,
    }
}

impl Db {
    /// Adds an advisory, merging with an existing one for the same (namespace, package, id).
    pub fn add(&mut self, namespace: &str, adv: Advisory) {
        let list = self
            .advisories
            .entry(namespace.to_string())
            .or_default()
            .entry(adv.package.clone())
            .or_default();
        if let Some(old) = list.iter_mut().find(|a| a.id == adv.id) {
            // One OSV record may list the same package in several `affected` entries
            // (e.g. minimist >=1.0.0 <1.2.6 and <0.2.4): the ranges add up.
            if let (
                FixState::Ranges {
                    intervals,
                    versions,
                },
                FixState::Ranges {
                    intervals: more,
                    versions: more_versions,
                },
            ) = (&mut old.state, &adv.state)
            {
                if old.source == adv.source {
                    intervals.extend(more.iter().cloned());
                    versions.extend(more_versions.iter().cloned());
                    return;
                }
            }
            let mut aliases = std::mem::take(&mut old.aliases);
            aliases.extend(adv.aliases.iter().cloned());
            if source_rank(&adv.source) > source_rank(&old.source) {
                let vs = old.vendor_severity.take();
                let title = old.title.take();
                *old = adv;
                old.vendor_severity = old.vendor_severity.take().or(vs);
                old.title = old.title.take().or(title);
            } else {
                if old.vendor_severity.is_none() {
                    old.vendor_severity = adv.vendor_severity;
                }
                if old.title.is_none() {
                    old.title = adv.title;
                }
            }
            aliases.sort();
            aliases.dedup();
            aliases.retain(|a| *a != old.id);
            old.aliases = aliases;
        } else {
            list.push(adv);
        }
    }

    /// Records CVSS for a CVE; NVD wins over other sources.
    pub fn add_cvss(&mut self, cve: &str, info: CvssInfo) {
        match self.cvss.get(cve) {
            Some(old) if old.source == "nvd" && info.source != "nvd" => {}
            _ => {
                self.cvss.insert(cve.to_string(), info);
            }
        }
    }

    /// Number of advisories.
    pub fn advisory_count(&self) -> usize {
        self.advisories
            .values()
            .flat_map(|m| m.values())
            .map(Vec::len)
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_osv_record_twice_for_a_package_adds_its_ranges() {
        let adv = |intro: Option<&str>, fixed: &str| Advisory {
            id: "GHSA-xvch-5gv4-984h".into(),
            aliases: vec!["CVE-2021-44906".into()],
            package: "minimist".into(),
            state: FixState::Ranges {
                intervals: vec![Interval {
                    introduced: intro.map(String::from),
                    fixed: Some(fixed.into()),
                    last_affected: None,
                }],
                versions: vec![],
            },
            vendor_severity: None,
            source: "ghsa".into(),
            title: None,
        };
        let mut db = Db::default();
        db.add("npm", adv(Some("1.0.0"), "1.2.6"));
        db.add("npm", adv(None, "0.2.4"));
        let a = &db.advisories["npm"]["minimist"];
        assert_eq!(a.len(), 1);
        assert!(matches!(&a[0].state, FixState::Ranges { intervals, .. } if intervals.len() == 2));
    }
}
