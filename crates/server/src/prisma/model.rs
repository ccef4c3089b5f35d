//! Prisma Cloud Compute wire types, named and spelled as in its OpenAPI spec
//! (`shared.*`, `vuln.*`, `cred.*`). Unknown fields in requests are ignored.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `api.AuthenticationRequest`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct AuthenticationRequest {
    /// User name (case-sensitive).
    pub username: String,
    /// Password.
    pub password: String,
    /// Prisma JWT (not supported here).
    pub token: String,
}

/// `api.AuthenticationResponse`.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuthenticationResponse {
    /// Bearer token for later calls.
    pub token: String,
}

/// `shared.ImageTag`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct ImageTag {
    /// Registry address.
    pub registry: String,
    /// Repository.
    pub repo: String,
    /// Tag.
    pub tag: String,
    /// Digest.
    pub digest: String,
    /// Image id.
    pub id: String,
}

/// `shared.RegistryScanRequest`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default, rename_all = "camelCase")]
pub struct RegistryScanRequest {
    /// Scan now, beside the regular scan; cannot be stopped.
    pub on_demand_scan: bool,
    /// Scan id (ignored).
    #[serde(rename = "scanID")]
    pub scan_id: i64,
    /// Restrict to one image.
    pub tag: Option<ImageTag>,
    /// A specification to scan (ignored: the saved settings decide the scope).
    #[schema(value_type = Object)]
    pub settings: Option<serde_json::Value>,
    /// Type (ignored).
    #[serde(rename = "type")]
    pub kind: i64,
}

/// `shared.RegistrySpecification`; the status fields are kept by the server.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(default, rename_all = "camelCase")]
pub struct RegistrySpecification {
    /// Unique id (assigned when empty).
    pub id: String,
    /// Registry type: `2` for Docker Registry v2, `harbor`, `gcr`, ...
    pub version: String,
    /// Registry address; empty for Docker Hub.
    pub registry: String,
    /// Repositories to scan, with `*` wildcards.
    pub repository: String,
    /// Tags to scan, with `*` wildcards.
    pub tag: String,
    /// Repositories to skip.
    pub excluded_repositories: Vec<String>,
    /// Tags to skip.
    pub excluded_tags: Vec<String>,
    /// Id of a credential in the credentials store.
    #[serde(rename = "credentialID")]
    pub credential_id: String,
    /// Image OS: `linux`, `linuxARM64` or `windows`.
    pub os: String,
    /// Most recent images per repository to scan (0: all).
    pub cap: i64,
    /// Scanners per scan job.
    pub scanners: i64,
    /// Collections in scope.
    pub collections: Vec<String>,
    /// Version pattern.
    pub version_pattern: String,
    /// Namespace (IBM).
    pub namespace: String,
    /// CA certificate of the registry.
    pub ca_cert: String,
    /// Harbor deployment security.
    pub harbor_deployment_security: bool,
    /// JFrog repository types.
    pub jfrog_repo_types: Vec<String>,
    /// Status of the current scan of this specification.
    pub scan_status: String,
    /// Status of its last scan.
    pub last_scan_status: String,
    /// Last error.
    pub scan_error: String,
    /// Current scan start.
    pub scan_time: String,
    /// Last scan end.
    pub last_scan_time: String,
    /// Images scanned successfully in the last scan.
    pub scanned_images_success_total: i64,
}

/// `shared.RegistrySettings`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(default, rename_all = "camelCase")]
pub struct RegistrySettings {
    /// The specifications.
    pub specifications: Vec<RegistrySpecification>,
    /// Webhook URL suffix.
    pub webhook_url_suffix: String,
    /// Harbor scanner URL suffix.
    pub harbor_scanner_url_suffix: String,
}

/// `common.Secret`: `plain` is accepted, never returned.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct Secret {
    /// Encrypted value (what responses carry).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub encrypted: String,
    /// Plain value (requests only).
    #[serde(skip_serializing)]
    pub plain: String,
}

/// `cred.Credential`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(default, rename_all = "camelCase")]
pub struct Credential {
    /// Unique id.
    #[serde(rename = "_id")]
    pub id: String,
    /// Type: `basic`, `apiToken`, `aws`, ...
    #[serde(rename = "type")]
    pub kind: String,
    /// Account: for `basic`, the user name.
    #[serde(rename = "accountID")]
    pub account_id: String,
    /// The secret (password).
    pub secret: Secret,
    /// API token (for `apiToken`).
    pub api_token: Secret,
    /// Description.
    pub description: String,
    /// CA certificate.
    pub ca_cert: String,
    /// Skip TLS verification.
    pub skip_verify: bool,
    /// URL.
    pub url: String,
    /// Created.
    pub created: String,
    /// Last modified.
    pub last_modified: String,
    /// Owner.
    pub owner: String,
    /// Global scope.
    pub global: bool,
    /// Onboarded from the platform.
    pub external: bool,
}

