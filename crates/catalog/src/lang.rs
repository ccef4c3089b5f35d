//! Language package catalogers: installed evidence of application dependencies.
//!
//! Each function takes one file's content and returns packages; the dispatcher
//! [`catalog_file`] picks the cataloger by path. Files the OS package manager
//! owns are filtered out afterwards by [`crate::inventory`].

use std::collections::BTreeSet;

use drydock_version::lang::pep503;

use crate::{Package, PackageKind};

/// Which language file a path is, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LangFile {
    /// `*.dist-info/METADATA`, `*.egg-info/PKG-INFO` or an `*.egg-info` file.
    PythonMetadata,
    /// `node_modules/<name>/package.json` (scoped too).
    NodePackageJson,
    /// `package-lock.json` outside node_modules.
    NpmLock,
    /// `yarn.lock` outside node_modules.
    YarnLock,
    /// `pnpm-lock.yaml` outside node_modules.
    PnpmLock,
    /// `Cargo.lock`.
    CargoLock,
    /// `specifications/*.gemspec`.
    Gemspec,
    /// `vendor/composer/installed.json`.
    ComposerInstalled,
    /// `*.deps.json`.
    DotnetDeps,
}

/// Classifies a normalised path.
pub fn classify(p: &str) -> Option<LangFile> {
    let (dir, base) = p.rsplit_once('/').unwrap_or(("", p));
    let parent = dir.rsplit('/').next().unwrap_or(dir);
    let in_node_modules = p.contains("node_modules/");
    Some(match base {
        "METADATA" if parent.ends_with(".dist-info") => LangFile::PythonMetadata,
        "PKG-INFO" if parent.ends_with(".egg-info") => LangFile::PythonMetadata,
        b if b.ends_with(".egg-info")
            && (dir.ends_with("site-packages") || dir.ends_with("dist-packages")) =>
        {
            LangFile::PythonMetadata
        }
        "package.json" if is_node_package_root(dir) => LangFile::NodePackageJson,
        "package-lock.json" if !in_node_modules => LangFile::NpmLock,
        "yarn.lock" if !in_node_modules => LangFile::YarnLock,
        "pnpm-lock.yaml" if !in_node_modules => LangFile::PnpmLock,
        "Cargo.lock" => LangFile::CargoLock,
        b if b.ends_with(".gemspec") && parent == "specifications" => LangFile::Gemspec,
        "installed.json" if dir.ends_with("vendor/composer") => LangFile::ComposerInstalled,
        b if b.ends_with(".deps.json") => LangFile::DotnetDeps,
        _ => return None,
    })
}

/// `.../node_modules/name` or `.../node_modules/@scope/name`.
fn is_node_package_root(dir: &str) -> bool {
    let parts: Vec<&str> = dir.split('/').collect();
    let n = parts.len();
    (n >= 2
        && parts[n - 2] == "node_modules"
        && !parts[n - 1].starts_with('@')
        && !parts[n - 1].starts_with('.'))
        || (n >= 3 && parts[n - 3] == "node_modules" && parts[n - 2].starts_with('@'))
}

/// Runs the cataloger for `kind` over one file.
pub fn catalog_file(
    kind: LangFile,
    path: &str,
    data: &[u8],
    layer: usize,
    warnings: &mut Vec<String>,
) -> Vec<Package> {
    let text = String::from_utf8_lossy(data);
    let r = match kind {
        LangFile::PythonMetadata => python(&text, path, layer),
        LangFile::NodePackageJson => node_package_json(data, path, layer),
        LangFile::NpmLock => npm_lock(data, path, layer),
        LangFile::YarnLock => yarn_lock(&text, path, layer),
        LangFile::PnpmLock => pnpm_lock(&text, path, layer),
        LangFile::CargoLock => cargo_lock(&text, path, layer),
        LangFile::Gemspec => gemspec(&text, path, layer),
        LangFile::ComposerInstalled => composer(data, path, layer),
        LangFile::DotnetDeps => dotnet_deps(data, path, layer),
    };
    match r {
        Ok(p) => p,
        Err(e) => {
            warnings.push(format!("/{path}: {e}; skipped"));
            Vec::new()
        }
    }
}

