//! Language ecosystem version orderings: PEP 440, npm semver, Cargo semver,
//! Go module versions, RubyGems, and a generic dotted ordering (Composer, NuGet).

use std::cmp::Ordering;
use std::str::FromStr;

use crate::VersionError;

fn err(scheme: &'static str, v: &str, reason: impl ToString) -> VersionError {
    VersionError {
        scheme,
        version: v.to_string(),
        reason: reason.to_string(),
    }
}

/// PEP 440 (PyPI), via `pep440_rs`.
pub fn pep440(a: &str, b: &str) -> Result<Ordering, VersionError> {
    let pa = pep440_rs::Version::from_str(a.trim()).map_err(|e| err("pep440", a, e))?;
    let pb = pep440_rs::Version::from_str(b.trim()).map_err(|e| err("pep440", b, e))?;
    Ok(pa.cmp(&pb))
}

/// npm's semver (node-semver rules, loose `v` prefix accepted), via `nodejs-semver`.
pub fn npm(a: &str, b: &str) -> Result<Ordering, VersionError> {
    let pa = nodejs_semver::Version::parse(a.trim()).map_err(|e| err("npm", a, e))?;
    let pb = nodejs_semver::Version::parse(b.trim()).map_err(|e| err("npm", b, e))?;
    Ok(pa.cmp(&pb))
}

/// True when `version` satisfies the npm range expression (`>=4.0.0 <4.17.5 || <3`).
pub fn npm_satisfies(version: &str, range: &str) -> Result<bool, VersionError> {
    let v = nodejs_semver::Version::parse(version.trim()).map_err(|e| err("npm", version, e))?;
    let r = nodejs_semver::Range::parse(range.trim()).map_err(|e| err("npm-range", range, e))?;
    Ok(r.satisfies(&v))
}

/// SemVer 2.0 (crates.io), via `semver`.
pub fn cargo(a: &str, b: &str) -> Result<Ordering, VersionError> {
    let pa = semver::Version::parse(a.trim()).map_err(|e| err("semver", a, e))?;
    let pb = semver::Version::parse(b.trim()).map_err(|e| err("semver", b, e))?;
    Ok(pa.cmp_precedence(&pb))
}

/// Go module versions (`v1.2.3`, pseudo-versions, `+incompatible`); the `v` is optional
/// so Go vulndb's unprefixed range events compare with build info's prefixed versions.
pub fn go(a: &str, b: &str) -> Result<Ordering, VersionError> {
    let p = |s: &str| {
        let t = s.trim().trim_start_matches('v');
        // Go toolchain versions may lack the patch ("1.21") or carry "rc1" ("1.21rc1").
        let (core, rest) = match t.find(['-', '+']) {
            Some(i) => (&t[..i], &t[i..]),
            None => match t.find(|c: char| c.is_ascii_alphabetic()) {
                Some(i) => (&t[..i], &t[i..]),
                None => (t, ""),
            },
        };
        let core = match core.matches('.').count() {
            0 => format!("{core}.0.0"),
            1 => format!("{core}.0"),
            _ => core.to_string(),
        };
        let rest = if rest.starts_with(|c: char| c.is_ascii_alphabetic()) {
            format!("-{rest}")
        } else {
            rest.to_string()
        };
        semver::Version::parse(&format!("{core}{rest}")).map_err(|e| err("go", s, e))
    };
    Ok(p(a)?.cmp_precedence(&p(b)?))
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Seg {
    // Strings sort before numbers: a string segment marks a pre-release.
    Str(String),
    Num(u64),
}

fn segments(v: &str) -> Vec<Seg> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut digit = None;
    let flush = |cur: &mut String, digit: Option<bool>, out: &mut Vec<Seg>| {
        if !cur.is_empty() {
            out.push(match digit {
                Some(true) => Seg::Num(cur.parse().unwrap_or(u64::MAX)),
                _ => Seg::Str(cur.to_ascii_lowercase()),
            });
            cur.clear();
        }
    };
    for c in v.trim().chars() {
        if c.is_ascii_alphanumeric() {
            let d = c.is_ascii_digit();
            if digit.is_some_and(|x| x != d) {
                flush(&mut cur, digit, &mut out);
            }
            digit = Some(d);
            cur.push(c);
        } else {
            flush(&mut cur, digit, &mut out);
            digit = None;
        }
    }
    flush(&mut cur, digit, &mut out);
    out
}

