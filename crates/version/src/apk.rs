//! Alpine `apk-tools` version ordering.
//!
//! A Rust rendering of the token rules apk-tools applies
//! (`digit{.digit}...{letter}{_suffix{#}}...{~hash}{-r#}`): numeric fields
//! compare as numbers unless one has a leading zero (then as strings),
//! `_alpha`/`_beta`/`_pre`/`_rc` sort before the release and
//! `_cvs`/`_svn`/`_git`/`_hg`/`_p` after it. Checked against apk-tools'
//! own `test/version.data` in `tests/apk_vectors.rs`.

use std::cmp::Ordering;

use crate::VersionError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Token {
    InitialDigit,
    Digit,
    Letter,
    Suffix,
    SuffixNo,
    CommitHash,
    RevisionNo,
    End,
    Invalid,
}

/// Suffix ranks; `None` is the pivot between pre- and post-release suffixes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Suffix {
    Invalid,
    Alpha,
    Beta,
    Pre,
    Rc,
    None,
    Cvs,
    Svn,
    Git,
    Hg,
    P,
}

fn suffix_value(s: &[u8]) -> Suffix {
    match s {
        b"alpha" => Suffix::Alpha,
        b"beta" => Suffix::Beta,
        b"pre" => Suffix::Pre,
        b"rc" => Suffix::Rc,
        b"cvs" => Suffix::Cvs,
        b"svn" => Suffix::Svn,
        b"git" => Suffix::Git,
        b"hg" => Suffix::Hg,
        b"p" => Suffix::P,
        _ => Suffix::Invalid,
    }
}

struct State<'a> {
    token: Token,
    suffix: Suffix,
    number: u64,
    value: &'a [u8],
    rest: &'a [u8],
}

impl<'a> State<'a> {
    fn first(s: &'a [u8]) -> Self {
        let mut st = State {
            token: Token::InitialDigit,
            suffix: Suffix::None,
            number: 0,
            value: &[],
            rest: s,
        };
        st.parse_digits();
        st
    }

    fn take_while(&mut self, f: impl Fn(u8) -> bool) -> &'a [u8] {
        let n = self.rest.iter().take_while(|&&c| f(c)).count();
        let (v, r) = self.rest.split_at(n);
        self.rest = r;
        v
    }

    fn parse_digits(&mut self) {
        let v = self.take_while(|c| c.is_ascii_digit());
        self.number = v.iter().fold(0u64, |n, &d| {
            n.wrapping_mul(10).wrapping_add(u64::from(d - b'0'))
        });
        self.value = v;
        if v.is_empty() {
            self.token = Token::Invalid;
        }
    }

    fn next(&mut self) {
        let Some(&c) = self.rest.first() else {
            self.token = Token::End;
            return;
        };
        match c {
            b'a'..=b'z' => {
                if self.token > Token::Digit {
                    return self.invalid();
                }
                self.value = &self.rest[..1];
                self.rest = &self.rest[1..];
                self.token = Token::Letter;
            }
            b'.' | b'0'..=b'9' => {
                if c == b'.' {
                    if self.token > Token::Digit {
                        return self.invalid();
                    }
                    self.rest = &self.rest[1..];
                }
                self.token = match self.token {
                    Token::InitialDigit | Token::Digit => Token::Digit,
                    Token::Suffix => Token::SuffixNo,
                    _ => return self.invalid(),
                };
                self.parse_digits();
            }
            b'_' => {
                if self.token > Token::SuffixNo {
                    return self.invalid();
                }
                self.rest = &self.rest[1..];
                self.value = self.take_while(|c| c.is_ascii_lowercase());
                self.suffix = suffix_value(self.value);
                if self.suffix == Suffix::Invalid {
                    return self.invalid();
                }
                self.token = Token::Suffix;
            }
            b'~' => {
                if self.token >= Token::CommitHash {
                    return self.invalid();
                }
                self.rest = &self.rest[1..];
                self.value = self.take_while(|c| c.is_ascii_hexdigit());
                if self.value.is_empty() {
                    return self.invalid();
                }
                self.token = Token::CommitHash;
            }
            b'-' => {
                if self.token >= Token::RevisionNo || !self.rest.starts_with(b"-r") {
                    return self.invalid();
                }
                self.rest = &self.rest[2..];
                self.token = Token::RevisionNo;
                self.parse_digits();
            }
            _ => self.invalid(),
        }
    }

    fn invalid(&mut self) {
        self.token = Token::Invalid;
    }
}

fn token_cmp(a: &State<'_>, b: &State<'_>) -> Ordering {
    let string_sort = || a.value.cmp(b.value);
    match a.token {
        Token::Digit if a.value.first() == Some(&b'0') || b.value.first() == Some(&b'0') => {
            string_sort()
        }
        Token::Digit | Token::InitialDigit | Token::SuffixNo | Token::RevisionNo => {
            a.number.cmp(&b.number)
        }
        Token::Letter => a.value.first().cmp(&b.value.first()),
        Token::Suffix => a.suffix.cmp(&b.suffix),
        _ => string_sort(),
    }
}

/// Orders two apk versions exactly as `apk version -t` does.
///
/// apk-tools never refuses to compare: malformed tails become an "invalid"
/// token that sorts after the end of a valid version. That ordering is kept
/// so results equal apk's; use [`validate`] to flag bad input.
pub fn compare_lenient(a: &str, b: &str) -> Ordering {
    let (mut ta, mut tb) = (State::first(a.as_bytes()), State::first(b.as_bytes()));
    while ta.token == tb.token && ta.token < Token::End {
        let r = token_cmp(&ta, &tb);
        if r != Ordering::Equal {
            return r;
        }
        ta.next();
        tb.next();
    }
    if ta.token == tb.token {
        return Ordering::Equal;
    }
    if ta.token == Token::Suffix && ta.suffix < Suffix::None {
        return Ordering::Less;
    }
    if tb.token == Token::Suffix && tb.suffix < Suffix::None {
        return Ordering::Greater;
    }
    // The version that goes on (lower token kind) is the greater one.
    tb.token.cmp(&ta.token)
}

/// True when apk-tools accepts `v` as a version.
pub fn validate(v: &str) -> bool {
    let mut t = State::first(v.as_bytes());
    while t.token < Token::End {
        t.next();
    }
    t.token == Token::End
}

/// Compares two apk versions; errors when either is not a valid apk version.
pub fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    for v in [a, b] {
        if !validate(v) {
            return Err(VersionError {
                scheme: "apk",
                version: v.to_string(),
                reason: "not of the form digit{.digit}{letter}{_suffix{#}}{~hash}{-r#}".into(),
            });
        }
    }
    Ok(compare_lenient(a, b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basics() {
        assert_eq!(compare("1.1.22-r3", "1.1.22-r4"), Ok(Ordering::Less));
        assert_eq!(compare("1.1.1d-r2", "1.1.1g-r0"), Ok(Ordering::Less));
        assert_eq!(compare("2.10.4-r2", "2.10.6-r0"), Ok(Ordering::Less));
        assert_eq!(compare("1.30.1-r5", "1.30.1-r5"), Ok(Ordering::Equal));
        assert!(compare("1.0-x", "1.0").is_err());
        assert!(compare("", "1.0").is_err());
    }
}