fn python(text: &str, path: &str, layer: usize) -> Result<Vec<Package>, String> {
    let mut name = None;
    let mut version = None;
    for line in text.lines() {
        if line.is_empty() {
            break; // headers end at the first blank line; the body is the description
        }
        if let Some(v) = line.strip_prefix("Name:") {
            name.get_or_insert(v.trim().to_string());
        } else if let Some(v) = line.strip_prefix("Version:") {
            version.get_or_insert(v.trim().to_string());
        }
    }
    match (name, version) {
        (Some(n), Some(v)) if !n.is_empty() && !v.is_empty() => Ok(vec![Package::new(
            PackageKind::Python,
            &pep503(&n),
            &v,
            path,
            layer,
        )]),
        _ => Err("Python metadata without Name and Version".into()),
    }
}

fn json(data: &[u8]) -> Result<serde_json::Value, String> {
    serde_json::from_slice(data).map_err(|e| format!("not valid JSON: {e}"))
}

fn node_package_json(data: &[u8], path: &str, layer: usize) -> Result<Vec<Package>, String> {
    let v = json(data)?;
    let (Some(n), Some(ver)) = (v["name"].as_str(), v["version"].as_str()) else {
        return Err("package.json without name and version".into());
    };
    Ok(vec![Package::new(PackageKind::Npm, n, ver, path, layer)])
}

fn npm_lock(data: &[u8], path: &str, layer: usize) -> Result<Vec<Package>, String> {
    let v = json(data)?;
    let mut out = BTreeSet::new();
    if let Some(pkgs) = v["packages"].as_object() {
        // lockfile v2/v3: "node_modules/a/node_modules/b": {version}
        for (k, p) in pkgs {
            let Some(idx) = k.rfind("node_modules/") else {
                continue;
            };
            let name = p["name"]
                .as_str()
                .unwrap_or(&k[idx + "node_modules/".len()..]);
            if let Some(ver) = p["version"].as_str() {
                if p["link"].as_bool() != Some(true) {
                    out.insert((name.to_string(), ver.to_string()));
                }
            }
        }
    } else if let Some(deps) = v["dependencies"].as_object() {
        // lockfile v1: nested "dependencies"
        fn walk(
            d: &serde_json::Map<String, serde_json::Value>,
            out: &mut BTreeSet<(String, String)>,
        ) {
            for (n, p) in d {
                if let Some(ver) = p["version"].as_str() {
                    out.insert((n.clone(), ver.to_string()));
                }
                if let Some(sub) = p["dependencies"].as_object() {
                    walk(sub, out);
                }
            }
        }
        walk(deps, &mut out);
    } else {
        return Err("package-lock.json without packages or dependencies".into());
    }
    Ok(out
        .into_iter()
        .map(|(n, v)| Package::new(PackageKind::Npm, &n, &v, path, layer))
        .collect())
}

fn yarn_lock(text: &str, path: &str, layer: usize) -> Result<Vec<Package>, String> {
    // Entries: `"name@range", name@range2:` then an indented `version "x"` (v1) or `version: x` (berry).
    let mut out = BTreeSet::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        if !line.starts_with(' ') && line.ends_with(':') && !line.starts_with('#') {
            let first = line
                .trim_end_matches(':')
                .split(',')
                .next()
                .unwrap_or("")
                .trim()
                .trim_matches('"');
            let name = match first.strip_prefix('@') {
                Some(rest) => rest.split_once('@').map(|(a, _)| format!("@{a}")),
                None => first.split_once('@').map(|(a, _)| a.to_string()),
            };
            current = name.filter(|n| n != "__metadata");
        } else if let Some(v) = line.trim().strip_prefix("version") {
            if let Some(n) = current.take() {
                let v = v.trim_start_matches(':').trim().trim_matches('"');
                out.insert((n, v.to_string()));
            }
        }
    }
    Ok(out
        .into_iter()
        .map(|(n, v)| Package::new(PackageKind::Npm, &n, &v, path, layer))
        .collect())
}

