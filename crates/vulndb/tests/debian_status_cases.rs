//! The tracker status cases of ../shared/vulndb/debian-tracker-cve-json-slice,
//! imported and matched, each with its documented outcome.

use std::collections::BTreeMap;
use std::path::Path;

use drydock_vulndb::feeds::DEBIAN_ALL_RELEASES;
use drydock_vulndb::{FixState, Severity};

fn shared() -> std::path::PathBuf {
    std::env::var_os("DRYDOCK_SHARED")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"))
}

#[test]
fn cve_list_slice_outcomes() {
    let tmp = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(
        shared().join("vulndb/debian-tracker-cve-json-slice"),
        tmp.path().join("debian-tracker-cve-json-slice"),
    )
    .unwrap();
    let db = drydock_vulndb::import::import_dir(tmp.path()).unwrap();
    let all = &db.advisories[DEBIAN_ALL_RELEASES];
    let get = |ns: &str, pkg: &str, id: &str| {
        db.advisories
            .get(ns)
            .and_then(|m| m.get(pkg))
            .and_then(|v| v.iter().find(|a| a.id == id))
            .cloned()
    };
    // <unfixed> (unimportant): affected everywhere, vendor severity NEGLIGIBLE.
    let tar = get(DEBIAN_ALL_RELEASES, "tar", "CVE-2005-2541").unwrap();
    assert_eq!(tar.state, FixState::Unfixed);
    assert_eq!(tar.vendor_severity.unwrap().severity, Severity::Negligible);
    // Fixed in sid at a version, with DSA/DLA cross references as aliases.
    let zlib = get(DEBIAN_ALL_RELEASES, "zlib", "CVE-2022-37434").unwrap();
    assert_eq!(
        zlib.state,
        FixState::Fixed {
            version: "1:1.2.11.dfsg-4.1".into()
        }
    );
    assert_eq!(
        zlib.aliases,
        vec!["DSA-5218-1".to_string(), "DLA-3103-1".to_string()]
    );
    // <no-dsa> for one release overrides the all-releases fix.
    let ncurses = get("debian:12", "ncurses", "CVE-2023-50495").unwrap();
    assert_eq!(
        ncurses.state,
        FixState::NoDsa {
            reason: "Minor issue".into()
        }
    );
    // <not-affected> for a release shadows the all-releases record (matcher drops version "0").
    let sqlite_11 = get("debian:11", "sqlite3", "CVE-2024-0232").unwrap();
    assert_eq!(
        sqlite_11.state,
        FixState::Fixed {
            version: "0".into()
        }
    );
    assert!(all.contains_key("glibc"));

    // Through the matcher: a bookworm image with the affected source packages.
    let pkg = |name: &str, src: &str, ver: &str| drydock_catalog::Package {
        name: name.into(),
        version: ver.into(),
        source_name: src.into(),
        source_version: ver.into(),
        arch: "amd64".into(),
        kind: drydock_catalog::PackageKind::Deb,
        location: "/var/lib/dpkg/status".into(),
        layer: Some(0),
    };
    let pkgs = vec![
        pkg("libsqlite3-0", "sqlite3", "3.40.1-2"),
        pkg("zlib1g", "zlib", "1:1.2.13.dfsg-1"),
        pkg("tar", "tar", "1.34+dfsg-1.2"),
    ];
    let ns12 = db.advisories.get("debian:12").cloned().unwrap_or_default();
    let (f, w) =
        drydock_matcher::match_packages("debian:12", &pkgs, &ns12, Some(all), &BTreeMap::new());
    assert!(w.is_empty(), "{w:?}");
    let ids: Vec<(&str, &str)> = f
        .iter()
        .map(|x| (x.package.as_str(), x.id.as_str()))
        .collect();
    assert!(
        ids.contains(&("libsqlite3-0", "CVE-2024-0232")),
        "no-dsa in bookworm is reported: {ids:?}"
    );
    assert!(ids.contains(&("tar", "CVE-2005-2541")));
    assert!(
        !ids.iter().any(|x| x.1 == "CVE-2022-37434"),
        "zlib 1.2.13 is past the fix: {ids:?}"
    );
    let (f11, _) = drydock_matcher::match_packages(
        "debian:11",
        &pkgs,
        &db.advisories["debian:11"],
        Some(all),
        &BTreeMap::new(),
    );
    assert!(
        !f11.iter().any(|x| x.id == "CVE-2024-0232"),
        "not-affected in bullseye"
    );
}
