//! `drydock serve` end to end: the real binary, the fixture registries, the
//! Prisma Cloud Compute API as its users script it.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

const REGISTRY: &str = "127.0.0.1:5055";
const ADMIN: (&str, &str) = ("admin", "Adm1n-pa55");

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running `drydock serve`, killed on drop.
struct Server {
    child: Child,
    base: String,
    https: Option<String>,
    log: PathBuf,
}

impl Server {
    fn start(data: &Path, https: bool, extra: &[&str]) -> Server {
        Server::start_with(data, https, extra, &[])
    }

    fn start_with(data: &Path, https: bool, extra: &[&str], env: &[(&str, &str)]) -> Server {
        let port = free_port();
        let log = data.with_extension(format!("{port}.log"));
        let mut c = common::bin();
        c.arg("--db-dir")
            .arg(common::db_dir())
            .arg("serve")
            .arg("--data-dir")
            .arg(data)
            .args(["--http-listen", &format!("127.0.0.1:{port}")])
            .args(extra)
            .env("DRYDOCK_ADMIN_PASSWORD", ADMIN.1)
            .env("DRYDOCK_LOG", "info")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap());
        if !extra.contains(&"--scan-interval-hours") {
            c.args(["--scan-interval-hours", "0"]); // scans only on request
        }
        let https_port = free_port();
        if https {
            c.args(["--listen", &format!("127.0.0.1:{https_port}")]);
        } else {
            c.arg("--no-https");
        }
        let child = c.spawn().unwrap();
        let s = Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
            https: https.then(|| format!("https://127.0.0.1:{https_port}")),
            log,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return s;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("drydock serve did not start: {}", s.log_text());
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGKILL: no chance to clean up, as in a crash.
    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

struct Api {
    http: reqwest::Client,
    base: String,
}

impl Api {
    fn new(base: &str) -> Api {
        Api {
            http: reqwest::Client::new(),
            base: base.to_string(),
        }
    }

    async fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> (u16, reqwest::header::HeaderMap, Value) {
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut r = self
            .http
            .request(m, format!("{}{path}", self.base))
            .basic_auth(ADMIN.0, Some(ADMIN.1));
        if let Some(b) = body {
            r = r.json(&b);
        }
        let resp = r.send().await.unwrap();
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap();
        let v = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, headers, v)
    }

    async fn get(&self, path: &str) -> Value {
        let (s, _, v) = self.call("GET", path, None).await;
        assert_eq!(s, 200, "GET {path}: {v}");
        v
    }

    async fn ok(&self, method: &str, path: &str, body: Value) {
        let (s, _, v) = self.call(method, path, Some(body)).await;
        assert_eq!(s, 200, "{method} {path}: {v}");
    }

    async fn progress(&self) -> Vec<Value> {
        self.get("/api/v1/registry/progress")
            .await
            .as_array()
            .unwrap()
            .clone()
    }