fn pnpm_lock(text: &str, path: &str, layer: usize) -> Result<Vec<Package>, String> {
    // `packages:` keys: `/name@1.2.3:` (v6), `name@1.2.3:` (v9), `/name/1.2.3:` (v5).
    let mut out = BTreeSet::new();
    let mut in_packages = false;
    for line in text.lines() {
        if !line.starts_with(' ') {
            in_packages = line.trim_end() == "packages:";
            continue;
        }
        if !in_packages || line.starts_with("    ") || !line.trim_end().ends_with(':') {
            continue;
        }
        let key = line
            .trim()
            .trim_end_matches(':')
            .trim_matches('\'')
            .trim_start_matches('/');
        let key = key.split('(').next().unwrap_or(key);
        let split = if let Some(rest) = key.strip_prefix('@') {
            rest.find('@')
                .map(|i| (format!("@{}", &rest[..i]), &rest[i + 1..]))
        } else {
            key.split_once('@').map(|(a, b)| (a.to_string(), b))
        };
        let split = split.or_else(|| key.rsplit_once('/').map(|(a, b)| (a.to_string(), b)));
        if let Some((n, v)) = split {
            if !n.is_empty() && v.starts_with(|c: char| c.is_ascii_digit()) {
                out.insert((n, v.to_string()));
            }
        }
    }
    Ok(out
        .into_iter()
        .map(|(n, v)| Package::new(PackageKind::Npm, &n, &v, path, layer))
        .collect())
}

fn cargo_lock(text: &str, path: &str, layer: usize) -> Result<Vec<Package>, String> {
    let lock: cargo_lock::Lockfile = text.parse().map_err(|e| format!("not a Cargo.lock: {e}"))?;
    Ok(lock
        .packages
        .iter()
        .map(|p| {
            Package::new(
                PackageKind::RustCrate,
                p.name.as_str(),
                &p.version.to_string(),
                path,
                layer,
            )
        })
        .collect())
}

fn gemspec(text: &str, path: &str, layer: usize) -> Result<Vec<Package>, String> {
    // Installed gemspecs are generated Ruby: `s.name = "rack".freeze` / `s.version = "2.2.3"`.
    let field = |key: &str| {
        text.lines().find_map(|l| {
            let l = l.trim();
            let rest = l
                .strip_prefix("s.")
                .or_else(|| l.strip_prefix("spec."))?
                .strip_prefix(key)?
                .trim_start();
            let rest = rest.strip_prefix('=')?.trim();
            let q = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
            let inner = &rest[1..];
            inner.find(q).map(|end| inner[..end].to_string())
        })
    };
    match (field("name"), field("version")) {
        (Some(n), Some(v)) => Ok(vec![Package::new(PackageKind::Gem, &n, &v, path, layer)]),
        _ => Err("gemspec without name and version".into()),
    }
}

fn composer(data: &[u8], path: &str, layer: usize) -> Result<Vec<Package>, String> {
    let v = json(data)?;
    let list = v["packages"]
        .as_array()
        .or_else(|| v.as_array())
        .ok_or("installed.json without packages")?;
    Ok(list
        .iter()
        .filter_map(|p| {
            Some(Package::new(
                PackageKind::PhpComposer,
                p["name"].as_str()?,
                p["version"].as_str()?.trim_start_matches('v'),
                path,
                layer,
            ))
        })
        .collect())
}

