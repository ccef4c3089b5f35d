//! The HTTP side: auth handshake, retries, manifests, verified blob streams.

use std::collections::HashMap;
use std::io::Read;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE};
use reqwest::{Response, StatusCode};
use sha2::{Digest, Sha256};

use crate::auth::{parse_challenge, Challenge, Credentials};
use crate::error::{Error, ErrorKind};
use crate::manifest::{media, Descriptor, Platform, RawManifest};
use crate::reference::Reference;

/// Largest manifest or config document accepted (they are JSON, normally a few KiB).
const MAX_DOCUMENT: usize = 8 << 20;

/// How the client connects and how hard it tries.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Allow plain HTTP and unverified TLS (Docker's "insecure registry").
    pub insecure: bool,
    /// Timeout for connecting and for each response header; bodies stream without one.
    pub timeout: Duration,
    /// Attempts after the first on 429, 5xx, timeouts and connection resets.
    pub retries: u32,
    /// Delay before the first retry; doubles each time.
    pub backoff: Duration,
    /// Credentials per registry host (as written in references).
    pub credentials: HashMap<String, Credentials>,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            insecure: false,
            timeout: Duration::from_secs(30),
            retries: 4,
            backoff: Duration::from_millis(200),
            credentials: HashMap::new(),
        }
    }
}

#[derive(Debug, Default)]
struct HostState {
    plain_http: bool,
    basic: bool,
    tokens: HashMap<String, String>,
}

/// A registry client; cheap to clone, shares connections and tokens.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    opts: Arc<ClientOptions>,
    hosts: Arc<Mutex<HashMap<String, HostState>>>,
}

/// An image manifest resolved to one platform, with its config.
#[derive(Debug, Clone)]
pub struct ResolvedImage {
    /// What was asked for.
    pub reference: Reference,
    /// Digest of the platform-specific manifest.
    pub manifest_digest: String,
    /// Digest of the index or manifest list the reference pointed at, if any.
    pub index_digest: Option<String>,
    /// Media type of the platform manifest.
    pub media_type: String,
    /// The config descriptor.
    pub config: Descriptor,
    /// The raw config JSON (verified against its digest).
    pub config_json: Vec<u8>,
    /// Layer descriptors, base first.
    pub layers: Vec<Descriptor>,
    /// Platform chosen from the index, or read from the config.
    pub platform: Option<Platform>,
}

