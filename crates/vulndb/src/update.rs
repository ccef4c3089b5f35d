//! Downloads the live feeds (or a mirror of them) into the layout [`import`](crate::import) reads.

use std::path::Path;
use std::time::Duration;

use futures_util::StreamExt;

use crate::FeedError;

/// Where each feed is fetched from. Every base URL can point at a mirror.
#[derive(Debug, Clone)]
pub struct Sources {
    /// Alpine secdb base: `{base}/{branch}/{main,community}.json`.
    pub alpine_base: String,
    /// Alpine branches to fetch (404s are skipped).
    pub alpine_branches: Vec<String>,
    /// Debian tracker JSON URL.
    pub debian_tracker_json: String,
    /// Base of the tracker's `data/` folder: `{base}/DSA/list`, `{base}/DLA/list`.
    pub debian_lists_base: String,
    /// Debian OVAL base: `{base}/oval-definitions-{codename}.xml.bz2`.
    pub debian_oval_base: String,
    /// Debian releases to fetch OVAL for.
    pub debian_oval_releases: Vec<String>,
    /// NVD CVE API 2.0 endpoint; `None` skips NVD.
    pub nvd_api: Option<String>,
    /// NVD API key (raises the rate limit).
    pub nvd_api_key: Option<String>,
    /// Pause between NVD pages (NVD asks for 6 s without a key).
    pub nvd_delay: Duration,
    /// OSV bucket base: `{base}/{ecosystem}/all.zip`; `None` skips OSV.
    pub osv_base: Option<String>,
    /// OSV ecosystems to fetch.
    pub osv_ecosystems: Vec<String>,
}

impl Default for Sources {
    fn default() -> Self {
        let mut branches: Vec<String> = (2..=22).map(|m| format!("v3.{m}")).collect();
        branches.push("edge".into());
        Sources {
            alpine_base: "https://secdb.alpinelinux.org".into(),
            alpine_branches: branches,
            debian_tracker_json: "https://security-tracker.debian.org/tracker/data/json".into(),
            debian_lists_base:
                "https://salsa.debian.org/security-tracker-team/security-tracker/-/raw/master/data"
                    .into(),
            debian_oval_base: "https://www.debian.org/security/oval".into(),
            debian_oval_releases: ["buster", "bullseye", "bookworm", "trixie"]
                .map(String::from)
                .to_vec(),
            nvd_api: Some("https://services.nvd.nist.gov/rest/json/cves/2.0".into()),
            nvd_api_key: None,
            nvd_delay: Duration::from_secs(6),
            osv_base: Some("https://osv-vulnerabilities.storage.googleapis.com".into()),
            osv_ecosystems: [
                "PyPI",
                "npm",
                "crates.io",
                "Go",
                "RubyGems",
                "Packagist",
                "NuGet",
                "Maven",
            ]
            .map(String::from)
            .to_vec(),
        }
    }
}

/// What one download did.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// URL.
    pub url: String,
    /// Bytes written, or `None` when the server said 404 (an optional file).
    pub bytes: Option<u64>,
}