fn dotnet_deps(data: &[u8], path: &str, layer: usize) -> Result<Vec<Package>, String> {
    let v = json(data)?;
    let libs = v["libraries"]
        .as_object()
        .ok_or("deps.json without libraries")?;
    Ok(libs
        .iter()
        .filter(|(_, l)| l["type"] == "package")
        .filter_map(|(k, _)| k.split_once('/'))
        .map(|(n, ver)| Package::new(PackageKind::Dotnet, n, ver, path, layer))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classify_paths() {
        assert_eq!(
            classify("usr/local/lib/python3.11/site-packages/requests-2.19.1.dist-info/METADATA"),
            Some(LangFile::PythonMetadata)
        );
        assert_eq!(
            classify("app/node_modules/minimist/package.json"),
            Some(LangFile::NodePackageJson)
        );
        assert_eq!(
            classify("app/node_modules/@babel/core/package.json"),
            Some(LangFile::NodePackageJson)
        );
        assert_eq!(classify("app/node_modules/x/lib/package.json"), None);
        assert_eq!(classify("app/node_modules/x/package-lock.json"), None);
        assert_eq!(classify("app/package-lock.json"), Some(LangFile::NpmLock));
        assert_eq!(
            classify("usr/lib/ruby/gems/3.1.0/specifications/rack-2.2.3.gemspec"),
            Some(LangFile::Gemspec)
        );
        assert_eq!(classify("app/package.json"), None);
    }

    #[test]
    fn python_metadata_and_normalisation() {
        let m = "Metadata-Version: 2.1\nName: PyYAML\nVersion: 5.3\n\nName: not-this\n";
        let mut w = Vec::new();
        let p = catalog_file(
            LangFile::PythonMetadata,
            "x/PyYAML-5.3.dist-info/METADATA",
            m.as_bytes(),
            1,
            &mut w,
        );
        assert_eq!(
            (p[0].name.as_str(), p[0].version.as_str()),
            ("pyyaml", "5.3")
        );
        assert_eq!(pep503("Foo__Bar.baz"), "foo-bar-baz");
        let bad = catalog_file(
            LangFile::PythonMetadata,
            "x/METADATA",
            b"garbage",
            1,
            &mut w,
        );
        assert!(bad.is_empty() && w.len() == 1);
    }

    #[test]
    fn lockfiles() {
        let v3 = br#"{"lockfileVersion":3,"packages":{"":{"name":"app"},"node_modules/a":{"version":"1.0.0"},"node_modules/a/node_modules/b":{"version":"2.0.0"},"node_modules/@s/c":{"version":"3.0.0"}}}"#;
        let mut w = Vec::new();
        let p = catalog_file(LangFile::NpmLock, "app/package-lock.json", v3, 0, &mut w);
        let got: Vec<(&str, &str)> = p
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str()))
            .collect();
        assert_eq!(got, vec![("@s/c", "3.0.0"), ("a", "1.0.0"), ("b", "2.0.0")]);
        let y = "# yarn\n\"lodash@^4.17.4\", lodash@4.17.4:\n  version \"4.17.4\"\n\"@babel/core@^7.0.0\":\n  version \"7.1.0\"\n";
        let p = catalog_file(LangFile::YarnLock, "yarn.lock", y.as_bytes(), 0, &mut w);
        assert_eq!(p.len(), 2);
        let pn = "lockfileVersion: '6.0'\npackages:\n  /lodash@4.17.4:\n    resolution: {}\n  /@babel/core@7.1.0(x@1):\n    dev: true\n";
        let p = catalog_file(
            LangFile::PnpmLock,
            "pnpm-lock.yaml",
            pn.as_bytes(),
            0,
            &mut w,
        );
        let got: Vec<(&str, &str)> = p
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str()))
            .collect();
        assert_eq!(got, vec![("@babel/core", "7.1.0"), ("lodash", "4.17.4")]);
        assert!(w.is_empty(), "{w:?}");
        let p = catalog_file(LangFile::NpmLock, "package-lock.json", b"{oops", 0, &mut w);
        assert!(p.is_empty() && w.len() == 1);
    }

    #[test]
    fn gemspec_composer_dotnet() {
        let mut w = Vec::new();
        let g = "Gem::Specification.new do |s|\n  s.name = \"rack\".freeze\n  s.version = \"2.2.3\"\nend\n";
        assert_eq!(
            catalog_file(
                LangFile::Gemspec,
                "specifications/rack-2.2.3.gemspec",
                g.as_bytes(),
                0,
                &mut w
            )[0]
            .version,
            "2.2.3"
        );
        let c = br#"{"packages":[{"name":"monolog/monolog","version":"v2.1.0"}]}"#;
        assert_eq!(
            catalog_file(
                LangFile::ComposerInstalled,
                "vendor/composer/installed.json",
                c,
                0,
                &mut w
            )[0]
            .version,
            "2.1.0"
        );
        let d = br#"{"libraries":{"App/1.0.0":{"type":"project"},"Newtonsoft.Json/12.0.1":{"type":"package"}}}"#;
        let p = catalog_file(LangFile::DotnetDeps, "app/App.deps.json", d, 0, &mut w);
        assert_eq!((p.len(), p[0].name.as_str()), (1, "Newtonsoft.Json"));
        assert!(w.is_empty());
    }
}
