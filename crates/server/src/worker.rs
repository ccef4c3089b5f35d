//! The scan workers: claim discovery of a scan or one image digest from the
//! store, do it, write the result back. Every `drydock serve` process runs
//! them; `drydock worker` runs only them. Work survives a restart because it
//! lives in rows: a claim whose lease runs out is picked up again.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use drydock_registry::{Client, ClientOptions, Credentials, Platform, Reference};
use drydock_scan::{LayerCache, LayerStore, NoProgress, ScanOptions, ScanReport, Scanner};
use drydock_store::jobs::{FoundImage, ImageJob, NewScan, ScanRow, REGULAR};
use drydock_store::results::{ImageRow, ReportRow};
use futures_util::future::BoxFuture;
use tokio::sync::watch;

use crate::prisma::model::{Credential, RegistrySpecification};
use crate::prisma::report;
use crate::scope;
use crate::state::AppState;

/// The layer cache kept in the service database.
struct DbLayers(drydock_store::Store, Arc<dyn crate::clock::Clock>);

impl LayerStore for DbLayers {
    fn load<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Option<Vec<u8>>> {
        Box::pin(async move { self.0.layer(key).await.ok().flatten() })
    }
    fn save<'a>(&'a self, key: &'a str, data: Vec<u8>) -> BoxFuture<'a, std::io::Result<()>> {
        Box::pin(async move {
            self.0
                .put_layer(key, &data, self.1.now_ms())
                .await
                .map_err(std::io::Error::other)
        })
    }
}

/// A running worker process's identity.
#[derive(Clone)]
struct Worker {
    state: AppState,
    id: String,
    cache: LayerCache,
    /// Registry clients by registry, credential and its last change, so a scan's images
    /// share connections and bearer tokens instead of logging in once per image.
    clients: Arc<std::sync::Mutex<HashMap<String, Client>>>,
}

/// Runs the workers until `shutdown` turns true.
pub async fn run(state: AppState, mut shutdown: watch::Receiver<bool>) {
    let id = format!(
        "{}-{}-{:08x}",
        state.hostname,
        std::process::id(),
        rand::random::<u32>()
    );
    let cache =
        LayerCache::with_store(Arc::new(DbLayers(state.store.clone(), state.clock.clone())));
    let w = Worker {
        state,
        id,
        cache,
        clients: Arc::default(),
    };
    let mut tasks = tokio::task::JoinSet::new();
    {
        let w = w.clone();
        let sd = shutdown.clone();
        tasks.spawn(async move { w.heartbeat_loop(sd).await });
    }
    {
        let w = w.clone();
        let sd = shutdown.clone();
        tasks.spawn(async move { w.discovery_loop(sd).await });
    }
    for _ in 0..w.state.config.concurrency.max(1) {
        let w = w.clone();
        let sd = shutdown.clone();
        tasks.spawn(async move { w.image_loop(sd).await });
    }
    if w.state.config.scan_interval.is_some() {
        let w = w.clone();
        let sd = shutdown.clone();
        tasks.spawn(async move { w.schedule_loop(sd).await });
    }
    let _ = shutdown.wait_for(|v| *v).await;
    while tasks.join_next().await.is_some() {}
    let _ = w.state.store.remove_worker(&w.id).await;
}

/// Sleeps `d`, or less when woken or shutting down; false when shutting down.
async fn pause(w: &Worker, sd: &mut watch::Receiver<bool>, d: Duration) -> bool {
    tokio::select! {
        _ = tokio::time::sleep(d) => {}
        _ = w.state.wake.notified() => {}
        _ = sd.changed() => {}
    }
    !*sd.borrow()
}

/// One image to scan, and the index of the specification that covers it.
#[derive(Debug, Clone, Default)]
pub struct OneImage {
    /// Registry host.
    pub registry: String,
    /// Repository.
    pub repo: String,
    /// Tag (empty when scanned by digest).
    pub tag: String,
    /// Digest (empty when scanned by tag).
    pub digest: String,
    /// Index into the specifications.
    pub spec_idx: usize,
}

/// Queues a regular scan of every specification; `None` when one is running already.
pub async fn queue_regular(
    state: &AppState,
    specs: &[RegistrySpecification],
) -> Result<Option<i64>, drydock_store::StoreError> {
    new_scan(state, REGULAR, specs, None).await
}

