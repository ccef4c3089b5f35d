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

/// PEP 503 normalised name: lower case, runs of `-_.` become `-`.
pub fn pep503(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut sep = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            sep = true;
        } else {
            if sep && !out.is_empty() {
                out.push('-');
            }
            sep = false;
            out.push(c.to_ascii_lowercase());
        }
    }
    out
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

/// True when `version` meets a RubyGems requirement such as `~> 2.2.6, >= 2.2.6.2`
/// (every comma-separated constraint must hold; `~>` is the pessimistic operator).
pub fn rubygems_satisfies(version: &str, requirement: &str) -> Result<bool, VersionError> {
    for c in requirement.split(',') {
        let c = c.trim();
        let (op, v) = ["~>", ">=", "<=", "!=", ">", "<", "="]
            .iter()
            .find_map(|op| c.strip_prefix(op).map(|rest| (*op, rest.trim())))
            .unwrap_or(("=", c));
        let o = rubygems(version, v)?;
        let ok = match op {
            "~>" => o != Ordering::Less && rubygems(version, &bump(v))? == Ordering::Less,
            ">=" => o != Ordering::Less,
            "<=" => o != Ordering::Greater,
            "!=" => o != Ordering::Equal,
            ">" => o == Ordering::Greater,
            "<" => o == Ordering::Less,
            _ => o == Ordering::Equal,
        };
        if !ok {
            return Ok(false);
        }
    }
    Ok(true)
}

/// `Gem::Version#bump`: drop pre-release parts and the last segment, increment the new last.
fn bump(v: &str) -> String {
    let mut segs: Vec<&str> = v.split('.').collect();
    while segs.len() > 1
        && segs
            .last()
            .is_some_and(|s| !s.chars().all(|c| c.is_ascii_digit()))
    {
        segs.pop();
    }
    if segs.len() > 1 {
        segs.pop();
    }
    let last = segs.pop().and_then(|s| s.parse::<u64>().ok()).unwrap_or(0) + 1;
    let mut out: Vec<String> = segs.iter().map(|s| s.to_string()).collect();
    out.push(last.to_string());
    out.join(".")
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
        assert!(rubygems_satisfies("2.2.6.2", "~> 2.2.6, >= 2.2.6.2").unwrap());
        assert!(!rubygems_satisfies("2.3.0", "~> 2.2.6").unwrap());
        assert!(rubygems_satisfies("2.9", "~> 2.2").unwrap());
        assert!(!rubygems_satisfies("3.0", "~> 2.2").unwrap());
        assert!(rubygems_satisfies("3.0.4.1", ">= 3.0.4.1").unwrap());
        assert!(!rubygems_satisfies("2.2.3", ">= 3.0.4.1").unwrap());
    }
}

/// Maven's `ComparableVersion` ordering (write-up of the algorithm in
/// maven-artifact): dotted/dashed items, digit-letter transitions split items,
/// qualifiers ordered `alpha < beta < milestone < rc = cr < snapshot < "" = ga =
/// final = release < sp`, unknown qualifiers after those (lexically), trailing
/// zero/empty items ignored.
pub fn maven(a: &str, b: &str) -> Result<Ordering, VersionError> {
    if a.trim().is_empty() || b.trim().is_empty() {
        return Err(err(
            "maven",
            if a.trim().is_empty() { a } else { b },
            "empty version",
        ));
    }
    Ok(maven_parse(a).cmp_item(Some(&maven_parse(b))))
}

#[derive(Debug, Clone)]
enum MItem {
    Int(u128),
    Str(String),
    List(Vec<MItem>),
}

fn qualifier_key(q: &str) -> String {
    const ORDER: [&str; 7] = ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"];
    match ORDER.iter().position(|x| *x == q) {
        Some(i) => i.to_string(),
        None => format!("{}-{q}", ORDER.len()),
    }
}

fn string_item(s: &str, followed_by_digit: bool) -> MItem {
    let s = if followed_by_digit && s.len() == 1 {
        match s {
            "a" => "alpha",
            "b" => "beta",
            "m" => "milestone",
            x => x,
        }
    } else {
        s
    };
    MItem::Str(match s {
        "ga" | "final" | "release" => String::new(),
        "cr" => "rc".into(),
        x => x.to_string(),
    })
}

fn parse_item(digit: bool, s: &str) -> MItem {
    if digit {
        MItem::Int(
            s.trim_start_matches('0')
                .parse()
                .unwrap_or(if s.chars().all(|c| c == '0') {
                    0
                } else {
                    u128::MAX
                }),
        )
    } else {
        string_item(s, false)
    }
}

impl MItem {
    fn is_null(&self) -> bool {
        match self {
            MItem::Int(n) => *n == 0,
            MItem::Str(s) => s.is_empty(),
            MItem::List(l) => l.is_empty(),
        }
    }

