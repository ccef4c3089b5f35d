//! The one application state every handler and worker shares.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use drydock_store::Store;
use tokio::sync::Notify;

use crate::auth::BasicCache;
use crate::clock::Clock;
use crate::prisma::model::{RegistrySettings, RegistrySpecification};
use crate::secrets::SecretBox;

/// Service settings (from `drydock serve` flags or tests).
#[derive(Debug, Clone)]
pub struct Config {
    /// Vulnerability DB directory.
    pub vulndb_dir: PathBuf,
    /// Lifetime of tokens from `/authenticate`.
    pub token_ttl: Duration,
    /// Start a regular scan this long after the last one began (`None`: only on request).
    pub scan_interval: Option<Duration>,
    /// Images scanned at once by this process.
    pub concurrency: usize,
    /// Lease on claimed work; a worker silent this long is presumed dead.
    pub lease: Duration,
    /// Registries reached over plain HTTP or unverified TLS besides loopback ones.
    pub insecure_registries: Vec<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            vulndb_dir: PathBuf::from("db"),
            token_ttl: Duration::from_secs(30 * 60),
            scan_interval: Some(Duration::from_secs(24 * 3600)),
            concurrency: 2,
            lease: Duration::from_secs(30),
            insecure_registries: Vec::new(),
        }
    }
}

/// Shared state: the store, the clock, settings and the secret box.
#[derive(Clone)]
pub struct AppState {
    /// Database.
    pub store: Store,
    /// Time source.
    pub clock: Arc<dyn Clock>,
    /// Settings.
    pub config: Arc<Config>,
    /// Seals registry secrets.
    pub secrets: SecretBox,
    /// Recently verified Basic logins.
    pub basic_cache: Arc<BasicCache>,
    /// A hash to verify against when the user does not exist (constant-time-ish logins).
    pub dummy_hash: Arc<str>,
    /// This host's name, as reported in results.
    pub hostname: Arc<str>,
    /// Wakes this process's workers when work was queued.
    pub wake: Arc<Notify>,
}

/// Settings document name of the registry scan settings.
pub const REGISTRY_SETTINGS: &str = "registry";

impl AppState {
    /// The saved registry settings.
    pub async fn registry_settings(&self) -> Result<RegistrySettings, drydock_store::StoreError> {
        match self.store.setting(REGISTRY_SETTINGS).await? {
            Some(doc) => Store::decode("registry settings", &doc),
            None => Ok(RegistrySettings::default()),
        }
    }

    /// The saved registry specifications.
    pub async fn specs(&self) -> Result<Vec<RegistrySpecification>, drydock_store::StoreError> {
        Ok(self.registry_settings().await?.specifications)
    }

    /// Now (ms).
    pub fn now(&self) -> i64 {
        self.clock.now_ms()
    }
}