/// `types.CredentialUsage`.
#[derive(Debug, Serialize, ToSchema)]
pub struct CredentialUsage {
    /// What uses it (the specification).
    pub description: String,
    /// `Registry Scan`.
    #[serde(rename = "type")]
    pub kind: String,
}

/// `shared.Progress`.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Progress {
    /// Agentless (always false).
    pub ais_initial_scan_in_progress: bool,
    /// Agentless (always false).
    pub ais_on_demand_scan_in_progress: bool,
    /// In the discovery phase.
    pub discovery: bool,
    /// Error of this step.
    pub error: String,
    /// Host (not populated, as documented).
    pub hostname: String,
    /// Id of the entity being scanned.
    pub id: String,
    /// Triggered by a user for one image.
    pub on_demand: bool,
    /// Scan time (not populated, as documented).
    pub scan_time: String,
    /// Done so far.
    pub scanned: i64,
    /// Progress title.
    pub title: String,
    /// Total.
    pub total: i64,
    /// Scan type; left out when empty (the documented examples show `""`,
    /// which the spec's enum does not allow).
    #[serde(rename = "type", skip_serializing_if = "String::is_empty")]
    pub kind: String,
}

/// `shared.RegistryScanProgress`.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RegistryScanProgress {
    /// Step 1: discovering tags.
    pub discovery: Progress,
    /// Step 2: scanning images.
    pub image_scan: Progress,
    /// A scan is going on.
    pub is_scan_ongoing: bool,
    /// When this specification's scan started.
    pub spec_scan_start_time: String,
}

/// `defender.ScanStatus`.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScanStatus {
    /// The last scan finished.
    pub completed: bool,
    /// Ten most recent errors.
    pub errors: Vec<String>,
    /// Host.
    pub hostname: String,
    /// Time of the last scan.
    pub scan_time: String,
    /// Scanning now.
    pub scanning: bool,
    /// The scan was of selected images.
    pub selective: bool,
}

/// `vuln.Distribution`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct Distribution {
    /// Critical.
    pub critical: i64,
    /// High.
    pub high: i64,
    /// Medium.
    pub medium: i64,
    /// Low.
    pub low: i64,
    /// All.
    pub total: i64,
}

/// `vuln.Vulnerability` (package vulnerabilities).
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Vulnerability {
    /// CVE (or other) id.
    pub cve: String,
    /// Prisma's numeric id (46 = OS package CVE, 47 = application package CVE).
    pub id: i64,
    /// critical, high, medium, low, negligible, unknown.
    pub severity: String,
    /// CVSS base score.
    pub cvss: f64,
    /// CVSS vector.
    pub vec_str: String,
    /// Package name.
    pub package_name: String,
    /// Installed version.
    pub package_version: String,
    /// Package type.
    pub package_type: String,
    /// Vendor status, e.g. `fixed in 1.2.12-r2`.
    pub status: String,
    /// Advisory link.
    pub link: String,
    /// Description.
    pub description: String,
    /// Title.
    pub title: String,
    /// Text (why it matched).
    pub text: String,
    /// Type: `image`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Risk factors: name -> detail.
    pub risk_factors: BTreeMap<String, String>,
    /// Creation time of the layer that installed the package.
    pub layer_time: i64,
    /// Binary packages built from the advisory's source package.
    pub binary_pkgs: Vec<String>,
    /// Fix date (unix seconds; 0 when unknown).
    pub fix_date: i64,
    /// Published (unix seconds; 0 when unknown).
    pub published: i64,
    /// First seen by this console.
    pub discovered: String,
    /// Exploit source (none known).
    pub exploit: String,
    /// Grace period.
    pub grace_period_days: i64,
    /// Block effect.
    pub block: bool,
    /// Twistlock (Prisma) own advisory.
    pub twistlock: bool,
    /// Custom vulnerability.
    pub custom: bool,
    /// Applied rules.
    pub applicable_rules: Vec<String>,
}

/// `shared.Package`.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Package {
    /// Name.
    pub name: String,
    /// Version.
    pub version: String,
    /// Source package name.
    pub origin_package_name: String,
    /// Path it was found at.
    pub path: String,
    /// License.
    pub license: String,
    /// CVEs found in it.
    pub cve_count: i64,
    /// Creation time of its layer.
    pub layer_time: i64,
    /// OS package.
    pub os_package: bool,
    /// Package URL.
    pub purl: String,
}

/// `shared.Packages`.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Packages {
    /// `package` (OS), `python`, `nodejs`, `gem`, `jar`, `go`, `nuget`, `unknown`.
    pub pkgs_type: String,
    /// The packages.
    pub pkgs: Vec<Package>,
}