/// Queues a scan of `kind` over every specification, or of `one` image under its specification.
/// `None` when it is a regular scan and one is running already.
pub async fn new_scan(
    state: &AppState,
    kind: &str,
    specs: &[RegistrySpecification],
    one: Option<OneImage>,
) -> Result<Option<i64>, drydock_store::StoreError> {
    let (image, chosen) = match one {
        Some(o) => {
            let chosen = specs.get(o.spec_idx).cloned().into_iter().collect();
            (o, chosen)
        }
        None => (OneImage::default(), specs.to_vec()),
    };
    let s = NewScan {
        kind: kind.to_string(),
        registry: image.registry,
        repo: image.repo,
        tag: image.tag,
        digest: image.digest,
        specs_json: serde_json::to_string(&chosen).unwrap_or_else(|_| "[]".into()),
        specs: chosen
            .iter()
            .map(|s| (s.id.clone(), scope::registry_host(&s.registry)))
            .collect(),
    };
    let id = state.store.create_scan(&s, state.now()).await?;
    if id.is_some() {
        state.wake.notify_waiters();
    }
    Ok(id)
}

/// Logs a store error that must not stop the work at hand.
fn logged<T>(what: &str, r: Result<T, drydock_store::StoreError>) {
    if let Err(e) = r {
        tracing::warn!("{what}: {e}");
    }
}