impl Client {
    /// Builds a client.
    pub fn new(opts: ClientOptions) -> Result<Self, Error> {
        let http = reqwest::Client::builder()
            .user_agent(concat!("drydock/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(opts.timeout)
            .read_timeout(opts.timeout)
            .danger_accept_invalid_certs(opts.insecure)
            .build()
            .map_err(|e| Error::new(ErrorKind::Protocol, format!("HTTP client: {e}")))?;
        Ok(Client {
            http,
            opts: Arc::new(opts),
            hosts: Arc::default(),
        })
    }

    fn creds(&self, registry: &str) -> Credentials {
        self.opts
            .credentials
            .get(registry)
            .cloned()
            .unwrap_or_default()
    }

    fn url(&self, r: &Reference, v2_path: &str) -> String {
        let plain = self
            .hosts
            .lock()
            .map(|h| h.get(&r.registry).is_some_and(|s| s.plain_http))
            .unwrap_or(false);
        let scheme = if plain { "http" } else { "https" };
        format!("{scheme}://{}/v2/{v2_path}", r.api_host())
    }

    /// Sends a GET for a path under the repository (`manifests/...`, `blobs/...`).
    async fn get(
        &self,
        r: &Reference,
        path: &str,
        accept: Option<&str>,
    ) -> Result<Response, Error> {
        let scope = format!("repository:{}:pull", r.repository);
        self.get_v2(r, &format!("{}/{path}", r.repository), &scope, accept)
            .await
    }

    /// Sends a GET for `/v2/{v2_path}` with auth for `scope`, retries and the
    /// insecure HTTP fallback.
    async fn get_v2(
        &self,
        r: &Reference,
        v2_path: &str,
        scope: &str,
        accept: Option<&str>,
    ) -> Result<Response, Error> {
        let scope = scope.to_string();
        let mut auth_rounds = 0;
        let mut attempt = 0u32;
        loop {
            let url = self.url(r, v2_path);
            let mut req = self.http.get(&url);
            if let Some(a) = accept {
                req = req.header(ACCEPT, a);
            }
            if let Some(h) = self.auth_header(r, &scope) {
                req = req.header(AUTHORIZATION, h);
            }
            let resp = match req.send().await {
                Ok(resp) => resp,
                Err(e) => {
                    if self.opts.insecure
                        && url.starts_with("https://")
                        && (e.is_connect() || e.is_request())
                    {
                        // Docker's insecure-registry rule: fall back to plain HTTP.
                        if let Ok(mut h) = self.hosts.lock() {
                            h.entry(r.registry.clone()).or_default().plain_http = true;
                        }
                        continue;
                    }
                    if attempt < self.opts.retries {
                        self.sleep_backoff(attempt, None).await;
                        attempt += 1;
                        continue;
                    }
                    return Err(Error::new(
                        ErrorKind::Transient,
                        format!("GET {url}: {}", error_chain(&e)),
                    ));
                }
            };
            let status = resp.status();
            if status == StatusCode::UNAUTHORIZED && auth_rounds < 2 {
                auth_rounds += 1;
                let challenge = resp
                    .headers()
                    .get(WWW_AUTHENTICATE)
                    .and_then(|v| v.to_str().ok())
                    .and_then(parse_challenge);
                match challenge {
                    Some(Challenge::Basic) => {
                        if self.creds(&r.registry) == Credentials::Anonymous {
                            return Err(Error::new(
                                ErrorKind::Unauthorized,
                                format!("{} requires credentials (Basic auth)", r.registry),
                            ));
                        }
                        if let Ok(mut h) = self.hosts.lock() {
                            h.entry(r.registry.clone()).or_default().basic = true;
                        }
                    }
                    Some(Challenge::Bearer {
                        realm,
                        service,
                        scope: s,
                    }) => {
                        let want = s.unwrap_or_else(|| scope.clone());
                        let token = self
                            .fetch_token(r, &realm, service.as_deref(), &want)
                            .await?;
                        if let Ok(mut h) = self.hosts.lock() {
                            h.entry(r.registry.clone())
                                .or_default()
                                .tokens
                                .insert(scope.clone(), token);
                        }
                    }
                    None => {
                        return Err(Error::new(
                            ErrorKind::Unauthorized,
                            format!("GET {url}: 401 without a usable WWW-Authenticate challenge"),
                        ))
                    }
                }
                continue;
            }
            if (status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error())
                && attempt < self.opts.retries
            {
                let retry_after = resp
                    .headers()
                    .get(RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<u64>().ok());
                self.sleep_backoff(attempt, retry_after).await;
                attempt += 1;
                continue;
            }
            return match status {
                s if s.is_success() => Ok(resp),
                StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Err(Error::new(
                    ErrorKind::Unauthorized,
                    format!("GET {url}: {status} (credentials refused or missing pull access)"),
                )),
                StatusCode::NOT_FOUND => {
                    Err(Error::new(ErrorKind::NotFound, format!("GET {url}: 404")))
                }
                s if s == StatusCode::TOO_MANY_REQUESTS || s.is_server_error() => Err(Error::new(
                    ErrorKind::Transient,
                    format!("GET {url}: {status} after {} attempts", attempt + 1),
                )),
                _ => Err(Error::new(
                    ErrorKind::Protocol,
                    format!("GET {url}: unexpected {status}"),
                )),
            };
        }
    }

    fn auth_header(&self, r: &Reference, scope: &str) -> Option<String> {
        let hosts = self.hosts.lock().ok()?;
        let st = hosts.get(&r.registry)?;
        if let Some(t) = st.tokens.get(scope) {
            return Some(format!("Bearer {t}"));
        }
        if st.basic {
            if let Credentials::Basic { username, password } = self.creds(&r.registry) {
                use base64::Engine;
                let b = base64::engine::general_purpose::STANDARD
                    .encode(format!("{username}:{password}"));
                return Some(format!("Basic {b}"));
            }
        }
        None
    }

    async fn fetch_token(
        &self,
        r: &Reference,
        realm: &str,
        service: Option<&str>,
        scope: &str,
    ) -> Result<String, Error> {
        let mut url = url::Url::parse(realm)
            .map_err(|e| Error::new(ErrorKind::Protocol, format!("token realm {realm:?}: {e}")))?;
        {
            let mut q = url.query_pairs_mut();
            if let Some(s) = service {
                q.append_pair("service", s);
            }
            q.append_pair("scope", scope);
        }
        let mut attempt = 0;
        loop {
            let mut req = self.http.get(url.clone());
            if let Credentials::Basic { username, password } = self.creds(&r.registry) {
                req = req.basic_auth(username, Some(password));
            }
            let resp = req.send().await;
            let retryable = match &resp {
                Err(_) => true,
                Ok(x) => {
                    x.status().is_server_error() || x.status() == StatusCode::TOO_MANY_REQUESTS
                }
            };
            if retryable && attempt < self.opts.retries {
                self.sleep_backoff(attempt, None).await;
                attempt += 1;
                continue;
            }
            let resp = resp.map_err(|e| {
                Error::new(
                    ErrorKind::Transient,
                    format!("token endpoint {realm}: {}", error_chain(&e)),
                )
            })?;
            if resp.status() == StatusCode::UNAUTHORIZED || resp.status() == StatusCode::FORBIDDEN {
                return Err(Error::new(
                    ErrorKind::Unauthorized,
                    format!(
                        "token endpoint {realm} refused the credentials ({})",
                        resp.status()
                    ),
                ));
            }
            if !resp.status().is_success() {
                return Err(Error::new(
                    ErrorKind::Protocol,
                    format!("token endpoint {realm}: {}", resp.status()),
                ));
            }
            let body = read_limited(resp, MAX_DOCUMENT).await?;
            #[derive(serde::Deserialize)]
            struct Tok {
                token: Option<String>,
                access_token: Option<String>,
            }
            let t: Tok = serde_json::from_slice(&body).map_err(|e| {
                Error::new(
                    ErrorKind::Protocol,
                    format!("token endpoint {realm}: bad JSON: {e}"),
                )
            })?;
            return t
                .token
                .or(t.access_token)
                .filter(|t| !t.is_empty())
                .ok_or_else(|| {
                    Error::new(
                        ErrorKind::Protocol,
                        format!("token endpoint {realm}: no token in reply"),
                    )
                });
        }
    }

    async fn sleep_backoff(&self, attempt: u32, retry_after: Option<u64>) {
        let base = self.opts.backoff.saturating_mul(1 << attempt.min(6));
        let d = retry_after
            .map(Duration::from_secs)
            .unwrap_or(base)
            .min(Duration::from_secs(10));
        tokio::time::sleep(d).await;
    }

    /// Fetches a manifest by tag or digest: (body, media type, digest of the body).
    pub async fn fetch_manifest(
        &self,
        r: &Reference,
        reference: &str,
    ) -> Result<(Vec<u8>, String, String), Error> {
        let resp = self
            .get(r, &format!("manifests/{reference}"), Some(media::ACCEPT))
            .await?;
        let ct = resp
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_string();
        let body = read_limited(resp, MAX_DOCUMENT).await?;
        let digest = format!("sha256:{}", hex::encode(Sha256::digest(&body)));
        if reference.starts_with("sha256:") && reference != digest {
            return Err(Error::new(
                ErrorKind::DigestMismatch,
                format!("manifest {reference} of {r}: content hashes to {digest}"),
            ));
        }
        Ok((body, ct, digest))
    }

    /// Resolves a reference to one platform's manifest and config.
    ///
    /// `platform` defaults to `linux/amd64` when the reference is an index.
    pub async fn resolve(
        &self,
        r: &Reference,
        platform: Option<&Platform>,
    ) -> Result<ResolvedImage, Error> {
        let (body, ct, digest) = self.fetch_manifest(r, r.manifest_ref()).await?;
        let raw = parse_manifest(&body, r)?;
        let kind = raw
            .media_type
            .clone()
            .filter(|m| !m.is_empty())
            .unwrap_or(ct);
        if raw.schema_version == Some(1) || kind == media::DOCKER_V1_SIGNED {
            return Err(Error::new(
                ErrorKind::BadManifest,
                format!("{r}: Docker schema 1 manifests are not supported"),
            ));
        }
        let (raw, digest, index_digest, kind, chosen) = if let Some(children) = &raw.manifests {
            let default = Platform {
                os: "linux".into(),
                architecture: "amd64".into(),
                variant: None,
            };
            let want = platform.unwrap_or(&default);
            let child = children
                .iter()
                .find(|d| d.platform.as_ref().is_some_and(|p| want.matches(p)))
                .ok_or_else(|| {
                    let have: Vec<String> = children
                        .iter()
                        .filter_map(|d| d.platform.as_ref().map(|p| p.to_string()))
                        .collect();
                    Error::new(
                        ErrorKind::BadManifest,
                        format!(
                            "{r}: no manifest for platform {want} (index has: {})",
                            have.join(", ")
                        ),
                    )
                })?
                .clone();
            let (cbody, cct, cdigest) = self.fetch_manifest(r, &child.digest).await?;
            let craw = parse_manifest(&cbody, r)?;
            if craw.manifests.is_some() {
                return Err(Error::new(
                    ErrorKind::BadManifest,
                    format!("{r}: nested index at {}", child.digest),
                ));
            }
            let ckind = craw
                .media_type
                .clone()
                .filter(|m| !m.is_empty())
                .unwrap_or(cct);
            (craw, cdigest, Some(digest), ckind, child.platform.clone())
        } else {
            (raw, digest, None, kind, None)
        };
        let config = raw.config.ok_or_else(|| {
            Error::new(
                ErrorKind::BadManifest,
                format!("{r}: manifest {digest} has no config"),
            )
        })?;
        let layers = raw.layers.ok_or_else(|| {
            Error::new(
                ErrorKind::BadManifest,
                format!("{r}: manifest {digest} has no layers"),
            )
        })?;
        for d in std::iter::once(&config).chain(&layers) {
            check_digest_syntax(&d.digest)
                .map_err(|m| Error::new(ErrorKind::BadManifest, format!("{r}: {m}")))?;
        }
        let config_json = self.fetch_small_blob(r, &config).await?;
        let platform = chosen.or_else(|| {
            #[derive(serde::Deserialize)]
            struct C {
                os: Option<String>,
                architecture: Option<String>,
                variant: Option<String>,
            }
            let c: C = serde_json::from_slice(&config_json).ok()?;
            Some(Platform {
                os: c.os?,
                architecture: c.architecture?,
                variant: c.variant,
            })
        });
        Ok(ResolvedImage {
            reference: r.clone(),
            manifest_digest: digest,
            index_digest,
            media_type: kind,
            config,
            config_json,
            layers,
            platform,
        })
    }

    async fn fetch_small_blob(&self, r: &Reference, d: &Descriptor) -> Result<Vec<u8>, Error> {
        let resp = self.get(r, &format!("blobs/{}", d.digest), None).await?;
        let body = read_limited(resp, MAX_DOCUMENT).await?;
        let got = format!("sha256:{}", hex::encode(Sha256::digest(&body)));
        if got != d.digest {
            return Err(Error::new(
                ErrorKind::DigestMismatch,
                format!("blob {} of {r}: content hashes to {got}", d.digest),
            ));
        }
        Ok(body)
    }

    /// Opens a blob as a blocking reader whose bytes are hashed as they pass.
    ///
    /// Reading past the end yields an error if the content did not hash to
    /// `d.digest` or was longer than `d.size`. Must be read from a blocking
    /// thread (e.g. `spawn_blocking`), never from async code.
    pub async fn open_blob(&self, r: &Reference, d: &Descriptor) -> Result<BlobReader, Error> {
        check_digest_syntax(&d.digest).map_err(|m| Error::new(ErrorKind::BadManifest, m))?;
        let resp = self.get(r, &format!("blobs/{}", d.digest), None).await?;
        let (tx, rx) = tokio::sync::mpsc::channel::<std::io::Result<Bytes>>(32);
        let want = d.digest.clone();
        let size = d.size;
        let label = format!("blob {} of {r}", d.digest);
        tokio::spawn(async move {
            let mut hasher = Sha256::new();
            let mut n: i64 = 0;
            let mut stream = resp.bytes_stream();
            while let Some(chunk) = stream.next().await {
                let chunk = match chunk {
                    Ok(c) => c,
                    Err(e) => {
                        let _ = tx
                            .send(Err(std::io::Error::new(
                                std::io::ErrorKind::ConnectionAborted,
                                format!(
                                    "{label}: transfer failed after {n} bytes: {}",
                                    error_chain(&e)
                                ),
                            )))
                            .await;
                        return;
                    }
                };
                n += chunk.len() as i64;
                if size > 0 && n > size {
                    let _ = tx
                        .send(Err(std::io::Error::new(
                            std::io::ErrorKind::InvalidData,
                            format!("{label}: more than the {size} bytes the manifest declares"),
                        )))
                        .await;
                    return;
                }
                hasher.update(&chunk);
                if tx.send(Ok(chunk)).await.is_err() {
                    return; // reader gone
                }
            }
            let got = format!("sha256:{}", hex::encode(hasher.finalize()));
            if got != want {
                let _ = tx
                    .send(Err(std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        format!("{label}: digest mismatch, {n} bytes hash to {got}"),
                    )))
                    .await;
            } else if size > 0 && n != size {
                let _ = tx
                    .send(Err(std::io::Error::new(
                        std::io::ErrorKind::UnexpectedEof,
                        format!("{label}: truncated, {n} of {size} bytes"),
                    )))
                    .await;
            }
        });
        Ok(BlobReader {
            rx,
            cur: Bytes::new(),
            done: false,
            failed: None,
        })
    }

    /// Lists tags of a repository (follows `Link` pagination).
    pub async fn list_tags(&self, r: &Reference) -> Result<Vec<String>, Error> {
        #[derive(serde::Deserialize)]
        struct Tags {
            tags: Option<Vec<String>>,
        }
        let scope = format!("repository:{}:pull", r.repository);
        let first = format!("{}/tags/list?n=1000", r.repository);
        self.paged(r, &first, &scope, |body| {
            let t: Tags = serde_json::from_slice(body)
                .map_err(|e| Error::new(ErrorKind::Protocol, format!("tags of {r}: {e}")))?;
            Ok(t.tags.unwrap_or_default())
        })
        .await
    }

    /// Lists the repositories of the registry `r` points at (`/v2/_catalog`,
    /// follows `Link` pagination). Registries may refuse it (Docker Hub does).
    pub async fn list_repositories(&self, r: &Reference) -> Result<Vec<String>, Error> {
        #[derive(serde::Deserialize)]
        struct Catalog {
            repositories: Option<Vec<String>>,
        }
        self.paged(r, "_catalog?n=1000", "registry:catalog:*", |body| {
            let c: Catalog = serde_json::from_slice(body).map_err(|e| {
                Error::new(
                    ErrorKind::Protocol,
                    format!("catalog of {}: {e}", r.registry),
                )
            })?;
            Ok(c.repositories.unwrap_or_default())
        })
        .await
    }

    /// Fetches `/v2/{first}` and each `Link: <...>; rel="next"` page after it.
    async fn paged(
        &self,
        r: &Reference,
        first: &str,
        scope: &str,
        parse: impl Fn(&[u8]) -> Result<Vec<String>, Error>,
    ) -> Result<Vec<String>, Error> {
        let mut out = Vec::new();
        let mut next = Some(first.to_string());
        let mut pages = 0;
        while let Some(path) = next.take() {
            pages += 1;
            if pages > 10_000 {
                return Err(Error::new(
                    ErrorKind::Protocol,
                    format!("{}: endless pagination", r.registry),
                ));
            }
            let resp = self.get_v2(r, &path, scope, None).await?;
            next = resp
                .headers()
                .get(reqwest::header::LINK)
                .and_then(|v| v.to_str().ok())
                .and_then(next_link);
            let body = read_limited(resp, MAX_DOCUMENT).await?;
            out.extend(parse(&body)?);
        }
        Ok(out)
    }
}

/// The `/v2/`-relative path of a `Link: </v2/...>; rel="next"` header.
fn next_link(h: &str) -> Option<String> {
    h.split(',').find_map(|part| {
        let (target, params) = part.split_once(';')?;
        if !params.contains("rel=\"next\"") && !params.contains("rel=next") {
            return None;
        }
        let t = target.trim().trim_start_matches('<').trim_end_matches('>');
        let path = match t.find("/v2/") {
            Some(i) => &t[i + 4..],
            None => return None,
        };
        Some(path.to_string())
    })
}

/// A blocking `Read` over a verified blob stream (see [`Client::open_blob`]).
///
/// A transfer or verification error is sticky: every later read repeats it, so
/// a caller that drains the reader after a parse error still learns the blob was bad.
pub struct BlobReader {
    rx: tokio::sync::mpsc::Receiver<std::io::Result<Bytes>>,
    cur: Bytes,
    done: bool,
    failed: Option<(std::io::ErrorKind, String)>,
}

impl Read for BlobReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.cur.is_empty() {
            if let Some((k, m)) = &self.failed {
                return Err(std::io::Error::new(*k, m.clone()));
            }
            if self.done {
                return Ok(0);
            }
            match self.rx.blocking_recv() {
                Some(Ok(b)) => self.cur = b,
                Some(Err(e)) => {
                    self.done = true;
                    self.failed = Some((e.kind(), e.to_string()));
                    return Err(e);
                }
                None => {
                    self.done = true;
                    return Ok(0);
                }
            }
        }
        let n = buf.len().min(self.cur.len());
        buf[..n].copy_from_slice(&self.cur[..n]);
        self.cur = self.cur.slice(n..);
        Ok(n)
    }
}

