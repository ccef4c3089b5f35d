//! Debian package version ordering (`deb-version(7)`), as `dpkg --compare-versions` does it.
//!
//! Parsing and ordering come from the `debversion` crate; this module adds the
//! error type. Like dpkg, a version not starting with a digit is only warned
//! about by dpkg and still ordered here.

use std::cmp::Ordering;
use std::str::FromStr;

use crate::VersionError;

/// A parsed dpkg version.
pub type Version = debversion::Version;

/// Parses a dpkg version string.
pub fn parse(s: &str) -> Result<Version, VersionError> {
    let t = s.trim();
    if t.is_empty() {
        return Err(err(s, "empty version"));
    }
    Version::from_str(t).map_err(|e| err(s, &e.to_string()))
}

/// Compares two dpkg version strings.
pub fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    Ok(parse(a)?.cmp(&parse(b)?))
}

fn err(v: &str, reason: &str) -> VersionError {
    VersionError {
        scheme: "dpkg",
        version: v.to_string(),
        reason: reason.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(a: &str, b: &str) -> Ordering {
        compare(a, b).unwrap()
    }

    /// Cases from dpkg's own `lib/dpkg/t/t-version.c` (verrevcmp and epochs).
    #[test]
    fn dpkg_upstream_vectors() {
        use Ordering::*;
        let cases = [
            ("0", "0", Equal),
            ("0", "00", Equal),
            ("1", "2", Less),
            ("2", "1", Greater),
            ("0-00", "00-0", Equal),
            ("1:0", "0:0", Greater),
            ("0:0", "1:0", Less),
            ("1.0", "1.0", Equal),
            ("1.0~rc1", "1.0", Less),
            ("1.0~~", "1.0~~a", Less),
            ("1.0~", "1.0", Less),
            ("1.0~~a", "1.0~", Less),
            ("1.0", "1.0+b1", Less),
            ("1.0-1", "1.0-1~bpo1", Greater),
            ("1.2.3-1", "1.2.3-1+deb12u1", Less),
            ("2:1.0", "1:9.9", Greater),
            ("1.0a", "1.0", Greater),
            ("1.0-0", "1.0", Equal),
            ("0:1.0", "1.0", Equal),
            ("1.0.0", "1.0", Greater),
            ("a", "b", Less),
            ("1.2.3+dfsg", "1.2.3", Greater),
            ("3.0.11-1~deb12u2", "3.0.11-1", Less),
            ("1:2.38.1-5+deb12u2", "1:2.38.1-5+deb12u3", Less),
        ];
        for (a, b, want) in cases {
            assert_eq!(c(a, b), want, "{a} vs {b}");
        }
    }

    #[test]
    fn empty_is_an_error_not_a_panic() {
        assert!(compare("", "1").is_err());
        assert!(compare("1", "   ").is_err());
    }
}
