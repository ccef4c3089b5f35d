//! Alpine's installed database, `/lib/apk/db/installed`.

use crate::{paragraphs, Inventory, Package, PackageKind};

/// Parses the apk installed database and appends its packages.
pub fn parse_into(data: &[u8], location: &str, layer: Option<usize>, inv: &mut Inventory) {
    let text = String::from_utf8_lossy(data);
    for (i, para) in paragraphs(&text).into_iter().enumerate() {
        let get = |k: &str| para.iter().find(|(x, _)| x == k).map(|(_, v)| v.as_str());
        let (Some(name), Some(version)) = (get("P"), get("V")) else {
            inv.warnings.push(format!(
                "{location}: entry {} has no P: or V: line; skipped",
                i + 1
            ));
            continue;
        };
        if name.is_empty() || version.is_empty() {
            inv.warnings.push(format!(
                "{location}: entry {} has an empty name or version; skipped",
                i + 1
            ));
            continue;
        }
        let origin = get("o").filter(|o| !o.is_empty()).unwrap_or(name);
        inv.packages.push(Package {
            name: name.to_string(),
            version: version.to_string(),
            source_name: origin.to_string(),
            source_version: version.to_string(),
            arch: get("A").unwrap_or("").to_string(),
            kind: PackageKind::Apk,
            location: location.to_string(),
            layer,
        });
    }
}

/// Files the installed packages own (`F:` directory + `R:` file lines), without leading `/`.
pub fn owned_files(data: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(data);
    let mut dir = String::new();
    let mut out = Vec::new();
    for line in text.lines() {
        if let Some(d) = line.strip_prefix("F:") {
            dir = d.trim_matches('/').to_string();
            out.push(dir.clone());
        } else if let Some(f) = line.strip_prefix("R:") {
            out.push(if dir.is_empty() {
                f.to_string()
            } else {
                format!("{dir}/{f}")
            });
        } else if line.is_empty() {
            dir.clear();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn installed_db() {
        let s = b"C:Q1abc=\nP:libcrypto1.1\nV:1.1.1d-r2\nA:x86_64\no:openssl\n\nP:musl\nV:1.1.22-r3\n\nV:1.0\n";
        let mut inv = Inventory::default();
        parse_into(s, "/lib/apk/db/installed", Some(0), &mut inv);
        assert_eq!(inv.packages.len(), 2);
        assert_eq!(inv.packages[0].source_name, "openssl");
        assert_eq!(inv.packages[1].source_name, "musl");
        assert_eq!(inv.warnings.len(), 1);
    }
}
