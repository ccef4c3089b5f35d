//! `drydock db update` against a local mirror of the feeds (never the internet in tests).

mod common;

use std::path::Path;

use common::*;

fn copy(from: &Path, to: &Path) {
    std::fs::create_dir_all(to.parent().unwrap()).unwrap();
    std::fs::copy(from, to).unwrap_or_else(|e| panic!("{}: {e}", from.display()));
}

/// A mirror with the same URL layout as the upstream servers, filled from ../shared at run time.
fn mirror() -> (tempfile::TempDir, String) {
    let m = tempfile::tempdir().unwrap();
    let v = shared().join("vulndb");
    for repo in ["main", "community"] {
        copy(
            &v.join(format!("alpine-secdb/v3.10/{repo}.json")),
            &m.path().join(format!("alpine/v3.10/{repo}.json")),
        );
    }
    copy(
        &v.join("debian-tracker-json-sample/debian.json"),
        &m.path().join("tracker/data/json"),
    );
    for k in ["DSA", "DLA"] {
        copy(
            &v.join(format!("debian-tracker/data/{k}/list")),
            &m.path().join(format!("lists/{k}/list")),
        );
    }
    copy(
        &v.join("debian-oval/debian/oval-definitions-bookworm.xml.bz2"),
        &m.path().join("oval/oval-definitions-bookworm.xml.bz2"),
    );
    // One NVD API 2.0 page, in NVD's own shape.
    let nvd = r#"{"resultsPerPage":1,"startIndex":0,"totalResults":1,"format":"NVD_CVE","version":"2.0","vulnerabilities":[{"cve":{"id":"CVE-2020-1967","descriptions":[{"lang":"en","value":"Server or client applications that call SSL_check_chain() may crash."}],"metrics":{"cvssMetricV31":[{"source":"nvd@nist.gov","type":"Primary","cvssData":{"version":"3.1","vectorString":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H","baseScore":7.5,"baseSeverity":"HIGH"}}]}}}]}"#;
    std::fs::create_dir_all(m.path().join("nvd")).unwrap();
    std::fs::write(m.path().join("nvd/cves"), nvd).unwrap();
    // OSV's per-ecosystem bucket archive, built from two real RustSec OSV records.
    std::fs::create_dir_all(m.path().join("osv/crates.io")).unwrap();
    let f = std::fs::File::create(m.path().join("osv/crates.io/all.zip")).unwrap();
    let mut z = zip::ZipWriter::new(f);
    for id in ["RUSTSEC-2021-0003", "RUSTSEC-2022-0013"] {
        z.start_file(
            format!("{id}.json"),
            zip::write::SimpleFileOptions::default(),
        )
        .unwrap();
        std::io::Write::write_all(
            &mut z,
            &std::fs::read(v.join(format!("osv-rustsec/crates/{id}.json"))).unwrap(),
        )
        .unwrap();
    }
    z.finish().unwrap();
    let addr = serve_dir(m.path().to_path_buf());
    (m, addr)
}

fn update(addr: &str, db: &Path, tracker: &str) -> std::process::Output {
    bin()
        .args([
            "db",
            "update",
            "--alpine-branches",
            "v3.10,v3.99",
            "--debian-oval-releases",
            "bookworm",
            "--nvd-delay",
            "0",
        ])
        .args(["--alpine-url", &format!("http://{addr}/alpine")])
        .args(["--debian-tracker-url", &format!("http://{addr}/{tracker}")])
        .args(["--debian-lists-url", &format!("http://{addr}/lists")])
        .args(["--debian-oval-url", &format!("http://{addr}/oval")])
        .args(["--nvd-url", &format!("http://{addr}/nvd/cves")])
        .args([
            "--osv-url",
            &format!("http://{addr}/osv"),
            "--osv-ecosystems",
            "crates.io",
        ])
        .env("DRYDOCK_DB_DIR", db)
        .output()
        .unwrap()
}

#[test]
fn update_from_a_mirror_then_scan() {
    let (_m, addr) = mirror();
    let db = tempfile::tempdir().unwrap();
    let out = update(&addr, db.path(), "tracker/data/json");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("v3.99/main.json (404, skipped)"),
        "a missing branch is skipped: {err}"
    );
    let status = bin()
        .args(["db", "status"])
        .env("DRYDOCK_DB_DIR", db.path())
        .output()
        .unwrap();
    let s = String::from_utf8_lossy(&status.stdout);
    for feed in [
        "alpine-secdb",
        "debian-tracker",
        "debian-dsa",
        "debian-dla",
        "debian-oval",
        "nvd",
    ] {
        assert!(s.contains(feed), "status lacks {feed}:\n{s}");
    }
    assert!(
        s.contains("alpine:v3.10") && s.contains("debian:12") && s.contains("CVSS records: 3"),
        "{s}"
    );
    assert!(
        s.contains("data date 2023-07-14"),
        "OVAL generator date reported: {s}"
    );

    // The NVD score reaches the findings, with its source named.
    let cache = tempfile::tempdir().unwrap();
    let o = bin()
        .args([
            "image",
            "--insecure",
            "--format",
            "json",
            "127.0.0.1:5055/fixtures/alpine-docker-save:3.10",
        ])
        .env("DRYDOCK_DB_DIR", db.path())
        .env("DRYDOCK_CACHE_DIR", cache.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let f = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "CVE-2020-1967")
        .unwrap();
    assert_eq!(f["severity"], "HIGH");
    assert_eq!(f["severity_source"], "nvd CVSS 7.5");
    assert_eq!(
        f["cvss"]["vector"],
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"
    );
}

#[test]
fn failed_update_keeps_the_current_db() {
    let (_m, addr) = mirror();
    let db = tempfile::tempdir().unwrap();
    assert!(update(&addr, db.path(), "tracker/data/json")
        .status
        .success());
    let before = std::fs::read_link(db.path().join("current")).unwrap();
    let out = update(&addr, db.path(), "no/such/tracker");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("404"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        std::fs::read_link(db.path().join("current")).unwrap(),
        before,
        "a failed update must not replace the DB"
    );
}