async fn download(
    client: &reqwest::Client,
    url: &str,
    dest: &Path,
    optional: bool,
) -> Result<Fetched, FeedError> {
    let mut attempt = 0;
    loop {
        let r = client.get(url).send().await;
        let retry = match &r {
            Err(_) => true,
            Ok(x) => {
                x.status().is_server_error() || x.status() == reqwest::StatusCode::TOO_MANY_REQUESTS
            }
        };
        if retry && attempt < 3 {
            attempt += 1;
            tokio::time::sleep(Duration::from_millis(500 << attempt)).await;
            continue;
        }
        let resp = r.map_err(|e| FeedError::new("update", format!("GET {url}: {e}")))?;
        if resp.status() == reqwest::StatusCode::NOT_FOUND && optional {
            return Ok(Fetched {
                url: url.to_string(),
                bytes: None,
            });
        }
        if !resp.status().is_success() {
            return Err(FeedError::new(
                "update",
                format!("GET {url}: {}", resp.status()),
            ));
        }
        if let Some(parent) = dest.parent() {
            tokio::fs::create_dir_all(parent)
                .await
                .map_err(|e| FeedError::new("update", format!("{}: {e}", parent.display())))?;
        }
        let mut tmp = dest.as_os_str().to_owned();
        tmp.push(".part");
        let tmp = std::path::PathBuf::from(tmp);
        let mut f = tokio::fs::File::create(&tmp)
            .await
            .map_err(|e| FeedError::new("update", format!("{}: {e}", tmp.display())))?;
        let mut n = 0u64;
        let mut s = resp.bytes_stream();
        while let Some(c) = s.next().await {
            let c = c.map_err(|e| {
                FeedError::new("update", format!("GET {url}: transfer failed: {e}"))
            })?;
            n += c.len() as u64;
            tokio::io::AsyncWriteExt::write_all(&mut f, &c)
                .await
                .map_err(|e| FeedError::new("update", format!("{}: {e}", tmp.display())))?;
        }
        tokio::io::AsyncWriteExt::flush(&mut f)
            .await
            .map_err(|e| FeedError::new("update", e.to_string()))?;
        tokio::fs::rename(&tmp, dest)
            .await
            .map_err(|e| FeedError::new("update", format!("{}: {e}", dest.display())))?;
        return Ok(Fetched {
            url: url.to_string(),
            bytes: Some(n),
        });
    }
}

/// Downloads every feed in `src` under `dir` (layout of [`crate::import`]).
///
/// A feed that cannot be fetched is an error: a partial update must not
/// replace a complete database. Optional files (an Alpine branch that does not
/// exist) may 404.
pub async fn fetch_all(
    src: &Sources,
    dir: &Path,
    progress: &(dyn Fn(&Fetched) + Sync),
) -> Result<Vec<Fetched>, FeedError> {
    let client = reqwest::Client::builder()
        .user_agent(concat!(
            "drydock/",
            env!("CARGO_PKG_VERSION"),
            " (vulnerability db update)"
        ))
        .connect_timeout(Duration::from_secs(30))
        .read_timeout(Duration::from_secs(120))
        .build()
        .map_err(|e| FeedError::new("update", e.to_string()))?;
    let mut jobs: Vec<(String, std::path::PathBuf, bool)> = Vec::new();
    let base = src.alpine_base.trim_end_matches('/');
    for b in &src.alpine_branches {
        for repo in ["main", "community"] {
            jobs.push((
                format!("{base}/{b}/{repo}.json"),
                dir.join("alpine-secdb")
                    .join(b)
                    .join(format!("{repo}.json")),
                true,
            ));
        }
    }
    jobs.push((
        src.debian_tracker_json.clone(),
        dir.join("debian-tracker-json").join("debian.json"),
        false,
    ));
    let lb = src.debian_lists_base.trim_end_matches('/');
    for k in ["DSA", "DLA"] {
        jobs.push((
            format!("{lb}/{k}/list"),
            dir.join("debian-tracker/data").join(k).join("list"),
            false,
        ));
    }
    let ob = src.debian_oval_base.trim_end_matches('/');
    for r in &src.debian_oval_releases {
        let f = format!("oval-definitions-{r}.xml.bz2");
        jobs.push((format!("{ob}/{f}"), dir.join("debian-oval").join(&f), true));
    }
    let mut osv_zips = Vec::new();
    if let Some(base) = &src.osv_base {
        for eco in &src.osv_ecosystems {
            let folder = dir.join(format!("osv-{}", eco.to_ascii_lowercase()));
            let zip = folder.join("all.zip");
            jobs.push((
                format!("{}/{eco}/all.zip", base.trim_end_matches('/')),
                zip.clone(),
                false,
            ));
            osv_zips.push((zip, folder));
        }
    }
    let mut done = Vec::new();
    let results: Vec<_> = futures_util::stream::iter(jobs)
        .map(|(url, dest, optional)| {
            let client = client.clone();
            async move { download(&client, &url, &dest, optional).await }
        })
        .buffer_unordered(6)
        .collect()
        .await;
    for r in results {
        let f = r?;
        progress(&f);
        done.push(f);
    }
    for (zip, folder) in osv_zips {
        let z = zip.clone();
        tokio::task::spawn_blocking(move || unzip_json(&z, &folder))
            .await
            .map_err(|e| FeedError::new("osv", e.to_string()))??;
    }
    if let Some(api) = &src.nvd_api {
        done.extend(fetch_nvd(&client, api, src, &dir.join("nvd"), progress).await?);
    }
    Ok(done)
}