    fn cmp_item(&self, other: Option<&MItem>) -> Ordering {
        use MItem::*;
        match (self, other) {
            (Int(n), None) => {
                if *n == 0 {
                    Ordering::Equal
                } else {
                    Ordering::Greater
                }
            }
            (Int(a), Some(Int(b))) => a.cmp(b),
            (Int(_), Some(_)) => Ordering::Greater,
            (Str(s), None) => qualifier_key(s).cmp(&qualifier_key("")),
            (Str(_), Some(Int(_))) => Ordering::Less,
            (Str(a), Some(Str(b))) => qualifier_key(a).cmp(&qualifier_key(b)),
            (Str(_), Some(List(_))) => Ordering::Less,
            (List(l), None) => l.first().map_or(Ordering::Equal, |f| f.cmp_item(None)),
            (List(_), Some(Int(_))) => Ordering::Less,
            (List(_), Some(Str(_))) => Ordering::Greater,
            (List(a), Some(List(b))) => {
                for i in 0..a.len().max(b.len()) {
                    let o = match (a.get(i), b.get(i)) {
                        (None, Some(r)) => r.cmp_item(None).reverse(),
                        (Some(l), r) => l.cmp_item(r),
                        (None, None) => Ordering::Equal,
                    };
                    if o != Ordering::Equal {
                        return o;
                    }
                }
                Ordering::Equal
            }
        }
    }
}

/// Drops null items (0, "", empty list) from the end, looking past trailing
/// sublists: `2.0.a` is `[2, ["a"]]`, as in Maven.
fn normalize(list: &mut Vec<MItem>) {
    let mut i = list.len();
    while i > 0 {
        i -= 1;
        if list[i].is_null() {
            list.remove(i);
        } else if !matches!(list[i], MItem::List(_)) {
            break;
        }
    }
}

fn maven_parse(v: &str) -> MItem {
    let v = v.trim().to_ascii_lowercase();
    let chars: Vec<char> = v.chars().collect();
    // A stack of lists; each new sublist is pushed into its parent when closed.
    let mut stack: Vec<Vec<MItem>> = vec![Vec::new()];
    let mut digit = false;
    let mut start = 0;
    let close_all = |stack: &mut Vec<Vec<MItem>>| {
        while stack.len() > 1 {
            let mut l = stack.pop().unwrap_or_default();
            normalize(&mut l);
            if let Some(parent) = stack.last_mut() {
                parent.push(MItem::List(l));
            }
        }
        let mut root = stack.pop().unwrap_or_default();
        normalize(&mut root);
        MItem::List(root)
    };
    let s = |a: usize, b: usize| chars[a..b].iter().collect::<String>();
    for (i, &c) in chars.iter().enumerate() {
        let top = stack.len() - 1;
        if c == '.' || c == '-' {
            let item = if i == start {
                MItem::Int(0)
            } else {
                parse_item(digit, &s(start, i))
            };
            stack[top].push(item);
            start = i + 1;
            if c == '-' {
                stack.push(Vec::new());
            }
        } else if c.is_ascii_digit() {
            if !digit && i > start {
                stack[top].push(string_item(&s(start, i), true));
                start = i;
                stack.push(Vec::new());
            }
            digit = true;
        } else {
            if digit && i > start {
                stack[top].push(parse_item(true, &s(start, i)));
                start = i;
                stack.push(Vec::new());
            }
            digit = false;
        }
    }
    if chars.len() > start {
        // Maven: "treat .X as -X for any string qualifier X" (1.0.0.X1 < 1.0.0-X2).
        if !digit && !stack[stack.len() - 1].is_empty() {
            stack.push(Vec::new());
        }
        let top = stack.len() - 1;
        stack[top].push(parse_item(digit, &s(start, chars.len())));
    }
    close_all(&mut stack)
}

#[cfg(test)]
mod maven_tests {
    use super::maven;
    use std::cmp::Ordering::*;

    /// Orderings from Maven's ComparableVersionTest (checkVersionsOrder / checkVersionsEqual).
    #[test]
    fn comparable_version_vectors() {
        let ordered = [
            "1-alpha2snapshot",
            "1-alpha2",
            "1-alpha-123",
            "1-beta-2",
            "1-beta123",
            "1-m2",
            "1-m11",
            "1-rc",
            "1-cr2",
            "1-rc123",
            "1-SNAPSHOT",
            "1",
            "1-sp",
            "1-sp2",
            "1-sp123",
            "1-abc",
            "1-def",
            "1-pom-1",
            "1-1-snapshot",
            "1-1",
            "1-2",
            "1-123",
        ];
        for w in ordered.windows(2) {
            assert_eq!(maven(w[0], w[1]).unwrap(), Less, "{} < {}", w[0], w[1]);
            assert_eq!(maven(w[1], w[0]).unwrap(), Greater, "{} > {}", w[1], w[0]);
        }
        let ordered2 = [
            "2.0", "2.0.a", "2-1", "2.0.2", "2.0.123", "2.1.0", "2.1-a", "2.1b", "2.1-c", "2.1-1",
            "2.1.0.1", "2.2", "2.123", "11.a2", "11.a11", "11.b2", "11.b11", "11.m2", "11.m11",
            "11", "11.a", "11b", "11c", "11m",
        ];
        for w in ordered2.windows(2) {
            assert_eq!(maven(w[0], w[1]).unwrap(), Less, "{} < {}", w[0], w[1]);
        }
        for (a, b) in [
            ("1", "1.0"),
            ("1", "1.0.0"),
            ("1-ga", "1"),
            ("1-final", "1"),
            ("1-release", "1"),
            ("1-cr", "1-rc"),
            ("1a1", "1-alpha-1"),
            ("1b2", "1-beta-2"),
            ("1m3", "1-milestone-3"),
            ("1X", "1x"),
            ("1A", "1a"),
        ] {
            assert_eq!(maven(a, b).unwrap(), Equal, "{a} == {b}");
        }
        assert_eq!(maven("2.14.1", "2.15.0").unwrap(), Less);
        assert_eq!(maven("2.0-beta9", "2.0").unwrap(), Less);
    }
}
