//! Registry credentials and the `WWW-Authenticate` challenge.

use std::collections::HashMap;
use std::path::Path;

use base64::Engine;
use serde::Deserialize;

/// Credentials for one registry.
#[derive(Clone, Default, PartialEq, Eq)]
pub enum Credentials {
    /// No credentials: anonymous pulls (and anonymous bearer tokens).
    #[default]
    Anonymous,
    /// Username and password (or token) for Basic auth and token endpoints.
    Basic {
        /// User name.
        username: String,
        /// Password or personal access token.
        password: String,
    },
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credentials::Anonymous => f.write_str("Anonymous"),
            Credentials::Basic { username, .. } => write!(f, "Basic({username}, ***)"),
        }
    }
}

/// The subset of `~/.docker/config.json` that holds static credentials.
#[derive(Debug, Default, Deserialize)]
pub struct DockerConfig {
    #[serde(default)]
    auths: HashMap<String, DockerAuth>,
}

#[derive(Debug, Default, Deserialize)]
struct DockerAuth {
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
}

impl DockerConfig {
    /// Reads a docker config file; a missing file is an empty config.
    pub fn load(path: &Path) -> Result<Self, String> {
        match std::fs::read(path) {
            Ok(b) => serde_json::from_slice(&b).map_err(|e| format!("{}: {e}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(format!("{}: {e}", path.display())),
        }
    }

    /// Reads `$DOCKER_CONFIG/config.json` or `~/.docker/config.json`.
    pub fn load_default() -> Result<Self, String> {
        let dir = std::env::var_os("DOCKER_CONFIG")
            .map(std::path::PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".docker")));
        match dir {
            Some(d) => Self::load(&d.join("config.json")),
            None => Ok(Self::default()),
        }
    }

    /// Credentials stored for `registry` (keys may carry a scheme and `/v1/` path).
    pub fn credentials_for(&self, registry: &str) -> Option<Credentials> {
        let want = normalize(registry);
        let entry = self.auths.iter().find(|(k, _)| normalize(k) == want)?.1;
        if let (Some(u), Some(p)) = (&entry.username, &entry.password) {
            return Some(Credentials::Basic {
                username: u.clone(),
                password: p.clone(),
            });
        }
        let raw = base64::engine::general_purpose::STANDARD
            .decode(entry.auth.as_deref()?.trim())
            .ok()?;
        let s = String::from_utf8(raw).ok()?;
        let (u, p) = s.split_once(':')?;
        Some(Credentials::Basic {
            username: u.to_string(),
            password: p.to_string(),
        })
    }
}

fn normalize(k: &str) -> String {
    let k = k
        .trim_start_matches("https://")
        .trim_start_matches("http://");
    let host = k.split('/').next().unwrap_or(k);
    match host {
        "index.docker.io" | "registry-1.docker.io" | "docker.io" => "docker.io".into(),
        h => h.to_string(),
    }
}

/// A parsed `WWW-Authenticate` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Challenge {
    Basic,
    Bearer {
        realm: String,
        service: Option<String>,
        scope: Option<String>,
    },
}

pub(crate) fn parse_challenge(h: &str) -> Option<Challenge> {
    let (scheme, params) = h.trim().split_once(' ').unwrap_or((h.trim(), ""));
    if scheme.eq_ignore_ascii_case("basic") {
        return Some(Challenge::Basic);
    }
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let mut map = HashMap::new();
    let mut rest = params;
    while !rest.is_empty() {
        let (k, after) = rest.split_once('=')?;
        let k = k.trim().trim_start_matches(',').trim().to_ascii_lowercase();
        let after = after.trim_start();
        let (v, next) = if let Some(q) = after.strip_prefix('"') {
            let end = q.find('"')?;
            (&q[..end], &q[end + 1..])
        } else {
            let end = after.find(',').unwrap_or(after.len());
            (&after[..end], &after[end..])
        };
        map.insert(k, v.to_string());
        rest = next.trim_start_matches(',').trim();
    }
    Some(Challenge::Bearer {
        realm: map.remove("realm")?,
        service: map.remove("service"),
        scope: map.remove("scope"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_challenge() {
        let c = parse_challenge(r#"Bearer realm="http://127.0.0.1:5059/token",service="fixture-registry",scope="repository:a/b:pull""#).unwrap();
        assert_eq!(
            c,
            Challenge::Bearer {
                realm: "http://127.0.0.1:5059/token".into(),
                service: Some("fixture-registry".into()),
                scope: Some("repository:a/b:pull".into())
            }
        );
        assert_eq!(parse_challenge("Basic realm=\"x\""), Some(Challenge::Basic));
        assert_eq!(parse_challenge("Bearer service=\"x\""), None);
    }

    #[test]
    fn docker_config_auth() {
        let cfg: DockerConfig = serde_json::from_str(
            r#"{"auths":{"https://127.0.0.1:5057/v1/":{"auth":"cmVhZGVyOnIzYWRlcg=="}}}"#,
        )
        .unwrap();
        assert_eq!(
            cfg.credentials_for("127.0.0.1:5057"),
            Some(Credentials::Basic {
                username: "reader".into(),
                password: "r3ader".into()
            })
        );
        assert_eq!(cfg.credentials_for("127.0.0.1:5058"), None);
    }
}
