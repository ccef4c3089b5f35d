//! Which images a registry specification covers: Prisma's wildcards in
//! `repository` and `tag`, exclusions, and the registry address.

use crate::prisma::model::RegistrySpecification;

/// Prisma-style wildcard match: `*` matches any run of characters (slashes
/// included), everything else matches itself. An empty pattern matches all.
pub fn wildcard(pattern: &str, s: &str) -> bool {
    let pattern = pattern.trim();
    if pattern.is_empty() {
        return true;
    }
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = s.chars().collect();
    // Iterative glob with backtracking to the last star: linear in practice.
    let (mut pi, mut ti) = (0usize, 0usize);
    let (mut star, mut mark) = (None::<usize>, 0usize);
    while ti < t.len() {
        if pi < p.len() && p[pi] != '*' && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(sp) = star {
            pi = sp + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// The registry address as the client uses it: Docker Hub for "".
pub fn registry_host(spec_registry: &str) -> String {
    let r = spec_registry
        .trim()
        .trim_start_matches("https://")
        .trim_start_matches("http://")
        .trim_end_matches('/');
    match r {
        "" | "docker.io" | "index.docker.io" | "registry-1.docker.io" => "docker.io".to_string(),
        r => r.to_string(),
    }
}

/// True when the specification covers the repository (ignoring tags).
pub fn covers_repo(spec: &RegistrySpecification, repo: &str) -> bool {
    wildcard(&spec.repository, repo)
        && !spec
            .excluded_repositories
            .iter()
            .any(|x| !x.trim().is_empty() && wildcard(x, repo))
}

/// True when the specification covers the tag.
pub fn covers_tag(spec: &RegistrySpecification, tag: &str) -> bool {
    wildcard(&spec.tag, tag)
        && !spec
            .excluded_tags
            .iter()
            .any(|x| !x.trim().is_empty() && wildcard(x, tag))
}

/// The first specification covering `registry/repo[:tag]` (tag `None`: any tag, for digests).
pub fn find_spec<'a>(
    specs: &'a [RegistrySpecification],
    registry: &str,
    repo: &str,
    tag: Option<&str>,
) -> Option<(usize, &'a RegistrySpecification)> {
    let host = registry_host(registry);
    specs.iter().enumerate().find(|(_, s)| {
        registry_host(&s.registry) == host
            && covers_repo(s, repo)
            && tag.is_none_or(|t| covers_tag(s, t))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards() {
        assert!(wildcard("fixtures/*", "fixtures/alpine"));
        assert!(wildcard("fixtures/*", "fixtures/a/b"));
        assert!(!wildcard("fixtures/*", "other/alpine"));
        assert!(wildcard("*", "x"));
        assert!(wildcard("", "x"));
        assert!(wildcard("3.*", "3.18"));
        assert!(!wildcard("3.*", "edge"));
        assert!(wildcard("*-v2s2", "bookworm-v2s2"));
        assert!(!wildcard("*-v2s2", "bookworm"));
        assert!(wildcard("a*b*c", "axxbyyc"));
        assert!(!wildcard("a*b*c", "axxbyy"));
        assert!(wildcard("library/alpine", "library/alpine"));
        assert!(!wildcard("library/alpine", "library/alpine2"));
    }

    #[test]
    fn registry_hosts() {
        assert_eq!(registry_host(""), "docker.io");
        assert_eq!(registry_host("https://127.0.0.1:5055/"), "127.0.0.1:5055");
    }
}
