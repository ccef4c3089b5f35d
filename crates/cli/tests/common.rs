//! Shared test harness: paths, the fixture manifest, one imported DB per test binary.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use serde_json::Value;

/// `../shared` beside the repo, or `$DRYDOCK_SHARED`.
pub fn shared() -> PathBuf {
    std::env::var_os("DRYDOCK_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"))
}

/// The fixture manifest written by `shared/fixtures/build-fixtures.sh`.
pub fn fixtures() -> Value {
    let p = std::env::var_os("DRYDOCK_FIXTURE_MANIFEST")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/var/tmp/drydock-fixtures/out/fixtures.json"));
    let raw = std::fs::read(&p).unwrap_or_else(|e| {
        panic!("{}: {e}\nstart the fixture registries first: bash ../shared/fixtures/build-fixtures.sh (scripts/test.sh does)", p.display())
    });
    serde_json::from_slice(&raw).expect("fixtures.json")
}

/// Folder with the fixture script's outputs (syft lists, dpkg-query lists).
pub fn fixture_root() -> PathBuf {
    PathBuf::from(
        std::env::var("FIXTURE_ROOT").unwrap_or_else(|_| "/var/tmp/drydock-fixtures".into()),
    )
}

pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_drydock"))
}

/// A DB imported once from `../shared/vulndb` for this test binary.
pub fn db_dir() -> &'static Path {
    static DB: OnceLock<PathBuf> = OnceLock::new();
    DB.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("drydock-test-db-{}", std::process::id()));
        let out = bin()
            .args(["db", "import"])
            .arg(shared().join("vulndb"))
            .env("DRYDOCK_DB_DIR", &dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "db import failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        dir
    })
}

/// Registry credentials for a fixture registry (reader on the auth registries).
pub fn creds(registry: &str) -> Option<(&'static str, &'static str)> {
    (registry.ends_with(":5057") || registry.ends_with(":5058")).then_some(("reader", "r3ader"))
}

/// Runs `drydock image --format json` and returns (output, parsed report if it succeeded).
pub fn scan(reference: &str, extra: &[&str], cache: &Path) -> (Output, Option<Value>) {
    let registry = reference.split('/').next().unwrap_or("");
    let mut c = bin();
    c.args(["image", "--insecure", "--format", "json"])
        .args(extra)
        .arg(reference);
    c.env("DRYDOCK_DB_DIR", db_dir())
        .env("DRYDOCK_CACHE_DIR", cache)
        .env("HOME", cache);
    if let Some((u, p)) = creds(registry) {
        c.env("DRYDOCK_USERNAME", u).env("DRYDOCK_PASSWORD", p);
    }
    let out = c.output().unwrap();
    let v = out
        .status
        .success()
        .then(|| serde_json::from_slice(&out.stdout).expect("report JSON"));
    (out, v)
}

pub fn reference(img: &Value) -> String {
    format!(
        "{}/{}:{}",
        img["registry"].as_str().unwrap(),
        img["repository"].as_str().unwrap(),
        img["tag"].as_str().unwrap()
    )
}

/// The Alpine images (minirootfs and docker-save) of the fixture manifest.
pub fn alpine_images(f: &Value) -> impl Iterator<Item = &Value> {
    f["images"]
        .as_array()
        .expect("images")
        .iter()
        .filter(|i| i["repository"].as_str().unwrap_or("").contains("alpine"))
}

/// The set of (name, version) of the report's packages of one kind (`deb`, `python`...).
pub fn packages(report: &Value, kind: &str) -> std::collections::BTreeSet<(String, String)> {
    report["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["kind"] == kind)
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_string(),
                p["version"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Reads an HTTP/1.1 request head (up to the blank line); `None` if the peer hung up.
pub async fn read_request_head(sock: &mut tokio::net::TcpStream) -> Option<String> {
    use tokio::io::AsyncReadExt;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        match sock.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    Some(String::from_utf8_lossy(&buf).into_owned())
}

/// A response the test server writes verbatim (status line, headers, body); it
/// may promise more body than it sends, to simulate a cut transfer.
pub type RawResponse = std::pin::Pin<Box<dyn std::future::Future<Output = Vec<u8>> + Send>>;

/// Runs a minimal HTTP/1.1 server on an ephemeral loopback port in its own
/// thread; `respond` gets each request head and returns the raw reply.
/// Returns `host:port`.
pub fn http_server(respond: impl Fn(String) -> RawResponse + Send + Sync + 'static) -> String {
    use tokio::io::AsyncWriteExt;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    listener.set_nonblocking(true).unwrap();
    let respond = std::sync::Arc::new(respond);
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            loop {
                let Ok((mut sock, _)) = listener.accept().await else {
                    continue;
                };
                let respond = respond.clone();
                tokio::spawn(async move {
                    let Some(head) = read_request_head(&mut sock).await else {
                        return;
                    };
                    let reply = respond(head).await;
                    let _ = sock.write_all(&reply).await;
                    let _ = sock.shutdown().await;
                });
            }
        });
    });
    addr
}

/// A complete HTTP/1.1 reply with `Connection: close`.
pub fn reply(status: &str, content_type: &str, body: &[u8]) -> Vec<u8> {
    let mut r = format!("HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len()).into_bytes();
    r.extend_from_slice(body);
    r
}

/// Serves the files under `root` over plain HTTP (GET only, query strings
/// ignored, 404 for missing files); returns `host:port`.
pub fn serve_dir(root: PathBuf) -> String {
    http_server(move |head| {
        let path = head.split_whitespace().nth(1).unwrap_or("/");
        let path = path
            .split('?')
            .next()
            .unwrap_or("")
            .trim_start_matches('/')
            .to_string();
        let file = root.join(&path);
        Box::pin(async move {
            match (path.contains(".."), std::fs::read(&file)) {
                (false, Ok(body)) if file.is_file() => {
                    reply("200 OK", "application/octet-stream", &body)
                }
                _ => reply("404 Not Found", "text/plain", b""),
            }
        })
    })
}

/// Every id of a finding: its id and its aliases.
pub fn ids_of(finding: &Value) -> std::collections::BTreeSet<String> {
    std::iter::once(finding["id"].as_str().unwrap().to_string())
        .chain(
            finding["aliases"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|a| a.as_str().unwrap().to_string()),
        )
        .collect()
}
