//! The real GHSA record for Log4Shell, matched with Maven ordering.

use std::collections::BTreeMap;
use std::path::Path;

#[test]
fn log4j_core_2_14_1_is_log4shell() {
    let shared = std::env::var_os("DRYDOCK_SHARED")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"));
    let p = shared.join("vulndb/ghsa-slice/advisories/github-reviewed/2021/12/GHSA-jfh8-c2jp-5v3q/GHSA-jfh8-c2jp-5v3q.json");
    let parsed =
        drydock_vulndb::feeds::osv::parse(&std::fs::read(p).unwrap(), false, "ghsa").unwrap();
    let mut db = drydock_vulndb::Db::default();
    for (ns, a) in parsed.records {
        db.add(&ns, a);
    }
    let pkg = |v: &str| drydock_catalog::Package {
        name: "org.apache.logging.log4j:log4j-core".into(),
        version: v.into(),
        source_name: "org.apache.logging.log4j:log4j-core".into(),
        source_version: v.into(),
        arch: String::new(),
        kind: drydock_catalog::PackageKind::Java,
        location: "/app.jar".into(),
        layer: Some(0),
    };
    let maven = &db.advisories["maven"];
    let (f, w) = drydock_matcher::match_packages(
        "maven",
        &[pkg("2.14.1"), pkg("2.17.1"), pkg("2.0-beta9")],
        maven,
        None,
        &BTreeMap::new(),
    );
    assert!(w.is_empty(), "{w:?}");
    let hits: Vec<(&str, &str, Option<&str>)> = f
        .iter()
        .map(|x| {
            (
                x.installed_version.as_str(),
                x.id.as_str(),
                x.fixed_version.as_deref(),
            )
        })
        .collect();
    assert!(
        hits.contains(&("2.14.1", "CVE-2021-44228", Some("2.15.0"))),
        "{hits:?}"
    );
    assert!(
        hits.iter().any(|h| h.0 == "2.0-beta9"),
        "2.0-beta9 is inside the range: {hits:?}"
    );
    assert!(!hits.iter().any(|h| h.0 == "2.17.1"), "{hits:?}");
    assert_eq!(
        f[0].severity,
        drydock_vulndb::Severity::Critical,
        "GHSA rates it critical"
    );
}
