//! dpkg databases: `/var/lib/dpkg/status` and distroless `status.d/*`.

use crate::{paragraphs, Inventory, Package, PackageKind};

/// Parses one dpkg database file and appends its installed packages.
///
/// `require_status`: the main status file lists removed and half-installed
/// packages too, so only `Status: ... installed` counts there; distroless
/// `status.d` files carry no Status field and every entry is installed.
pub fn parse_into(
    data: &[u8],
    location: &str,
    layer: Option<usize>,
    require_status: bool,
    inv: &mut Inventory,
) {
    let text = String::from_utf8_lossy(data);
    for (i, para) in paragraphs(&text).into_iter().enumerate() {
        let get = |k: &str| {
            para.iter()
                .find(|(x, _)| x.eq_ignore_ascii_case(k))
                .map(|(_, v)| v.as_str())
        };
        let (Some(name), Some(version)) = (get("Package"), get("Version")) else {
            inv.warnings.push(format!(
                "{location}: entry {} has no Package or Version field; skipped",
                i + 1
            ));
            continue;
        };
        if name.is_empty() || version.is_empty() || name.contains(char::is_whitespace) {
            inv.warnings.push(format!(
                "{location}: entry {} has a malformed Package/Version; skipped",
                i + 1
            ));
            continue;
        }
        match get("Status") {
            Some(s) if s.split_whitespace().nth(2) != Some("installed") => continue,
            None if require_status => continue,
            _ => {}
        }
        let (source_name, source_version) = match get("Source") {
            Some(src) if !src.is_empty() => match src.split_once('(') {
                Some((n, v)) => (
                    n.trim().to_string(),
                    v.trim_end_matches(')').trim().to_string(),
                ),
                None => (src.trim().to_string(), version.to_string()),
            },
            _ => (name.to_string(), version.to_string()),
        };
        inv.packages.push(Package {
            name: name.to_string(),
            version: version.to_string(),
            source_name,
            source_version,
            arch: get("Architecture").unwrap_or("").to_string(),
            kind: PackageKind::Deb,
            location: location.to_string(),
            layer,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_file() {
        let s = b"Package: libssl3\nStatus: install ok installed\nSource: openssl (3.0.11-1~deb12u2)\nVersion: 3.0.11-1~deb12u2+b1\nArchitecture: amd64\nDescription: x\n continuation\n\nPackage: gone\nStatus: deinstall ok config-files\nVersion: 1\n\nPackage: tar\nStatus: install ok installed\nVersion: 1.34+dfsg-1.2\n\nGarbage: no package here\n";
        let mut inv = Inventory::default();
        parse_into(s, "/var/lib/dpkg/status", Some(0), true, &mut inv);
        assert_eq!(inv.packages.len(), 2);
        let ssl = &inv.packages[0];
        assert_eq!(
            (ssl.source_name.as_str(), ssl.source_version.as_str()),
            ("openssl", "3.0.11-1~deb12u2")
        );
        let tar = &inv.packages[1];
        assert_eq!(
            (tar.source_name.as_str(), tar.source_version.as_str()),
            ("tar", "1.34+dfsg-1.2")
        );
        assert_eq!(inv.warnings.len(), 1);
    }
}
