//! A fault-injecting proxy in front of the real fixture registry: each fault
//! must end in a clear error (or a successful retry), never a panic.

mod common;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use common::*;

#[derive(Clone, Copy, PartialEq)]
enum Fault {
    /// First request for every path answers 500.
    ServerErrorOnce,
    /// Layer blobs are cut off mid-transfer (Content-Length promises more).
    TruncateBlob,
    /// One byte of each layer blob is flipped.
    CorruptBlob,
    /// Manifests are not JSON.
    ManifestNotJson,
}

/// Starts the proxy on an ephemeral port; returns its address.
fn proxy(fault: Fault) -> String {
    let seen = Arc::new(Mutex::new(HashSet::<String>::new()));
    let http = reqwest::Client::new();
    http_server(move |head| {
        let seen = seen.clone();
        let http = http.clone();
        Box::pin(async move {
            let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
            let header = |name: &str| {
                head.lines().find_map(|l| {
                    l.split_once(':')
                        .filter(|(k, _)| k.eq_ignore_ascii_case(name))
                        .map(|(_, v)| v.trim().to_string())
                })
            };
            if fault == Fault::ServerErrorOnce && seen.lock().unwrap().insert(path.clone()) {
                return reply("500 Internal Server Error", "text/plain", b"");
            }
            let mut req = http.get(format!("http://127.0.0.1:5055{path}"));
            if let Some(a) = header("accept") {
                req = req.header("accept", a);
            }
            let resp = req.send().await.unwrap();
            let status = resp.status().as_u16();
            let ct = resp
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("application/octet-stream")
                .to_string();
            let mut body = resp.bytes().await.unwrap().to_vec();
            let is_layer = path.contains("/blobs/") && body.len() > 100_000;
            match fault {
                Fault::TruncateBlob if is_layer => {
                    // Promise the whole blob, send half, hang up.
                    let mut r = format!("HTTP/1.1 {status} X\r\nContent-Type: {ct}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len()).into_bytes();
                    r.extend_from_slice(&body[..body.len() / 2]);
                    return r;
                }
                Fault::CorruptBlob if is_layer => {
                    let i = body.len() / 2;
                    body[i] ^= 0xff;
                }
                Fault::ManifestNotJson if path.contains("/manifests/") => {
                    body = b"<html>this is not a manifest</html>".to_vec()
                }
                _ => {}
            }
            reply(&format!("{status} X"), &ct, &body)
        })
    })
}

fn run(fault: Fault) -> std::process::Output {
    let addr = proxy(fault);
    let cache = tempfile::tempdir().unwrap();
    bin()
        .args([
            "image",
            "--insecure",
            "--no-cache",
            "--no-match",
            "--format",
            "json",
            "--timeout",
            "10",
        ])
        .arg(format!("{addr}/fixtures/alpine:3.10.9"))
        .env("DRYDOCK_CACHE_DIR", cache.path())
        .output()
        .unwrap()
}

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn registry_500_then_200_is_retried() {
    let o = run(Fault::ServerErrorOnce);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["os"]["version_id"], "3.10.9");
}

#[test]
fn truncated_blob_is_a_clear_error() {
    let o = run(Fault::TruncateBlob);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(
        e.contains("transfer failed") || e.contains("truncated"),
        "{e}"
    );
    assert!(!e.contains("panicked"), "{e}");
}

#[test]
fn digest_mismatch_is_a_clear_error() {
    let o = run(Fault::CorruptBlob);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(
        e.contains("digest mismatch") || e.contains("corrupt deflate") || e.contains("invalid"),
        "{e}"
    );
    assert!(!e.contains("panicked"), "{e}");
}

#[test]
fn manifest_that_is_not_json_is_a_clear_error() {
    let o = run(Fault::ManifestNotJson);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(
        e.contains("bad manifest") && e.contains("not valid JSON"),
        "{e}"
    );
}

#[test]
fn wrong_credentials_are_refused_clearly() {
    for reg in ["127.0.0.1:5057", "127.0.0.1:5058"] {
        let cache = tempfile::tempdir().unwrap();
        let o = bin()
            .args([
                "image",
                "--insecure",
                "--no-match",
                "--username",
                "reader",
                "--password",
                "wrong",
            ])
            .arg(format!("{reg}/fixtures/python-old:1"))
            .env("DRYDOCK_CACHE_DIR", cache.path())
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2));
        assert!(stderr(&o).contains("unauthorized"), "{reg}: {}", stderr(&o));
    }
}