fn parse_manifest(body: &[u8], r: &Reference) -> Result<RawManifest, Error> {
    serde_json::from_slice(body).map_err(|e| {
        Error::new(
            ErrorKind::BadManifest,
            format!("{r}: manifest is not valid JSON of the expected shape: {e}"),
        )
    })
}

fn check_digest_syntax(d: &str) -> Result<(), String> {
    match d.split_once(':') {
        Some(("sha256", h)) if h.len() == 64 && h.bytes().all(|c| c.is_ascii_hexdigit()) => Ok(()),
        _ => Err(format!("unsupported or malformed digest {d:?}")),
    }
}

async fn read_limited(resp: Response, limit: usize) -> Result<Vec<u8>, Error> {
    let url = resp.url().to_string();
    let mut out = Vec::new();
    let mut s = resp.bytes_stream();
    while let Some(c) = s.next().await {
        let c = c.map_err(|e| {
            Error::new(
                ErrorKind::Transient,
                format!("GET {url}: {}", error_chain(&e)),
            )
        })?;
        if out.len() + c.len() > limit {
            return Err(Error::new(
                ErrorKind::Protocol,
                format!("GET {url}: document larger than {limit} bytes"),
            ));
        }
        out.extend_from_slice(&c);
    }
    Ok(out)
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(x) = src {
        s.push_str(": ");
        s.push_str(&x.to_string());
        src = x.source();
    }
    s
}

#[cfg(test)]
mod link_tests {
    use super::next_link;

    #[test]
    fn link_header_next_page() {
        assert_eq!(
            next_link("</v2/_catalog?last=b&n=2>; rel=\"next\"").as_deref(),
            Some("_catalog?last=b&n=2")
        );
        assert_eq!(
            next_link("<https://r.example/v2/x/tags/list?last=1&n=1>; rel=\"next\"").as_deref(),
            Some("x/tags/list?last=1&n=1")
        );
        assert_eq!(next_link("</v2/x>; rel=\"prev\""), None);
    }
}
