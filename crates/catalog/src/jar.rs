//! Java archives (JAR, WAR, EAR, nested): `META-INF/maven/**/pom.properties`,
//! with `MANIFEST.MF` and the file name as fallbacks.
//!
//! Like binaries, archives are read inside the layer reader and reduced to a
//! small tagged record ([`extract`]); [`parse`] turns it into packages. Nesting
//! depth, entry sizes and total expanded bytes are bounded (zip bombs).

use std::io::{Cursor, Read};

use serde::{Deserialize, Serialize};

use crate::{Package, PackageKind};

const TAG: &[u8] = b"drydock:java\0";
/// Deepest archive-in-archive nesting read.
pub const MAX_DEPTH: usize = 8;
/// Most bytes taken from one entry.
const MAX_ENTRY: u64 = 64 << 20;
/// Most bytes expanded from one top-level archive, all nesting included.
const MAX_TOTAL: u64 = 512 << 20;

/// True for paths of Java archives.
pub fn is_archive(path: &str) -> bool {
    let p = path.to_ascii_lowercase();
    [".jar", ".war", ".ear", ".jpi", ".hpi"]
        .iter()
        .any(|e| p.ends_with(e))
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Record {
    packages: Vec<(String, String, String)>,
    warnings: Vec<String>,
}

fn properties(text: &str) -> impl Iterator<Item = (&str, &str)> {
    text.lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .filter_map(|l| l.split_once(['=', ':']).map(|(k, v)| (k.trim(), v.trim())))
}

fn manifest(text: &str) -> Option<(String, String)> {
    let get = |k: &str| {
        properties(text)
            .find(|(x, _)| x.eq_ignore_ascii_case(k))
            .map(|(_, v)| v.to_string())
    };
    let name = get("Implementation-Title").or_else(|| {
        get("Bundle-SymbolicName").map(|s| s.split(';').next().unwrap_or("").to_string())
    })?;
    let version = get("Implementation-Version").or_else(|| get("Bundle-Version"))?;
    Some((name, version))
}

/// `log4j-core-2.14.1.jar` -> (`log4j-core`, `2.14.1`).
fn from_file_name(path: &str) -> Option<(String, String)> {
    let base = path.rsplit('/').next()?;
    let stem = base.rsplit_once('.')?.0;
    let i = stem
        .char_indices()
        .find(|&(i, c)| c == '-' && stem[i + 1..].starts_with(|d: char| d.is_ascii_digit()))?
        .0;
    Some((stem[..i].to_string(), stem[i + 1..].to_string()))
}

fn walk(data: &[u8], path: &str, depth: usize, budget: &mut u64, rec: &mut Record) {
    let mut ar = match zip::ZipArchive::new(Cursor::new(data)) {
        Ok(a) => a,
        Err(e) => {
            rec.warnings
                .push(format!("{path}: not a readable Java archive: {e}"));
            return;
        }
    };
    let mut found_pom = false;
    let mut manifest_pkg = None;
    let mut nested = Vec::new();
    for i in 0..ar.len() {
        let Ok(mut e) = ar.by_index(i) else {
            rec.warnings.push(format!("{path}: entry {i} unreadable"));
            continue;
        };
        let Ok(name) = e.name().map(|n| n.to_string()) else {
            continue;
        };
        let wanted = (name.starts_with("META-INF/maven/") && name.ends_with("/pom.properties"))
            || name.eq_ignore_ascii_case("META-INF/MANIFEST.MF")
            || (is_archive(&name) && !e.is_dir());
        if !wanted {
            continue;
        }
        let mut buf = Vec::new();
        let cap = MAX_ENTRY.min(*budget);
        if (&mut e).take(cap + 1).read_to_end(&mut buf).is_err() {
            rec.warnings
                .push(format!("{path}!{name}: unreadable entry"));
            continue;
        }
        if buf.len() as u64 > cap {
            rec.warnings.push(format!(
                "{path}!{name}: expands beyond {cap} bytes (zip bomb?); skipped"
            ));
            *budget = budget.saturating_sub(buf.len() as u64);
            continue;
        }
        *budget = budget.saturating_sub(buf.len() as u64);
        if name.ends_with("pom.properties") {
            let text = String::from_utf8_lossy(&buf);
            let get = |k: &str| {
                properties(&text)
                    .find(|(x, _)| *x == k)
                    .map(|(_, v)| v.to_string())
            };
            if let (Some(g), Some(a), Some(v)) = (get("groupId"), get("artifactId"), get("version"))
            {
                rec.packages
                    .push((format!("{g}:{a}"), v, format!("{path}!{name}")));
                found_pom = true;
            }
        } else if name.eq_ignore_ascii_case("META-INF/MANIFEST.MF") {
            manifest_pkg = manifest(&String::from_utf8_lossy(&buf));
        } else {
            nested.push((name, buf));
        }
    }
    if !found_pom {
        if let Some((n, v)) = manifest_pkg.or_else(|| from_file_name(path)) {
            rec.packages.push((n, v, path.to_string()));
        }
    }
    for (name, buf) in nested {
        let inner = format!("{path}!{name}");
        if depth + 1 >= MAX_DEPTH {
            rec.warnings.push(format!(
                "{inner}: nested more than {MAX_DEPTH} archives deep; not read"
            ));
            continue;
        }
        walk(&buf, &inner, depth + 1, budget, rec);
    }
}

/// Reduces a Java archive to its packages record.
pub fn extract_at(data: &[u8], path: &str) -> Option<Vec<u8>> {
    if !data.starts_with(b"PK") {
        return None;
    }
    let mut rec = Record::default();
    let mut budget = MAX_TOTAL;
    walk(data, path, 0, &mut budget, &mut rec);
    let mut out = TAG.to_vec();
    out.extend_from_slice(&serde_json::to_vec(&rec).ok()?);
    Some(out)
}

/// [`extract_at`] for the layer reader, which does not pass the path: names in
/// the record are relative (`!inner.jar`) and made absolute by [`parse`].
pub fn extract(data: &[u8]) -> Option<Vec<u8>> {
    extract_at(data, "")
}

/// True when `data` is a record made by [`extract`].
pub fn is_record(data: &[u8]) -> bool {
    data.starts_with(TAG)
}

/// Packages from an [`extract`] record of the archive at `path`.
pub fn parse(data: &[u8], path: &str, layer: usize, warnings: &mut Vec<String>) -> Vec<Package> {
    let Some(json) = data.strip_prefix(TAG) else {
        return Vec::new();
    };
    let Ok(rec) = serde_json::from_slice::<Record>(json) else {
        return Vec::new();
    };
    warnings.extend(rec.warnings.iter().map(|w| format!("/{path}{w}")));
    let mut out: Vec<Package> = rec
        .packages
        .iter()
        .map(|(n, v, loc)| Package::new(PackageKind::Java, n, v, &format!("{path}{loc}"), layer))
        .collect();
    // The archive's own name is the last fallback, known only here.
    if out.is_empty() {
        if let Some((n, v)) = from_file_name(path) {
            out.push(Package::new(PackageKind::Java, &n, &v, path, layer));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn jar(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut z = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (n, d) in entries {
            z.start_file(*n, zip::write::SimpleFileOptions::default())
                .unwrap();
            z.write_all(d).unwrap();
        }
        z.finish().unwrap().into_inner()
    }

    #[test]
    fn pom_properties_nested_and_fallbacks() {
        let inner = jar(&[(
            "META-INF/maven/org.apache.logging.log4j/log4j-core/pom.properties",
            b"groupId=org.apache.logging.log4j\nartifactId=log4j-core\nversion=2.14.1\n",
        )]);
        let outer = jar(&[
            (
                "META-INF/MANIFEST.MF",
                b"Implementation-Title: app\nImplementation-Version: 1.0\n",
            ),
            ("WEB-INF/lib/log4j-core-2.14.1.jar", &inner),
        ]);
        let rec = extract(&outer).unwrap();
        let mut w = Vec::new();
        let p = parse(&rec, "srv/app.war", 0, &mut w);
        let got: Vec<(&str, &str)> = p
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("app", "1.0"),
                ("org.apache.logging.log4j:log4j-core", "2.14.1")
            ]
        );
        assert_eq!(p[1].location, "/srv/app.war!WEB-INF/lib/log4j-core-2.14.1.jar!META-INF/maven/org.apache.logging.log4j/log4j-core/pom.properties");
        assert!(w.is_empty());
        // No metadata at all: the file name.
        let bare = jar(&[("x/Y.class", b"cafe")]);
        let p = parse(
            &extract(&bare).unwrap(),
            "lib/commons-text-1.9.jar",
            0,
            &mut w,
        );
        assert_eq!(
            (p[0].name.as_str(), p[0].version.as_str()),
            ("commons-text", "1.9")
        );
    }

    #[test]
    fn nested_twenty_deep_stops_with_a_warning() {
        let mut j = jar(&[(
            "META-INF/maven/g/a/pom.properties",
            b"groupId=g\nartifactId=a\nversion=1\n",
        )]);
        for _ in 0..20 {
            j = jar(&[("inner.jar", &j)]);
        }
        let mut w = Vec::new();
        let p = parse(&extract(&j).unwrap(), "deep.jar", 0, &mut w);
        assert!(
            p.iter().all(|p| p.name != "g:a"),
            "the innermost jar is beyond the depth limit"
        );
        assert!(w.iter().any(|x| x.contains("nested more than")), "{w:?}");
    }

    #[test]
    fn large_entry_and_garbage() {
        let big = vec![0u8; 1 << 20];
        let bomb = jar(&[("META-INF/MANIFEST.MF", &big)]);
        assert!(bomb.len() < 100_000, "compresses well");
        assert!(extract(&bomb).is_some());
        assert!(extract(b"PK\x03\x04 not really a zip")
            .is_some_and(|r| String::from_utf8_lossy(&r).contains("not a readable Java archive")));
        assert!(extract(b"not a zip").is_none());
    }
}
