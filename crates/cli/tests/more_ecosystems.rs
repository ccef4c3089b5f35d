//! Java, Ruby, PHP and .NET packages end to end: the test builds a real OCI
//! image (layer tarball, config, manifest), pushes it to the fixture registry
//! with skopeo and scans it.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::Command;

use common::*;
use sha2::{Digest, Sha256};

fn jar(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (n, d) in entries {
        z.start_file(*n, zip::write::SimpleFileOptions::default())
            .unwrap();
        z.write_all(d).unwrap();
    }
    z.finish().unwrap().into_inner()
}

fn blob(layout: &Path, data: &[u8]) -> String {
    let hex = hex::encode(Sha256::digest(data));
    std::fs::write(layout.join("blobs/sha256").join(&hex), data).unwrap();
    format!("sha256:{hex}")
}

/// Writes a one-layer OCI image layout with `files` and returns its directory.
fn oci_image(dir: &Path, files: &[(&str, Vec<u8>)]) {
    std::fs::create_dir_all(dir.join("blobs/sha256")).unwrap();
    let mut tar = tar::Builder::new(Vec::new());
    for (path, data) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        tar.append_data(&mut h, path, &data[..]).unwrap();
    }
    let raw = tar.into_inner().unwrap();
    let diff_id = format!("sha256:{}", hex::encode(Sha256::digest(&raw)));
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&raw).unwrap();
    let layer = gz.finish().unwrap();
    let layer_digest = blob(dir, &layer);
    let config = serde_json::json!({"architecture":"amd64","os":"linux","config":{},"rootfs":{"type":"layers","diff_ids":[diff_id]}}).to_string();
    let config_digest = blob(dir, config.as_bytes());
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config.len()},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": layer_digest, "size": layer.len()}]
    })
    .to_string();
    let manifest_digest = blob(dir, manifest.as_bytes());
    std::fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    let index = serde_json::json!({"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":manifest_digest,"size":manifest.len(),"annotations":{"org.opencontainers.image.ref.name":"1"}}]});
    std::fs::write(dir.join("index.json"), index.to_string()).unwrap();
}

#[test]
fn java_ruby_php_dotnet_through_the_registry() {
    let log4j = jar(&[(
        "META-INF/maven/org.apache.logging.log4j/log4j-core/pom.properties",
        b"groupId=org.apache.logging.log4j\nartifactId=log4j-core\nversion=2.14.1\n",
    )]);
    let war = jar(&[
        (
            "META-INF/MANIFEST.MF",
            b"Manifest-Version: 1.0\nImplementation-Title: shop\nImplementation-Version: 3.1\n",
        ),
        ("WEB-INF/lib/log4j-core-2.14.1.jar", &log4j),
    ]);
    let gemspec = b"Gem::Specification.new do |s|\n  s.name = \"rack\".freeze\n  s.version = \"2.2.3\"\nend\n".to_vec();
    let composer = br#"{"packages":[{"name":"guzzlehttp/psr7","version":"1.8.1"}]}"#.to_vec();
    let deps = br#"{"libraries":{"Shop/1.0.0":{"type":"project"},"Newtonsoft.Json/12.0.1":{"type":"package"}}}"#.to_vec();
    let layout = tempfile::tempdir().unwrap();
    oci_image(
        layout.path(),
        &[
            ("srv/shop.war", war),
            (
                "usr/lib/ruby/gems/3.1.0/specifications/rack-2.2.3.gemspec",
                gemspec,
            ),
            ("var/www/vendor/composer/installed.json", composer),
            ("app/Shop.deps.json", deps),
        ],
    );
    let pushed = Command::new("skopeo")
        .args(["copy", "-q", "--dest-tls-verify=false"])
        .arg(format!("oci:{}:1", layout.path().display()))
        .arg("docker://127.0.0.1:5055/tests/ecosystems:1")
        .status()
        .expect("skopeo (installed by the fixture script)");
    assert!(pushed.success());
    let cache = tempfile::tempdir().unwrap();
    let (out, rep) = scan("127.0.0.1:5055/tests/ecosystems:1", &[], cache.path());
    let rep = rep.unwrap_or_else(|| panic!("{}", String::from_utf8_lossy(&out.stderr)));
    let java = packages(&rep, "java");
    assert!(
        java.contains(&(
            "org.apache.logging.log4j:log4j-core".into(),
            "2.14.1".into()
        )),
        "{java:?}"
    );
    assert!(java.contains(&("shop".into(), "3.1".into())), "{java:?}");
    assert!(packages(&rep, "gem").contains(&("rack".into(), "2.2.3".into())));
    assert!(packages(&rep, "php-composer").contains(&("guzzlehttp/psr7".into(), "1.8.1".into())));
    assert!(packages(&rep, "dotnet").contains(&("Newtonsoft.Json".into(), "12.0.1".into())));
    let f = rep["findings"].as_array().unwrap();
    let log4shell = f
        .iter()
        .find(|x| x["id"] == "CVE-2021-44228")
        .expect("Log4Shell found");
    assert_eq!(log4shell["severity"], "CRITICAL");
    assert_eq!(log4shell["fixed_version"], "2.15.0");
    assert!(log4shell["aliases"]
        .as_array()
        .unwrap()
        .contains(&"GHSA-jfh8-c2jp-5v3q".into()));
    assert_eq!(log4shell["kind"], "java");
    assert!(
        f.iter()
            .any(|x| x["package"] == "rack" && x["id"] == "CVE-2022-44570"),
        "RubySec finding for rack 2.2.3"
    );
    // ../shared has no NuGet or Packagist advisories: the scan says so instead of implying "clean".
    assert_eq!(
        rep["warnings"],
        serde_json::json!([
            "the vulnerability DB has no advisories for nuget",
            "the vulnerability DB has no advisories for packagist"
        ])
    );
}