    /// Polls regular progress until it stops; returns every sample.
    async fn wait_regular(&self, limit: Duration) -> Vec<Value> {
        let mut samples = Vec::new();
        let deadline = Instant::now() + limit;
        loop {
            let p = self.progress().await;
            let done = !p.is_empty() && p.iter().all(|x| x["isScanOngoing"] == false);
            samples.push(Value::Array(p));
            if done {
                return samples;
            }
            assert!(
                Instant::now() < deadline,
                "regular scan still running: {:?}",
                samples.last()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

fn fixtures_spec() -> Value {
    json!({"specifications": [{"version": "2", "registry": REGISTRY, "repository": "fixtures/*", "tag": "*", "os": "linux"}]})
}

/// Repositories under `fixtures/` and their tags, straight from the registry.
async fn catalog() -> BTreeMap<String, Vec<String>> {
    let http = reqwest::Client::new();
    let get = |path: String| {
        let req = http.get(format!("http://{REGISTRY}/v2/{path}"));
        async move { req.send().await.unwrap().json::<Value>().await.unwrap() }
    };
    let cat = get("_catalog?n=1000".into()).await;
    let mut out = BTreeMap::new();
    for r in cat["repositories"].as_array().unwrap() {
        let r = r.as_str().unwrap();
        if !r.starts_with("fixtures/") {
            continue;
        }
        let tags = get(format!("{r}/tags/list")).await;
        // A repository whose tags were all deleted lists `"tags": null`.
        let tags = tags["tags"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|t| t.as_str().unwrap().to_string())
            .collect();
        out.insert(r.to_string(), tags);
    }
    out
}

/// The set of `fields` tuples of an array of objects.
fn tuples(array: &Value, fields: &[&str]) -> BTreeSet<Vec<String>> {
    array
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            fields
                .iter()
                .map(|f| o[*f].as_str().unwrap().to_string())
                .collect()
        })
        .collect()
}

fn counters(sample: &Value) -> (i64, i64, i64, i64) {
    let p = &sample[0];
    (
        p["discovery"]["scanned"].as_i64().unwrap(),
        p["discovery"]["total"].as_i64().unwrap(),
        p["imageScan"]["scanned"].as_i64().unwrap(),
        p["imageScan"]["total"].as_i64().unwrap(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn regular_scan_progress_reaches_catalog_totals_and_reports_equal_drydock_image() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start(&tmp.path().join("data"), false, &[]);
    let api = Api::new(&server.base);
    assert!(api.progress().await.is_empty(), "no scan yet: no progress");
    api.ok(
        "PUT",
        "/api/v1/settings/registry?scanLater=true",
        fixtures_spec(),
    )
    .await;
    assert!(
        api.progress().await.is_empty(),
        "scanLater saves without scanning"
    );
    api.ok("POST", "/api/v1/registry/scan", json!({})).await;
    let samples = api.wait_regular(Duration::from_secs(600)).await;

    let cat = catalog().await;
    let tags: usize = cat.values().map(Vec::len).sum();
    let last = counters(samples.last().unwrap());
    assert_eq!(
        last,
        (cat.len() as i64, cat.len() as i64, tags as i64, tags as i64),
        "final counters vs the registry catalog"
    );
    let mut prev = (0, 0, 0, 0);
    let mut rising = BTreeSet::new();
    for s in samples
        .iter()
        .filter(|s| s.as_array().is_some_and(|a| !a.is_empty()))
    {
        let c = counters(s);
        assert!(
            c.0 >= prev.0 && c.2 >= prev.2,
            "counters never go back: {prev:?} -> {c:?}"
        );
        assert!(c.0 <= c.1 && c.2 <= c.3, "scanned <= total: {c:?}");
        rising.insert(c.2);
        prev = c;
    }
    assert!(
        rising.len() >= 2,
        "saw the image counter rise, not just its end: {rising:?}"
    );
    let title = samples.last().unwrap()[0]["imageScan"]["title"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(title, format!("Step 2/2 scanning images in registry {REGISTRY}: Scanned {tags}/{tags} images with 1 Defender"));

    let status = api.get("/api/v1/statuses/registry").await;
    assert_eq!(status["completed"], true, "{status}");
    assert_eq!(status["scanning"], false);
    assert_eq!(status["errors"], json!([]), "{status}");

    // Every tag of the catalog is in the results, and each report is what `drydock image` says.
    let names: BTreeSet<String> =
        serde_json::from_value(api.get("/api/v1/registry/names").await).unwrap();
    let want: BTreeSet<String> = cat
        .iter()
        .flat_map(|(r, ts)| ts.iter().map(move |t| format!("{REGISTRY}/{r}:{t}")))
        .collect();
    assert_eq!(names, want);
    let cache = tmp.path().join("cli-cache");
    for name in &names {
        let got = api.get(&format!("/api/v1/registry?name={name}")).await;
        let got = &got.as_array().unwrap()[0];
        let (out, cli) = common::scan(name, &[], &cache);
        let cli = cli.unwrap_or_else(|| {
            panic!(
                "drydock image {name}: {}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
        let api_vulns = tuples(
            &got["vulnerabilities"],
            &["cve", "packageName", "packageVersion"],
        );
        let cli_vulns = tuples(&cli["findings"], &["id", "package", "installed_version"]);
        assert_eq!(
            api_vulns, cli_vulns,
            "{name}: findings differ from drydock image"
        );
        assert_eq!(
            got["vulnerabilitiesCount"].as_u64().unwrap() as usize,
            cli["findings"].as_array().unwrap().len()
        );
        let api_pkgs: Vec<Value> = got["packages"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|g| g["pkgs"].as_array().unwrap().iter().cloned())
            .collect();
        let api_pkgs = tuples(&Value::Array(api_pkgs), &["name", "version"]);
        let cli_pkgs = tuples(&cli["packages"], &["name", "version"]);
        assert_eq!(
            api_pkgs, cli_pkgs,
            "{name}: packages differ from drydock image"
        );
        assert_eq!(got["id"], cli["config"]["id"], "{name}: image id");
    }

    // Pagination: a true Total-Count, pages of at most 50, and /api/vNN.NN serves the same.
    let (s, h, page) = api
        .call(
            "GET",
            "/api/v34.04/registry?limit=500&offset=3&sort=repoTag.repo",
            None,
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(h["total-count"].to_str().unwrap(), names.len().to_string());
    assert_eq!(page.as_array().unwrap().len(), (names.len() - 3).min(50));
    let csv = api
        .call(
            "GET",
            "/api/v1/registry/download?repository=fixtures/debian-apt",
            None,
        )
        .await;
    assert_eq!(csv.1["content-type"], "text/csv");
    assert!(csv
        .2
        .as_str()
        .unwrap()
        .starts_with("Registry,Repository,Tag,Id,Distro,CVE ID"));
}

/// Waits until the regular scan has scanned at least `n` images.
async fn wait_scanned(api: &Api, n: i64) -> (i64, i64, i64, i64) {
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let p = api.progress().await;
        if !p.is_empty() {
            let c = counters(&Value::Array(p.clone()));
            if c.2 >= n {
                return c;
            }
            assert!(
                p[0]["isScanOngoing"] == true,
                "scan ended before {n} images: {p:?}"
            );
        }
        assert!(Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn scan_rules_parallel_refused_stop_on_demand_and_401s() {
    let tmp = tempfile::tempdir().unwrap();
    // One image at a time and a cold layer cache: the regular scan takes a while.
    let server = Server::start(&tmp.path().join("data"), false, &["--concurrency", "1"]);
    let api = Api::new(&server.base);

    // Nothing but authentication and health answers without credentials.
    let anon = reqwest::Client::new();
    for path in [
        "/api/v1/registry",
        "/api/v1/registry/progress",
        "/api/v1/settings/registry",
        "/api/v1/credentials",
        "/api/v1/statuses/registry",
        "/api/v32.00/registry/names",
    ] {
        let r = anon
            .get(format!("{}{path}", server.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "{path} without credentials");
        let r = anon
            .get(format!("{}{path}", server.base))
            .basic_auth(ADMIN.0, Some("wrong"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "{path} with a wrong password");
        let r = anon
            .get(format!("{}{path}", server.base))
            .bearer_auth("made-up")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "{path} with a made-up token");
    }
    let r = anon
        .post(format!("{}/api/v1/registry/scan", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = anon
        .post(format!("{}/api/v1/authenticate", server.base))
        .json(&json!({"username": "admin", "password": "nope"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = anon
        .post(format!("{}/api/v1/authenticate", server.base))
        .json(&json!({"username": "Admin", "password": ADMIN.1}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401, "user names are case-sensitive");
    assert_eq!(
        anon.get(format!("{}/api/v1/_ping", server.base))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let tok: Value = anon
        .post(format!("{}/api/v1/authenticate", server.base))
        .json(&json!({"username": ADMIN.0, "password": ADMIN.1}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let r = anon
        .get(format!("{}/api/v1/registry", server.base))
        .bearer_auth(tok["token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "the token works");

    api.ok(
        "PUT",
        "/api/v1/settings/registry?scanLater=true",
        fixtures_spec(),
    )
    .await;
    api.ok("POST", "/api/v1/registry/scan", json!({})).await;
    let (s, _, v) = api
        .call("POST", "/api/v1/registry/scan", Some(json!({})))
        .await;
    assert_eq!(
        s, 400,
        "a second regular scan while one runs is refused: {v}"
    );
    let (s, _, _) = api
        .call(
            "POST",
            "/api/v1/registry/scan",
            Some(json!({"tag": {"registry": REGISTRY, "repo": "fixtures/alpine", "tag": "3.9.6"}})),
        )
        .await;
    assert_eq!(s, 400, "so is a regular scan of one image");

    // On-demand: out of scope -> 400; in scope -> runs beside the regular scan.
    for tag in [
        json!({"registry": REGISTRY, "repo": "elsewhere/alpine", "tag": "3.18.9"}),
        json!({"registry": "127.0.0.1:5999", "repo": "fixtures/alpine", "tag": "3.18.9"}),
        json!({"repo": "library/alpine", "tag": "3.16"}),
    ] {
        let (s, _, v) = api
            .call(
                "POST",
                "/api/v1/registry/scan",
                Some(json!({"onDemandScan": true, "tag": tag})),
            )
            .await;
        assert_eq!(s, 400, "on-demand out of scope: {v}");
    }
    for q in [
        "repo=fixtures/alpine&tag=3.18.9",
        "onDemand=false&repo=fixtures/alpine&tag=3.18.9",
        "onDemand=false&registry=127.0.0.1:5055",
        "onDemand=true&tag=3.18.9",
        "onDemand=true&repo=fixtures/alpine",
    ] {
        let (s, _, _) = api
            .call("GET", &format!("/api/v1/registry/progress?{q}"), None)
            .await;
        assert_eq!(s, 400, "progress?{q}");
    }
    let od = "/api/v1/registry/progress?onDemand=true&registry=127.0.0.1:5055&repo=fixtures/alpine&tag=3.18.9";
    assert_eq!(api.get(od).await, json!([]), "no on-demand scan yet");
    let c = wait_scanned(&api, 1).await;
    api.ok("POST", "/api/v1/registry/scan", json!({"onDemandScan": true, "tag": {"registry": REGISTRY, "repo": "fixtures/alpine", "tag": "3.18.9"}})).await;
    assert!(c.2 < c.3, "the regular scan is mid-way: {c:?}");

    // Stop the regular scan mid-way.
    api.ok("POST", "/api/v1/registry/stop", json!(null)).await;
    let p = api.progress().await;
    assert_eq!(p[0]["isScanOngoing"], false, "{p:?}");
    let stopped = counters(&Value::Array(p.clone()));
    assert!(stopped.2 < stopped.3, "stopped before the end: {stopped:?}");
    let status = api.get("/api/v1/statuses/registry").await;
    assert_eq!(
        (status["completed"].clone(), status["scanning"].clone()),
        (json!(false), json!(false)),
        "{status}"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    let later = counters(&Value::Array(api.progress().await));
    assert_eq!(later, stopped, "nothing moves after a stop");
    // Consistent: every stored result has its report; the results are the images scanned.
    let (_, h, _) = api.call("GET", "/api/v1/registry?limit=1", None).await;
    let total: usize = h["total-count"].to_str().unwrap().parse().unwrap();
    let names = api.get("/api/v1/registry/names").await;
    assert_eq!(names.as_array().unwrap().len(), total);

    // The on-demand scan was not stopped: it finishes, is read once finished, then reads [].
    let deadline = Instant::now() + Duration::from_secs(120);
    let finished = loop {
        let v = api.get(od).await;
        let a = v.as_array().unwrap();
        assert_eq!(a.len(), 1, "{v}");
        if a[0]["isScanOngoing"] == false {
            break a[0].clone();
        }
        assert!(Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(finished["imageScan"]["scanned"], 1, "{finished}");
    assert_eq!(
        finished["imageScan"]["title"],
        "Step 2/2 scanning images in repository: fixtures/alpine, tag: 3.18.9"
    );
    assert_eq!(
        finished["discovery"]["title"],
        "Step 1/2 discovering tags in repository: fixtures/alpine, tag: 3.18.9"
    );
    assert_eq!(finished["imageScan"]["onDemand"], true);
    assert_eq!(
        api.get(od).await,
        json!([]),
        "[] after the finished progress was read once"
    );
    let r = api
        .get("/api/v1/registry?name=127.0.0.1:5055/fixtures/alpine:3.18.9")
        .await;
    assert_eq!(
        r.as_array().unwrap().len(),
        1,
        "on-demand result is listed by name"
    );

    // On-demand by digest: its progress is asked for by digest.
    let f = common::fixtures();
    let digest = f["images"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["repository"] == "fixtures/alpine" && i["tag"] == "3.16.9")
        .unwrap()["digest"]
        .as_str()
        .unwrap()
        .to_string();
    api.ok(
        "POST",
        "/api/v1/registry/scan",
        json!({"onDemandScan": true, "tag": {"registry": REGISTRY, "repo": "fixtures/alpine", "digest": digest}}),
    )
    .await;
    let by_digest = format!("/api/v1/registry/progress?onDemand=true&registry={REGISTRY}&repo=fixtures/alpine&digest={digest}");
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let v = api.get(&by_digest).await;
        let p = &v.as_array().unwrap()[0];
        if p["isScanOngoing"] == false {
            assert_eq!(p["imageScan"]["scanned"], 1, "{p}");
            assert_eq!(
                p["imageScan"]["title"],
                format!(
                    "Step 2/2 scanning images in repository: fixtures/alpine, digest: {digest}"
                )
            );
            break;
        }
        assert!(Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(api.get(&by_digest).await, json!([]));
    let r = api
        .get(&format!(
            "/api/v1/registry?name={REGISTRY}/fixtures/alpine@{digest}"
        ))
        .await;
    assert_eq!(r[0]["repoTag"]["digest"], digest.as_str(), "{r}");
    assert_eq!(r[0]["repoTag"]["tag"], "");

    // After a stop a new regular scan may start.
    api.ok("POST", "/api/v1/registry/scan", json!({})).await;
    api.ok("POST", "/api/v1/registry/stop", json!(null)).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn restart_mid_scan_keeps_results_and_resumes() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let mut first = Server::start(&data, false, &["--concurrency", "1"]);
    let api = Api::new(&first.base);
    api.ok(
        "PUT",
        "/api/v1/settings/registry?scanLater=true",
        fixtures_spec(),
    )
    .await;
    api.ok("POST", "/api/v1/registry/scan", json!({})).await;
    let before = wait_scanned(&api, 3).await;
    first.kill();
    // What the crash interrupted, read from the database the dead process left behind.
    let in_flight = {
        let db = format!("sqlite://{}", data.join("drydock.db").display());
        let store = drydock_store::Store::open(&db).await.unwrap();
        let scan = store.scan(1).await.unwrap().unwrap();
        let running = store
            .scan_images(1)
            .await
            .unwrap()
            .iter()
            .any(|i| i.4 == "running");
        store.close().await;
        assert!(scan.active, "killed mid-scan: {scan:?}");
        scan.state == "discovering" || running
    };
    eprintln!("work in flight at the crash: {in_flight}");
    let kept: BTreeSet<String> = {
        // Nothing finished before the crash may vanish after the restart.
        let second = Server::start(&data, false, &["--concurrency", "1"]);
        let api = Api::new(&second.base);
        let p = api.progress().await;
        assert_eq!(p.len(), 1);
        let after = counters(&Value::Array(p.clone()));
        assert!(
            after.2 >= before.2,
            "finished images still count after the restart: {before:?} -> {after:?}"
        );
        let names: BTreeSet<String> =
            serde_json::from_value(api.get("/api/v1/registry/names").await).unwrap();
        assert!(
            names.len() as i64 >= before.2,
            "results of finished images survive: {} < {}",
            names.len(),
            before.2
        );
        let samples = api.wait_regular(Duration::from_secs(600)).await;
        let last = samples.last().unwrap();
        let end = counters(last);
        let cat = catalog().await;
        let tags: i64 = cat.values().map(|t| t.len() as i64).sum();
        assert_eq!(
            end,
            (cat.len() as i64, cat.len() as i64, tags, tags),
            "the interrupted scan resumed and finished"
        );
        let status = api.get("/api/v1/statuses/registry").await;
        assert_eq!(status["completed"], true, "{status}");
        let names_end: BTreeSet<String> =
            serde_json::from_value(api.get("/api/v1/registry/names").await).unwrap();
        assert!(names.is_subset(&names_end));
        assert_eq!(names_end.len() as i64, tags);
        // Work that was in flight when the process died was taken over, and progress says so.
        let note = last[0]["imageScan"]["error"].as_str().unwrap_or("");
        if in_flight {
            assert!(
                note.contains("interrupted") && note.contains("resumed"),
                "{note:?}"
            );
        } else {
            assert_eq!(note, "", "nothing was interrupted");
        }
        names_end
    };
    assert!(!kept.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn prisma_python_sdk_works_and_every_response_matches_the_spec() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start(&tmp.path().join("data"), true, &[]);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/py/prisma_sdk_check.py");
    let spec = common::shared()
        .join("specs/prisma/openapi-specs/compute/openapi-34-04-145-sh.registry-trimmed.json");
    let out = std::process::Command::new("python3")
        .arg(&script)
        .arg(server.https.as_deref().unwrap())
        .args([ADMIN.0, ADMIN.1])
        .arg(&spec)
        .args([REGISTRY, "127.0.0.1:5057"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "SDK check failed (needs `pip install prismacloud-api update_checker jsonschema`; scripts/test.sh installs them):\n{stdout}\n{}\nserver log:\n{}",
        String::from_utf8_lossy(&out.stderr),
        server.log_text()
    );
    let v: Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(v["ok"], true);
    assert!(v["seen"]["checked"].as_array().unwrap().len() >= 20);
    // The stored registry password never shows up in the server's log.
    assert!(!server.log_text().contains("r3ader"));
}

/// `drydock worker` processes beside `drydock serve --no-workers`, all on one PostgreSQL database.
struct Worker(Child);

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres_api_process_and_two_worker_processes_share_one_scan() {
    let pg = drydock_store::testing::TestDb::postgres()
        .await
        .expect("PostgreSQL on 127.0.0.1:5432 (trust auth)");
    let tmp = tempfile::tempdir().unwrap();
    let key = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="; // 32 bytes, shared by all processes
    let env = [
        ("DRYDOCK_DATABASE_URL", pg.url.as_str()),
        ("DRYDOCK_SECRET_KEY", key),
    ];
    let server = Server::start_with(&tmp.path().join("api"), false, &["--no-workers"], &env);
    let workers: Vec<Worker> = (0..2)
        .map(|i| {
            let child = common::bin()
                .arg("--db-dir")
                .arg(common::db_dir())
                .args(["worker", "--scan-interval-hours", "0", "--data-dir"])
                .arg(tmp.path().join(format!("w{i}")))
                .envs(env)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            Worker(child)
        })
        .collect();
    let api = Api::new(&server.base);
    // A stored credential, sealed by the API process, opened by the workers: the token registry.
    api.ok(
        "POST",
        "/api/v1/credentials",
        json!({"_id": "reader", "type": "basic", "accountID": "reader", "secret": {"plain": "r3ader"}}),
    )
    .await;
    let mut spec = fixtures_spec();
    spec["specifications"].as_array_mut().unwrap().push(
        json!({"version": "2", "registry": "127.0.0.1:5058", "repository": "*", "tag": "*", "credentialID": "reader"}),
    );
    api.ok("PUT", "/api/v1/settings/registry", spec).await; // no scanLater: saving starts a scan
    let samples = api.wait_regular(Duration::from_secs(600)).await;
    let last = samples.last().unwrap();
    let cat = catalog().await;
    let tags: i64 = cat.values().map(|t| t.len() as i64).sum();
    assert_eq!(
        counters(last),
        (cat.len() as i64, cat.len() as i64, tags, tags)
    );
    let token_registry = &last[1]["imageScan"];
    assert!(token_registry["total"].as_i64().unwrap() > 0, "{last}");
    assert_eq!(token_registry["scanned"], token_registry["total"], "{last}");
    assert!(
        last[0]["imageScan"]["title"]
            .as_str()
            .unwrap()
            .ends_with("with 2 Defenders"),
        "both worker processes are counted: {last}"
    );
    let status = api.get("/api/v1/statuses/registry").await;
    assert_eq!(
        (status["completed"].clone(), status["errors"].clone()),
        (json!(true), json!([])),
        "{status}"
    );

    // A second scan reads no layer again: the per-layer cache lives in the shared database.
    api.ok("POST", "/api/v1/registry/scan", json!({})).await;
    api.wait_regular(Duration::from_secs(600)).await;
    let store = drydock_store::Store::open(&pg.url).await.unwrap();
    let (n, rows) = store
        .list_images(&Default::default(), Default::default(), false, 0, 1000)
        .await
        .unwrap();
    assert_eq!(n, tags + token_registry["total"].as_i64().unwrap());
    for img in rows {
        let packed = store.report(&img.digest).await.unwrap().unwrap();
        let report: Value =
            serde_json::from_slice(&zstd::decode_all(&packed[..]).unwrap()).unwrap();
        assert_eq!(
            report["stats"]["blobs_fetched"], 0,
            "{}: layers fetched again",
            img.name
        );
        assert_eq!(img.scan_id, 2, "{} rescanned by the second scan", img.name);
    }
    store.close().await;
    drop(workers);
}

#[tokio::test(flavor = "multi_thread")]
async fn scope_wildcards_exclusions_cap_and_periodic_scans() {
    let tmp = tempfile::tempdir().unwrap();
    // A regular scan every 0.001 h = 3.6 s.
    let server = Server::start(
        &tmp.path().join("data"),
        false,
        &["--scan-interval-hours", "0.001"],
    );
    let api = Api::new(&server.base);
    let spec = json!({"specifications": [
        {"version": "2", "registry": REGISTRY, "repository": "fixtures/alpine*", "tag": "3.1*",
         "excludedRepositories": ["fixtures/alpine-docker-save"], "excludedTags": ["3.10.9"]},
        {"version": "2", "registry": REGISTRY, "repository": "fixtures/debian-*", "tag": "bookworm*", "cap": 1},
    ]});
    api.ok("PUT", "/api/v1/settings/registry?scanLater=true", spec)
        .await;
    let cat = catalog().await;
    let mut want: BTreeSet<String> = cat["fixtures/alpine"]
        .iter()
        .filter(|t| t.starts_with("3.1") && *t != "3.10.9")
        .map(|t| format!("{REGISTRY}/fixtures/alpine:{t}"))
        .collect();
    // The periodic scheduler starts the first scan by itself, then again after the interval.
    let deadline = Instant::now() + Duration::from_secs(300);
    let mut scan_ids = BTreeSet::new();
    let names: BTreeSet<String> = loop {
        let r = api
            .get("/api/v1/registry?repository=fixtures/alpine&compact=true")
            .await;
        for i in r.as_array().unwrap() {
            scan_ids.insert(i["scanID"].as_i64().unwrap());
        }
        if scan_ids.len() >= 2 {
            break serde_json::from_value(api.get("/api/v1/registry/names").await).unwrap();
        }
        assert!(
            Instant::now() < deadline,
            "no second periodic scan: {scan_ids:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let debian: Vec<&String> = names
        .iter()
        .filter(|n| n.contains("/fixtures/debian-"))
        .collect();
    assert_eq!(
        debian.len(),
        2,
        "cap 1: the newest tag of each of the two debian repositories: {debian:?}"
    );
    for n in &debian {
        assert!(n.contains(":bookworm"), "{n}");
    }
    want.extend(debian.iter().map(|s| s.to_string()));
    assert_eq!(names, want, "wildcards and exclusions");
}