/// Most bytes taken from one advisory inside an OSV zip, and most entries.
const OSV_ENTRY_MAX: u64 = 16 << 20;
const OSV_ENTRIES_MAX: usize = 2_000_000;

/// Unpacks the `*.json` advisories of an OSV `all.zip` next to it (flat, names sanitised).
fn unzip_json(zip: &Path, into: &Path) -> Result<(), FeedError> {
    use std::io::Read;
    let bad = |m: String| FeedError::new("osv", format!("{}: {m}", zip.display()));
    let f = std::fs::File::open(zip).map_err(|e| bad(e.to_string()))?;
    let mut ar = ::zip::ZipArchive::new(std::io::BufReader::new(f))
        .map_err(|e| bad(format!("not a zip archive: {e}")))?;
    if ar.len() > OSV_ENTRIES_MAX {
        return Err(bad(format!(
            "{} entries, more than {OSV_ENTRIES_MAX}",
            ar.len()
        )));
    }
    for i in 0..ar.len() {
        let mut e = ar.by_index(i).map_err(|e| bad(e.to_string()))?;
        let full = e.name().map_err(|e| bad(e.to_string()))?.to_string();
        let name = full.rsplit('/').next().unwrap_or("").to_string();
        if !name.ends_with(".json") || name.starts_with('.') || !e.is_file() {
            continue;
        }
        let mut buf = Vec::new();
        (&mut e)
            .take(OSV_ENTRY_MAX + 1)
            .read_to_end(&mut buf)
            .map_err(|e| bad(e.to_string()))?;
        if buf.len() as u64 > OSV_ENTRY_MAX {
            return Err(bad(format!("{name} expands beyond {OSV_ENTRY_MAX} bytes")));
        }
        std::fs::write(into.join(&name), buf).map_err(|e| bad(e.to_string()))?;
    }
    Ok(())
}

async fn fetch_nvd(
    client: &reqwest::Client,
    api: &str,
    src: &Sources,
    dir: &Path,
    progress: &(dyn Fn(&Fetched) + Sync),
) -> Result<Vec<Fetched>, FeedError> {
    let per_page = 2000u64;
    let mut start = 0u64;
    let mut out = Vec::new();
    loop {
        let url = format!("{api}?startIndex={start}&resultsPerPage={per_page}");
        let mut attempt = 0;
        let body = loop {
            let mut req = client.get(&url);
            if let Some(k) = &src.nvd_api_key {
                req = req.header("apiKey", k);
            }
            match req.send().await {
                Ok(r) if r.status().is_success() => match r.bytes().await {
                    Ok(b) => break b,
                    Err(e) if attempt >= 5 => {
                        return Err(FeedError::new("nvd", format!("GET {url}: {e}")))
                    }
                    Err(_) => {}
                },
                Ok(r) if attempt >= 5 => {
                    return Err(FeedError::new("nvd", format!("GET {url}: {}", r.status())))
                }
                Err(e) if attempt >= 5 => {
                    return Err(FeedError::new("nvd", format!("GET {url}: {e}")))
                }
                _ => {}
            }
            attempt += 1;
            tokio::time::sleep(src.nvd_delay.max(Duration::from_millis(200)) * attempt).await;
        };
        let total = serde_json::from_slice::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v.get("totalResults").and_then(|t| t.as_u64()))
            .ok_or_else(|| {
                FeedError::new("nvd", format!("GET {url}: reply has no totalResults"))
            })?;
        let dest = dir.join(format!("page-{start:07}.json"));
        tokio::fs::create_dir_all(dir)
            .await
            .map_err(|e| FeedError::new("nvd", e.to_string()))?;
        tokio::fs::write(&dest, &body)
            .await
            .map_err(|e| FeedError::new("nvd", format!("{}: {e}", dest.display())))?;
        let f = Fetched {
            url,
            bytes: Some(body.len() as u64),
        };
        progress(&f);
        out.push(f);
        start += per_page;
        if start >= total {
            return Ok(out);
        }
        tokio::time::sleep(src.nvd_delay).await;
    }
}