fn is_loopback(host: &str) -> bool {
    let h = host.rsplit_once(':').map(|(h, _)| h).unwrap_or(host);
    let h = h.trim_start_matches('[').trim_end_matches(']');
    h == "localhost"
        || h.parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

impl Worker {
    fn now(&self) -> i64 {
        self.state.now()
    }

    fn lease_ms(&self) -> i64 {
        self.state.config.lease.as_millis() as i64
    }

    async fn heartbeat_loop(&self, mut sd: watch::Receiver<bool>) {
        let mut beats = 0u64;
        loop {
            if beats.is_multiple_of(120) {
                // About every ten minutes: drop expired sessions and long-gone workers.
                if let Err(e) = self.state.store.purge_expired(self.now()).await {
                    tracing::warn!("purge: {e}");
                }
            }
            beats += 1;
            if let Err(e) = self
                .state
                .store
                .heartbeat(&self.id, &self.state.hostname, self.now())
                .await
            {
                tracing::warn!("heartbeat: {e}");
            }
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(5)) => {}
                _ = sd.changed() => {}
            }
            if *sd.borrow() {
                return;
            }
        }
    }

    async fn schedule_loop(&self, mut sd: watch::Receiver<bool>) {
        let Some(every) = self.state.config.scan_interval else {
            return;
        };
        loop {
            if let Err(e) = self.maybe_schedule(every).await {
                tracing::warn!("scheduler: {e}");
            }
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(10).min(every)) => {}
                _ = sd.changed() => {}
            }
            if *sd.borrow() {
                return;
            }
        }
    }

    async fn maybe_schedule(&self, every: Duration) -> Result<(), drydock_store::StoreError> {
        let specs = self.state.specs().await?;
        if specs.is_empty() {
            return Ok(());
        }
        let last = self.state.store.latest_scan(REGULAR).await?;
        let due = match &last {
            None => true,
            Some(s) => !s.active && s.created_at + every.as_millis() as i64 <= self.now(),
        };
        if due {
            if let Some(id) = queue_regular(&self.state, &specs).await? {
                tracing::info!("periodic regular scan {id} queued");
            }
        }
        Ok(())
    }

    /// A registry client for a specification, with its stored credential.
    async fn client_for(&self, spec: &RegistrySpecification) -> Result<Client, String> {
        let host = scope::registry_host(&spec.registry);
        let mut credentials = HashMap::new();
        let mut skip_verify = false;
        let mut key = host.clone();
        if !spec.credential_id.is_empty() {
            let row = self
                .state
                .store
                .credential(&spec.credential_id)
                .await
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("credential {:?} not found", spec.credential_id))?;
            let doc: Credential =
                drydock_store::Store::decode("credential", &row.doc).map_err(|e| e.to_string())?;
            let secret = row
                .sealed_secret
                .as_deref()
                .and_then(|s| self.state.secrets.open(s))
                .ok_or_else(|| {
                    format!(
                        "credential {:?}: secret cannot be decrypted (was the secret key changed?)",
                        spec.credential_id
                    )
                })?;
            skip_verify = doc.skip_verify;
            key = format!("{host}\n{}\n{}", spec.credential_id, row.modified_at);
            credentials.insert(
                host.clone(),
                Credentials::Basic {
                    username: doc.account_id.clone(),
                    password: secret,
                },
            );
        }
        let insecure = skip_verify
            || is_loopback(&host)
            || self
                .state
                .config
                .insecure_registries
                .iter()
                .any(|r| r == &host);
        if let Some(c) = self.clients.lock().ok().and_then(|m| m.get(&key).cloned()) {
            return Ok(c);
        }
        let client = Client::new(ClientOptions {
            insecure,
            credentials,
            ..Default::default()
        })
        .map_err(|e| e.to_string())?;
        if let Ok(mut m) = self.clients.lock() {
            m.insert(key, client.clone());
        }
        Ok(client)
    }

    fn platform(spec: &RegistrySpecification) -> Platform {
        let p = if spec.os == "linuxARM64" {
            "linux/arm64"
        } else {
            "linux/amd64"
        };
        Platform::parse(p).unwrap_or(Platform {
            os: "linux".into(),
            architecture: "amd64".into(),
            variant: None,
        })
    }

    async fn discovery_loop(&self, mut sd: watch::Receiver<bool>) {
        loop {
            match self
                .state
                .store
                .claim_discovery(&self.id, self.now(), self.lease_ms())
                .await
            {
                Ok(Some(scan)) => {
                    let id = scan.id;
                    if let Err(e) = self.discover(scan).await {
                        tracing::error!("scan {id}: discovery: {e}");
                        logged(
                            "fail scan",
                            self.state.store.fail_scan(id, &e, self.now()).await,
                        );
                    }
                    continue;
                }
                Ok(None) => {}
                Err(e) => tracing::warn!("claim discovery: {e}"),
            }
            if !pause(self, &mut sd, Duration::from_millis(500)).await {
                return;
            }
        }
    }

    /// Lists repositories and tags of every specification and queues the images.
    async fn discover(&self, scan: ScanRow) -> Result<(), String> {
        let specs: Vec<RegistrySpecification> =
            serde_json::from_str(&scan.specs_json).map_err(|e| format!("specifications: {e}"))?;
        let store = &self.state.store;
        let renew = || async {
            store
                .renew_discovery(scan.id, &self.id, self.now() + self.lease_ms())
                .await
                .unwrap_or(false)
        };
        for (idx, spec) in specs.iter().enumerate() {
            let idx = idx as i64;
            if store.spec_stopped(scan.id, idx).await.unwrap_or(true) {
                continue;
            }
            if !renew().await {
                return Ok(()); // stopped, or another worker took over
            }
            let host = scope::registry_host(&spec.registry);
            let client = match self.client_for(spec).await {
                Ok(c) => c,
                Err(e) => {
                    logged("spec error", store.set_spec_error(scan.id, idx, &e).await);
                    continue;
                }
            };
            let platform = Self::platform(spec);
            let probe = |repo: &str| Reference {
                registry: host.clone(),
                repository: repo.to_string(),
                tag: None,
                digest: None,
            };
            // One image (on-demand or selective regular scan).
            if !scan.repo.is_empty() {
                logged(
                    "repos total",
                    store.set_repos_total(scan.id, idx, 1, self.now()).await,
                );
                let r = Reference {
                    registry: host.clone(),
                    repository: scan.repo.clone(),
                    tag: (!scan.tag.is_empty()).then(|| scan.tag.clone()),
                    digest: (!scan.digest.is_empty()).then(|| scan.digest.clone()),
                };
                let img = client
                    .resolve(&r, Some(&platform))
                    .await
                    .map_err(|e| format!("Failed to query image details of {r}: {e}"))?;
                let found = FoundImage {
                    registry: host.clone(),
                    repo: scan.repo.clone(),
                    tag: if scan.tag.is_empty() {
                        scan.digest.clone()
                    } else {
                        scan.tag.clone()
                    },
                    digest: img.manifest_digest,
                    index_digest: img.index_digest.unwrap_or_default(),
                };
                store
                    .add_discovered(scan.id, idx, &self.id, &[found])
                    .await
                    .map_err(|e| e.to_string())?;
                continue;
            }
            let repos: Vec<String> = if !spec.repository.is_empty()
                && !spec.repository.contains('*')
            {
                vec![spec.repository.clone()]
            } else {
                match client.list_repositories(&probe("")).await {
                    Ok(all) => all
                        .into_iter()
                        .filter(|r| scope::covers_repo(spec, r))
                        .collect(),
                    Err(e) => {
                        let msg = format!("Failed to retrieve repositories info from {host}: {e}");
                        logged("spec error", store.set_spec_error(scan.id, idx, &msg).await);
                        continue;
                    }
                }
            };
            logged(
                "repos total",
                store
                    .set_repos_total(scan.id, idx, repos.len() as i64, self.now())
                    .await,
            );
            for repo in repos {
                if store.spec_stopped(scan.id, idx).await.unwrap_or(true) || !renew().await {
                    break;
                }
                let found = self
                    .discover_repo(&client, spec, &probe(&repo), &platform)
                    .await;
                let found = match found {
                    Ok((f, skipped)) => {
                        if let Some(e) = skipped.first() {
                            logged("spec error", store.set_spec_error(scan.id, idx, e).await);
                        }
                        f
                    }
                    Err(e) => {
                        logged("spec error", store.set_spec_error(scan.id, idx, &e).await);
                        Vec::new()
                    }
                };
                let kept = store
                    .add_discovered(scan.id, idx, &self.id, &found)
                    .await
                    .map_err(|e| e.to_string())?;
                if !kept {
                    if renew().await {
                        break; // only this specification was stopped: go on with the next
                    }
                    return Ok(()); // the scan was stopped or taken over
                }
                self.state.wake.notify_waiters();
            }
        }
        store
            .finish_discovery(scan.id, &self.id, self.now())
            .await
            .map_err(|e| e.to_string())?;
        self.state.wake.notify_waiters();
        Ok(())
    }

    /// Tags of one repository in scope, resolved to digests, newest `cap` kept; and
    /// the errors of tags that could not be resolved.
    async fn discover_repo(
        &self,
        client: &Client,
        spec: &RegistrySpecification,
        repo: &Reference,
        platform: &Platform,
    ) -> Result<(Vec<FoundImage>, Vec<String>), String> {
        let tags = client
            .list_tags(repo)
            .await
            .map_err(|e| format!("Failed to retrieve tags of {repo}: {e}"))?;
        let mut found = Vec::new();
        let mut skipped = Vec::new();
        for tag in tags.into_iter().filter(|t| scope::covers_tag(spec, t)) {
            let r = Reference {
                tag: Some(tag.clone()),
                ..repo.clone()
            };
            match client.resolve(&r, Some(platform)).await {
                Ok(img) => {
                    let created = drydock_scan::ImageConfig::parse("", &img.config_json)
                        .created
                        .as_deref()
                        .and_then(crate::clock::parse_rfc3339)
                        .unwrap_or(0);
                    found.push((
                        created,
                        FoundImage {
                            registry: repo.registry.clone(),
                            repo: repo.repository.clone(),
                            tag,
                            digest: img.manifest_digest,
                            index_digest: img.index_digest.unwrap_or_default(),
                        },
                    ));
                }
                Err(e) => {
                    // The tag is left out of the scan; the error is kept for progress and statuses.
                    let msg = format!("Failed to query image details of {r}: {e}");
                    tracing::warn!("{msg}");
                    skipped.push(msg);
                }
            }
        }
        if spec.cap > 0 {
            found.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.tag.cmp(&b.1.tag)));
            found.truncate(spec.cap as usize);
        }
        Ok((found.into_iter().map(|(_, f)| f).collect(), skipped))
    }

    async fn image_loop(&self, mut sd: watch::Receiver<bool>) {
        loop {
            match self
                .state
                .store
                .claim_image(&self.id, self.now(), self.lease_ms())
                .await
            {
                Ok(Some(job)) => {
                    self.run_image(job).await;
                    continue;
                }
                Ok(None) => {}
                Err(e) => tracing::warn!("claim image: {e}"),
            }
            if !pause(self, &mut sd, Duration::from_millis(500)).await {
                return;
            }
        }
    }

    /// Scans one claimed digest, renewing the lease; gives up when the lease is lost (stop).
    async fn run_image(&self, job: ImageJob) {
        let store = &self.state.store;
        let work = self.scan_image(&job);
        tokio::pin!(work);
        let every = Duration::from_millis((self.lease_ms() / 3).max(200) as u64);
        let outcome = loop {
            tokio::select! {
                r = &mut work => break Some(r),
                _ = tokio::time::sleep(every) => {
                    let until = self.now() + self.lease_ms();
                    if !store.renew_image(&job, &self.id, until).await.unwrap_or(true) {
                        break None;
                    }
                }
            }
        };
        let Some(result) = outcome else {
            tracing::info!("scan {}: {} abandoned (stopped)", job.scan_id, job.digest);
            return;
        };
        let error = match result {
            Ok(()) => String::new(),
            Err(e) => e,
        };
        if let Err(e) = store
            .complete_image(&job, &self.id, &error, self.now())
            .await
        {
            tracing::error!("scan {}: recording {}: {e}", job.scan_id, job.digest);
        }
        if let Ok(Some(s)) = store.scan(job.scan_id).await {
            if !s.active && s.kind == REGULAR && s.state == "done" && s.repo.is_empty() {
                self.prune_gone(&s).await;
            }
        }
    }

    async fn scan_image(&self, job: &ImageJob) -> Result<(), String> {
        let store = &self.state.store;
        let scan = store
            .scan(job.scan_id)
            .await
            .map_err(|e| e.to_string())?
            .ok_or("scan vanished")?;
        let specs: Vec<RegistrySpecification> =
            serde_json::from_str(&scan.specs_json).map_err(|e| format!("specifications: {e}"))?;
        let first = job.tags.first().ok_or("no tags")?;
        let spec = specs
            .get(first.spec_idx as usize)
            .cloned()
            .unwrap_or_default();
        let client = self.client_for(&spec).await?;
        let reference = Reference {
            registry: first.registry.clone(),
            repository: first.repo.clone(),
            tag: None,
            digest: Some(job.digest.clone()),
        };
        let scanner = Scanner::new(
            client,
            Some(self.cache.clone()),
            ScanOptions {
                platform: Some(Self::platform(&spec)),
                ..Default::default()
            },
        );
        let db = drydock_vulndb::store::Store::new(&self.state.config.vulndb_dir)
            .snapshot()
            .map_err(|e| format!("vulnerability DB unavailable: {e} (run `drydock db update`)"))?;
        // The scan pipeline's future is not `Send` for every lifetime (it borrows
        // across a buffered stream), so it runs on its own blocking thread.
        let rt = tokio::runtime::Handle::current();
        let what = reference.to_string();
        let rep: ScanReport = tokio::task::spawn_blocking(move || {
            rt.block_on(scanner.scan(&reference, Some(&db), &NoProgress))
        })
        .await
        .map_err(|e| format!("Failed to scan {what}: scanner died: {e}"))?
        .map_err(|e| format!("Failed to scan {what}: {e}"))?;
        let json = serde_json::to_vec(&rep).map_err(|e| e.to_string())?;
        let packed = zstd::encode_all(&json[..], 3).map_err(|e| e.to_string())?;
        let counts = report::counts(&rep);
        let now = self.now();
        store
            .put_report(&ReportRow {
                digest: job.digest.clone(),
                image_id: rep.config.id.clone(),
                scan_id: job.scan_id,
                scan_time: now,
                counts,
                risk_score: report::risk_score(&counts),
                report: packed,
            })
            .await
            .map_err(|e| e.to_string())?;
        for t in &job.tags {
            // Scanned by digest (on-demand): the "tag" column holds the digest.
            let name = if t.tag.contains(':') {
                format!("{}/{}@{}", t.registry, t.repo, t.tag)
            } else {
                format!("{}/{}:{}", t.registry, t.repo, t.tag)
            };
            store
                .upsert_image(&ImageRow {
                    registry: t.registry.clone(),
                    repo: t.repo.clone(),
                    tag: t.tag.clone(),
                    name,
                    digest: job.digest.clone(),
                    index_digest: t.index_digest.clone(),
                    on_demand: scan.kind != REGULAR,
                    scan_id: job.scan_id,
                    scan_time: now,
                    first_scan_time: now,
                })
                .await
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    /// After a complete regular scan: images in its scope it did not see are gone from the registry.
    async fn prune_gone(&self, scan: &ScanRow) {
        let Ok(specs) = serde_json::from_str::<Vec<RegistrySpecification>>(&scan.specs_json) else {
            return;
        };
        let store = &self.state.store;
        let Ok(progress) = store.spec_progress(scan.id).await else {
            return;
        };
        // Only specifications whose discovery went through cleanly are trusted to say what is gone.
        let clean: Vec<&RegistrySpecification> = specs
            .iter()
            .zip(&progress)
            .filter(|(_, p)| p.error.is_empty() && !p.stopped)
            .map(|(s, _)| s)
            .collect();
        let mut seen = std::collections::HashSet::new();
        if let Ok(rows) = store.scan_images(scan.id).await {
            for (reg, repo, tag, ..) in rows {
                seen.insert((reg, repo, tag));
            }
        }
        let registries: std::collections::BTreeSet<String> = clean
            .iter()
            .map(|s| scope::registry_host(&s.registry))
            .collect();
        for reg in registries {
            let Ok(images) = store.images_of_registry(&reg).await else {
                continue;
            };
            for (repo, tag, last_scan, on_demand) in images {
                if on_demand
                    || last_scan >= scan.id
                    || seen.contains(&(reg.clone(), repo.clone(), tag.clone()))
                {
                    continue;
                }
                let in_scope = clean.iter().any(|s| {
                    scope::registry_host(&s.registry) == reg
                        && scope::covers_repo(s, &repo)
                        && scope::covers_tag(s, &tag)
                });
                if in_scope {
                    logged("prune", store.delete_image(&reg, &repo, &tag).await);
                }
            }
        }
    }
}
