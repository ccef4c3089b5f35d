//! Image references: `[registry/]repository[:tag][@digest]`, Docker's defaults included.

use std::fmt;

use crate::error::{Error, ErrorKind};

/// A parsed image reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// Registry host (and port) as written, e.g. `127.0.0.1:5055` or `docker.io`.
    pub registry: String,
    /// Repository path, e.g. `fixtures/alpine` (`library/` added for Docker Hub).
    pub repository: String,
    /// Tag, when given (defaults to `latest` when neither tag nor digest is given).
    pub tag: Option<String>,
    /// Digest, when given (`sha256:...`).
    pub digest: Option<String>,
}

impl Reference {
    /// Parses a reference the way `docker pull` does.
    pub fn parse(s: &str) -> Result<Self, Error> {
        let bad = |why: &str| Error::new(ErrorKind::InvalidReference, format!("{s:?}: {why}"));
        let s = s.trim();
        if s.is_empty() {
            return Err(bad("empty"));
        }
        let (rest, digest) = match s.split_once('@') {
            Some((r, d)) => {
                let (alg, hex) = d
                    .split_once(':')
                    .ok_or_else(|| bad("digest needs algorithm:hex"))?;
                if alg != "sha256" || hex.len() != 64 || !hex.bytes().all(|c| c.is_ascii_hexdigit())
                {
                    return Err(bad("only sha256 digests of 64 hex digits are supported"));
                }
                (r, Some(d.to_ascii_lowercase()))
            }
            None => (s, None),
        };
        // The first path component is a registry if it looks like a host.
        let (registry, path) = match rest.split_once('/') {
            Some((first, remainder))
                if first.contains('.') || first.contains(':') || first == "localhost" =>
            {
                (first.to_string(), remainder)
            }
            _ => ("docker.io".to_string(), rest),
        };
        let (repo, tag) = match path.rsplit_once(':') {
            Some((r, t)) if !t.contains('/') => (r, Some(t.to_string())),
            _ => (path, None),
        };
        if repo.is_empty() {
            return Err(bad("empty repository"));
        }
        let valid = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-/".contains(c);
        if !repo.chars().all(valid) || repo.starts_with('/') || repo.ends_with('/') {
            return Err(bad("repository must be lowercase [a-z0-9._-/]"));
        }
        if let Some(t) = &tag {
            let ok = !t.is_empty()
                && t.len() <= 128
                && t.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
            if !ok {
                return Err(bad("invalid tag"));
            }
        }
        let repository = if registry == "docker.io" && !repo.contains('/') {
            format!("library/{repo}")
        } else {
            repo.to_string()
        };
        let tag = if tag.is_none() && digest.is_none() {
            Some("latest".to_string())
        } else {
            tag
        };
        Ok(Reference {
            registry,
            repository,
            tag,
            digest,
        })
    }

    /// Host to connect to (Docker Hub's API lives on `registry-1.docker.io`).
    pub fn api_host(&self) -> &str {
        if self.registry == "docker.io" {
            "registry-1.docker.io"
        } else {
            &self.registry
        }
    }

    /// The tag or digest to fetch the manifest by (digest wins).
    pub fn manifest_ref(&self) -> &str {
        self.digest
            .as_deref()
            .or(self.tag.as_deref())
            .unwrap_or("latest")
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_common_forms() {
        let r = Reference::parse("127.0.0.1:5055/fixtures/alpine:3.10.9").unwrap();
        assert_eq!(r.registry, "127.0.0.1:5055");
        assert_eq!(r.repository, "fixtures/alpine");
        assert_eq!(r.tag.as_deref(), Some("3.10.9"));
        let r = Reference::parse("alpine").unwrap();
        assert_eq!(
            (r.registry.as_str(), r.repository.as_str()),
            ("docker.io", "library/alpine")
        );
        assert_eq!(r.tag.as_deref(), Some("latest"));
        let d = format!("sha256:{}", "a".repeat(64));
        let r = Reference::parse(&format!("localhost:5000/x/y@{d}")).unwrap();
        assert_eq!(r.manifest_ref(), d);
        assert!(r.tag.is_none());
    }

    #[test]
    fn rejects_garbage() {
        for s in ["", "UPPER/case", "x@sha256:12", "host:5000/", "a/b:bad tag"] {
            assert!(Reference::parse(s).is_err(), "{s}");
        }
    }
}
