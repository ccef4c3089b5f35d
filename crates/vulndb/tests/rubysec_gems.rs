//! RubySec advisories from ../shared, matched with RubyGems requirements.

use std::collections::BTreeMap;
use std::path::Path;

#[test]
fn rack_requirements() {
    let shared = std::env::var_os("DRYDOCK_SHARED")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"));
    let tmp = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(shared.join("vulndb/rubysec"), tmp.path().join("rubysec")).unwrap();
    let db = drydock_vulndb::import::import_dir(tmp.path()).unwrap();
    assert!(db
        .feeds
        .iter()
        .any(|f| f.name == "rubysec" && f.records > 1000));
    let pkg = |v: &str| drydock_catalog::Package {
        name: "rack".into(),
        version: v.into(),
        source_name: "rack".into(),
        source_version: v.into(),
        arch: String::new(),
        kind: drydock_catalog::PackageKind::Gem,
        location: "/usr/lib/ruby/gems/3.1.0/specifications/rack.gemspec".into(),
        layer: Some(0),
    };
    let (f, w) = drydock_matcher::match_packages(
        "rubygems",
        &[pkg("2.2.3"), pkg("3.0.4.1")],
        &db.advisories["rubygems"],
        None,
        &BTreeMap::new(),
    );
    assert!(w.is_empty(), "{w:?}");
    let hit = |v: &str, id: &str| {
        f.iter()
            .find(|x| x.installed_version == v && (x.id == id || x.aliases.iter().any(|a| a == id)))
    };
    let x = hit("2.2.3", "CVE-2022-44570").expect("rack 2.2.3 is affected");
    assert_eq!(x.fixed_version.as_deref(), Some("2.2.6.2"));
    assert!(x.aliases.contains(&"GHSA-65f5-mfpf-vfhj".to_string()));
    assert!(
        hit("3.0.4.1", "CVE-2022-44570").is_none(),
        "3.0.4.1 is patched"
    );
}