/// `shared.ImageHistory`.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImageHistory {
    /// Created (unix seconds).
    pub created: i64,
    /// Instruction.
    pub instruction: String,
    /// Layer id (diff id) it made, if any.
    pub id: String,
    /// Compressed size of its layer.
    pub size_bytes: i64,
    /// Made no layer.
    pub empty_layer: bool,
    /// Part of the base image.
    pub base_layer: bool,
    /// Tags.
    pub tags: Vec<String>,
    /// Vulnerabilities introduced by this layer.
    pub vulnerabilities: Vec<Vulnerability>,
}

/// `shared.Image`.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Image {
    /// Created.
    pub created: String,
    /// Entrypoint.
    pub entrypoint: Vec<String>,
    /// Environment.
    pub env: Vec<String>,
    /// Health check.
    pub healthcheck: bool,
    /// Id.
    pub id: String,
    /// Labels.
    pub labels: BTreeMap<String, String>,
    /// Layers (diff ids).
    pub layers: Vec<String>,
    /// OS.
    pub os: String,
    /// Repo digests.
    pub repo_digest: Vec<String>,
    /// Repo tags.
    pub repo_tags: Vec<String>,
    /// User.
    pub user: String,
    /// Working dir.
    pub working_dir: String,
}

/// `shared.ImageInstance`.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct ImageInstance {
    /// Host.
    pub host: String,
    /// Image name.
    pub image: String,
    /// Modified.
    pub modified: String,
    /// Registry.
    pub registry: String,
    /// Repository.
    pub repo: String,
    /// Tag.
    pub tag: String,
}

/// `vuln.AllCompliance`.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct AllCompliance {
    /// Compliance issues (none: drydock checks vulnerabilities only).
    pub compliance: Vec<Vulnerability>,
    /// Enabled.
    pub enabled: bool,
}

/// `shared.ImageScanResult`: one registry image's report.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImageScanResult {
    /// `registry/repo:tag`.
    #[serde(rename = "_id")]
    pub underscore_id: String,
    /// Image id (config digest).
    pub id: String,
    /// `image`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The tag this entry is for.
    pub repo_tag: ImageTag,
    /// Every tag of the repository with this digest.
    pub tags: Vec<ImageTag>,
    /// Registry type (the specification's `version`).
    pub registry_type: String,
    /// Tags in the registry.
    pub registry_tags: Vec<String>,
    /// `repo@digest`.
    pub repo_digests: Vec<String>,
    /// Pretty distro name.
    pub distro: String,
    /// Distro id (`debian`, `alpine`).
    pub os_distro: String,
    /// Distro release (`bookworm`).
    pub os_distro_release: String,
    /// Distro version (`12`).
    pub os_distro_version: String,
    /// An OS package manager was found.
    pub package_manager: bool,
    /// Packages by type.
    pub packages: Vec<Packages>,
    /// Applications (none).
    pub applications: Vec<serde_json::Value>,
    /// History.
    pub history: Vec<ImageHistory>,
    /// Layer ids.
    pub layers: Vec<String>,
    /// Top layer id.
    pub top_layer: String,
    /// Vulnerabilities.
    pub vulnerabilities: Vec<Vulnerability>,
    /// Their number.
    pub vulnerabilities_count: i64,
    /// Per severity.
    pub vulnerability_distribution: Distribution,
    /// Risk score.
    pub vulnerability_risk_score: f64,
    /// Compliance issues (none).
    pub compliance_issues: Vec<Vulnerability>,
    /// Their number.
    pub compliance_issues_count: i64,
    /// Per severity.
    pub compliance_distribution: Distribution,
    /// Compliance risk score.
    pub compliance_risk_score: f64,
    /// All compliance.
    pub all_compliance: AllCompliance,
    /// Image-level risk factors.
    pub risk_factors: BTreeMap<String, String>,
    /// Scan id.
    #[serde(rename = "scanID")]
    pub scan_id: i64,
    /// Last scan.
    pub scan_time: String,
    /// First scan.
    pub first_scan_time: String,
    /// Image creation.
    pub creation_time: String,
    /// drydock version.
    pub scan_version: String,
    /// drydock build date.
    pub scan_build_date: String,
    /// Host that scanned.
    pub hostname: String,
    /// Where the image is.
    pub instances: Vec<ImageInstance>,
    /// Collections.
    pub collections: Vec<String>,
    /// Labels.
    pub labels: Vec<String>,
    /// Image details.
    pub image: Image,
    /// Scan error (empty when scanned).
    pub err: String,
    /// Error code.
    pub err_code: i64,
    /// Secrets (none).
    #[serde(rename = "Secrets")]
    pub secrets: Vec<String>,
    /// The image is ARM64.
    #[serde(rename = "isARM64")]
    pub is_arm64: bool,
}