/// RubyGems `Gem::Version` ordering: dotted segments, a letter segment makes a
/// pre-release (`1.0.0.rc1 < 1.0.0`), trailing zeros do not count (`1.0 == 1`).
pub fn rubygems(a: &str, b: &str) -> Result<Ordering, VersionError> {
    for v in [a, b] {
        if !v.trim().starts_with(|c: char| c.is_ascii_digit()) {
            return Err(err("rubygems", v, "does not start with a digit"));
        }
    }
    // Gem's canonical segments: zeros before the first letter segment (and at the end) do not count.
    let canonical = |v: &str| {
        let s = segments(v);
        let cut = s
            .iter()
            .position(|x| matches!(x, Seg::Str(_)))
            .unwrap_or(s.len());
        let (mut num, tail) = (s[..cut].to_vec(), s[cut..].to_vec());
        while num.last() == Some(&Seg::Num(0)) {
            num.pop();
        }
        num.extend(tail);
        num
    };
    let (sa, sb) = (canonical(a), canonical(b));
    let zero = Seg::Num(0);
    for i in 0..sa.len().max(sb.len()) {
        // A missing segment counts as 0, as in Gem::Version#<=>.
        let o = sa.get(i).unwrap_or(&zero).cmp(sb.get(i).unwrap_or(&zero));
        if o != Ordering::Equal {
            return Ok(o);
        }
    }
    Ok(Ordering::Equal)
}

/// Dotted numeric ordering with pre-release letters (Composer, NuGet): the same
/// segment rules as RubyGems after dropping a leading `v`.
pub fn generic(a: &str, b: &str) -> Result<Ordering, VersionError> {
    rubygems(
        a.trim().trim_start_matches(['v', 'V']),
        b.trim().trim_start_matches(['v', 'V']),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::*;

    #[test]
    fn pep440_cases() {
        for (a, b, o) in [
            ("2.2", "2.2.0", Equal),
            ("2.2", "2.2.18", Less),
            ("1.0rc1", "1.0", Less),
            ("1.0.post1", "1.0", Greater),
            ("1.0.dev1", "1.0a1", Less),
            ("1!0.1", "2.0", Greater),
            ("5.3", "5.4", Less),
        ] {
            assert_eq!(pep440(a, b).unwrap(), o, "{a} {b}");
        }
        assert!(pep440("not a version", "1").is_err());
    }

    #[test]
    fn npm_cases() {
        assert_eq!(npm("4.17.4", "4.17.21").unwrap(), Less);
        assert_eq!(npm("1.0.0-beta.2", "1.0.0").unwrap(), Less);
        assert!(npm_satisfies("4.17.4", "<4.17.5").unwrap());
        assert!(npm_satisfies("0.0.10", "<0.2.1 || >=1.0.0 <1.2.3").unwrap());
        assert!(!npm_satisfies("1.2.8", "<0.2.1 || >=1.0.0 <1.2.6").unwrap());
    }

    #[test]
    fn go_and_cargo() {
        assert_eq!(go("v0.7.0", "0.7.0").unwrap(), Equal);
        assert_eq!(go("1.19.8", "1.19.9").unwrap(), Less);
        assert_eq!(go("1.21", "1.21.0").unwrap(), Equal);
        assert_eq!(go("1.21rc1", "1.21.0").unwrap(), Less);
        assert_eq!(
            go("v0.0.0-20200101000000-abcdef123456", "v0.1.0").unwrap(),
            Less
        );
        assert_eq!(go("v2.0.0+incompatible", "2.0.1").unwrap(), Less);
        assert_eq!(cargo("1.6.0", "1.6.1").unwrap(), Less);
        assert_eq!(cargo("1.0.0-alpha", "1.0.0").unwrap(), Less);
    }

    #[test]
    fn rubygems_cases() {
        for (a, b, o) in [
            ("1.0", "1", Equal),
            ("1.0.0.rc1", "1.0.0", Less),
            ("2.2.3", "2.2.10", Less),
            ("1.0.a", "1.0.b", Less),
            ("3.0.4.1", "3.0.4", Greater),
        ] {
            assert_eq!(rubygems(a, b).unwrap(), o, "{a} {b}");
        }
        assert_eq!(generic("v2.1.0", "2.1.1").unwrap(), Less);
    }
}
