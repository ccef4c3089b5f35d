//! OVAL XML: Debian's per-release definitions (fixed versions) and the CVSS
//! attributes of Ubuntu's USN OVAL `<cve>` elements.

use std::io::BufRead;

use quick_xml::events::Event;
use quick_xml::Reader;

use super::debian_namespace;
use crate::model::{Advisory, CvssInfo, FixState};
use crate::FeedError;

/// Records, warnings and the OVAL generator timestamp of one Debian OVAL file.
pub type DebianOval = (Vec<super::Record>, Vec<String>, Option<String>);

/// Parses Debian OVAL for release `codename`; records go to that release's namespace.
///
/// Each `<criterion comment="PKG DPKG is earlier than VER">` under a CVE
/// definition becomes a `Fixed` record; `VER` = `0` means not affected. Unfixed
/// CVEs are absent from OVAL by construction. Returns records, warnings and the
/// generator timestamp.
pub fn parse_debian<R: BufRead>(r: R, codename: &str) -> Result<DebianOval, FeedError> {
    let ns = debian_namespace(codename);
    let mut reader = Reader::from_reader(r);
    reader.config_mut().trim_text(true);
    let mut buf = Vec::new();
    let mut out = Vec::new();
    let mut warnings = Vec::new();
    let mut path: Vec<Vec<u8>> = Vec::new();
    let mut timestamp = None;
    let mut title = String::new();
    let mut description: Option<String> = None;
    let mut fixes: Vec<(String, String)> = Vec::new();
    let mut in_definition = false;
    loop {
        let ev = reader.read_event_into(&mut buf).map_err(|e| {
            FeedError::new(
                "debian-oval",
                format!(
                    "{codename}: XML error at byte {}: {e}",
                    reader.buffer_position()
                ),
            )
        })?;
        match ev {
            Event::Start(e) => {
                let name = e.local_name().as_ref().to_vec();
                if name == b"definition" {
                    in_definition = true;
                    title.clear();
                    description = None;
                    fixes.clear();
                }
                path.push(name);
            }
            Event::Empty(e) if in_definition && e.local_name().as_ref() == b"criterion" => {
                if let Some(c) = e.try_get_attribute("comment").ok().flatten() {
                    let c = c.unescape_value().unwrap_or_default();
                    if let Some((pkg, ver)) = c.split_once(" DPKG is earlier than ") {
                        fixes.push((pkg.trim().to_string(), ver.trim().to_string()));
                    }
                }
            }
            Event::Text(t) => {
                let text = t.unescape().unwrap_or_default().into_owned();
                match path.last().map(Vec::as_slice) {
                    Some(b"title") if in_definition => title = text,
                    Some(b"description") if in_definition => description = Some(text),
                    Some(b"timestamp") => timestamp = Some(text),
                    _ => {}
                }
            }
            Event::End(e) => {
                path.pop();
                if e.local_name().as_ref() == b"definition" {
                    in_definition = false;
                    let id = title.split_whitespace().next().unwrap_or("").to_string();
                    if id.is_empty() {
                        continue;
                    }
                    for (pkg, ver) in fixes.drain(..) {
                        if ver == "0" {
                            continue;
                        }
                        if drydock_version::dpkg::parse(&ver).is_err() {
                            warnings.push(format!(
                                "debian-oval {codename}: {id} {pkg}: bad version {ver:?}"
                            ));
                            continue;
                        }
                        out.push((
                            ns.clone(),
                            Advisory {
                                id: id.clone(),
                                aliases: vec![],
                                package: pkg,
                                state: FixState::Fixed { version: ver },
                                vendor_severity: None,
                                source: "debian-oval".into(),
                                title: description.clone(),
                            },
                        ));
                    }
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    Ok((out, warnings, timestamp))
}

/// Reads CVE -> CVSS v3 from the `<cve cvss_vector=... cvss_score=...>` elements of Ubuntu USN OVAL.
pub fn parse_ubuntu_cvss<R: BufRead>(r: R) -> Result<Vec<(String, CvssInfo)>, FeedError> {
    let mut reader = Reader::from_reader(r);
    let mut buf = Vec::new();
    let mut out = Vec::new();
    let mut pending: Option<(String, f64)> = None;
    loop {
        let ev = reader.read_event_into(&mut buf).map_err(|e| {
            FeedError::new(
                "ubuntu-oval",
                format!("XML error at byte {}: {e}", reader.buffer_position()),
            )
        })?;
        match ev {
            Event::Start(e) if e.local_name().as_ref() == b"cve" => {
                let attr = |k: &str| {
                    e.try_get_attribute(k)
                        .ok()
                        .flatten()
                        .map(|a| a.unescape_value().unwrap_or_default().into_owned())
                };
                if let (Some(v), Some(s)) = (attr("cvss_vector"), attr("cvss_score")) {
                    if let Ok(score) = s.parse::<f64>() {
                        if v.starts_with("CVSS:3") {
                            pending = Some((v, score));
                        }
                    }
                }
            }
            Event::Text(t) => {
                if let Some((v, score)) = pending.take() {
                    let id = t.unescape().unwrap_or_default().trim().to_string();
                    if id.starts_with("CVE-") {
                        out.push((
                            id,
                            CvssInfo {
                                vector: v,
                                score,
                                source: "ubuntu-oval".into(),
                                description: None,
                            },
                        ));
                    }
                }
            }
            Event::End(_) => pending = None,
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debian_definition() {
        let x = br#"<oval_definitions><generator><timestamp>2023-07-14T03:39:10</timestamp></generator><definitions><definition><metadata><title>CVE-1999-0199 glibc</title><description>d &amp; e</description></metadata><criteria><criterion comment="Debian 12 is installed"/><criterion comment="glibc DPKG is earlier than 2.2-1"/><criterion comment="x DPKG is earlier than 0"/></criteria></definition></definitions></oval_definitions>"#;
        let (recs, warns, ts) = parse_debian(&x[..], "bookworm").unwrap();
        assert!(warns.is_empty());
        assert_eq!(recs.len(), 1);
        assert_eq!(recs[0].0, "debian:12");
        assert_eq!(recs[0].1.id, "CVE-1999-0199");
        assert_eq!(recs[0].1.title.as_deref(), Some("d & e"));
        assert_eq!(ts.as_deref(), Some("2023-07-14T03:39:10"));
        assert!(parse_debian(&b"<a><b></a>"[..], "bookworm").is_err());
    }
}
