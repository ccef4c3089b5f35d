//! Exact version comparison, one module per ecosystem.
//!
//! Each comparator reproduces the package manager's own ordering, so a finding
//! says "affected" exactly when the distribution's tools would consider the
//! installed version older than the fixed one.

pub mod apk;
pub mod dpkg;
pub mod lang;

use std::cmp::Ordering;

/// The version schemes drydock knows how to order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// Debian/Ubuntu `dpkg` versions (`epoch:upstream-revision`).
    Dpkg,
    /// Alpine `apk-tools` versions (`1.2.3_rc1-r0`).
    Apk,
    /// PEP 440 (PyPI).
    Pep440,
    /// npm semver.
    Npm,
    /// SemVer 2.0 (crates.io).
    Cargo,
    /// Go module versions.
    Go,
    /// RubyGems.
    RubyGems,
    /// Dotted numeric with pre-release letters (Composer, NuGet).
    Generic,
    /// Maven `ComparableVersion`.
    Maven,
}

/// A version string that the scheme rejects.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {scheme} version {version:?}: {reason}")]
pub struct VersionError {
    /// Scheme name, e.g. "dpkg".
    pub scheme: &'static str,
    /// The offending input.
    pub version: String,
    /// Why it was rejected.
    pub reason: String,
}

impl Scheme {
    /// Compares two versions the way the package manager itself does.
    ///
    /// dpkg refuses some strings (empty, bad characters): that is an error, so
    /// callers can report the advisory or package instead of guessing. apk-tools
    /// orders every string, even ones it calls invalid (secdb has e.g.
    /// `1.9.5p2-r0`), so the apk scheme never errors; use [`apk::validate`] to flag those.
    pub fn compare(self, a: &str, b: &str) -> Result<Ordering, VersionError> {
        match self {
            Scheme::Dpkg => dpkg::compare(a, b),
            Scheme::Apk => Ok(apk::compare_lenient(a, b)),
            Scheme::Pep440 => lang::pep440(a, b),
            Scheme::Npm => lang::npm(a, b),
            Scheme::Cargo => lang::cargo(a, b),
            Scheme::Go => lang::go(a, b),
            Scheme::RubyGems => lang::rubygems(a, b),
            Scheme::Generic => lang::generic(a, b),
            Scheme::Maven => lang::maven(a, b),
        }
    }

    /// Short name used in reports ("dpkg", "apk", "PEP 440"...).
    pub fn name(self) -> &'static str {
        match self {
            Scheme::Dpkg => "dpkg",
            Scheme::Apk => "apk",
            Scheme::Pep440 => "PEP 440",
            Scheme::Npm => "npm semver",
            Scheme::Cargo => "semver",
            Scheme::Go => "Go module",
            Scheme::RubyGems => "RubyGems",
            Scheme::Generic => "dotted",
            Scheme::Maven => "Maven",
        }
    }
}
