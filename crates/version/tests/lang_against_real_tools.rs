//! PEP 440 and npm semver against the real tools, on real version strings from
//! the feeds in ../shared: Python's `packaging` and npm's `semver` package.
//! scripts/test.sh installs both (pip `packaging`; npm `semver` into target/npm-tools).

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use drydock_version::lang;

fn shared() -> PathBuf {
    std::env::var_os("DRYDOCK_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"))
}

fn run(cmd: &mut Command, input: &str) -> String {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Every quoted or bare entry of the `versions:` lists in the PyPA OSV files.
fn pypi_versions() -> Vec<String> {
    let mut out = BTreeSet::new();
    let root = shared().join("vulndb/osv-pypi/vulns");
    for pkg in std::fs::read_dir(&root).unwrap().flatten() {
        for f in std::fs::read_dir(pkg.path()).unwrap().flatten() {
            let text = std::fs::read_to_string(f.path()).unwrap_or_default();
            let mut in_versions = false;
            for l in text.lines() {
                if l.trim_start().starts_with("versions:") {
                    in_versions = true;
                } else if in_versions {
                    match l.trim_start().strip_prefix("- ") {
                        Some(v) => {
                            out.insert(v.trim().trim_matches('\'').trim_matches('"').to_string());
                        }
                        None => in_versions = false,
                    }
                }
            }
        }
    }
    out.into_iter().collect()
}

#[test]
fn pep440_agrees_with_packaging() {
    let versions = pypi_versions();
    assert!(versions.len() > 5000, "only {} versions", versions.len());
    // Neighbours in a sorted list plus a spread of far pairs.
    let mut pairs: Vec<(&str, &str)> = versions
        .windows(2)
        .map(|w| (w[0].as_str(), w[1].as_str()))
        .collect();
    for i in (0..versions.len()).step_by(7) {
        pairs.push((&versions[i], &versions[(i * 7919 + 13) % versions.len()]));
    }
    let input: String = pairs.iter().map(|(a, b)| format!("{a}\t{b}\n")).collect();
    let script = "import sys\nfrom packaging.version import Version, InvalidVersion\nfor l in sys.stdin:\n a,b=l.rstrip('\\n').split('\\t')\n try:\n  x,y=Version(a),Version(b)\n  print('<' if x<y else '>' if x>y else '=')\n except InvalidVersion:\n  print('!')\n";
    let out = run(Command::new("python3").arg("-c").arg(script), &input);
    let mut compared = 0;
    let mut bad = Vec::new();
    for ((a, b), want) in pairs.iter().zip(out.lines()) {
        let ours = lang::pep440(a, b);
        match (want, ours) {
            ("!", Err(_)) => {}
            ("!", Ok(_)) => bad.push(format!("{a} vs {b}: packaging rejects, we accept")),
            (_, Err(e)) => bad.push(format!(
                "{a} vs {b}: we reject ({e}), packaging says {want}"
            )),
            (w, Ok(o)) => {
                compared += 1;
                let got = match o {
                    std::cmp::Ordering::Less => "<",
                    std::cmp::Ordering::Greater => ">",
                    std::cmp::Ordering::Equal => "=",
                };
                if got != w {
                    bad.push(format!("{a} vs {b}: packaging {w}, we {got}"));
                }
            }
        }
    }
    assert!(compared > 5000, "only {compared} pairs compared");
    assert!(
        bad.is_empty(),
        "{} of {} pairs differ:\n{}",
        bad.len(),
        pairs.len(),
        bad.iter().take(30).cloned().collect::<Vec<_>>().join("\n")
    );
    eprintln!("{compared} PEP 440 pairs agree with packaging");
}

/// The nodejs security-wg ranges and every version number written in them.
fn npm_ranges_and_versions() -> (Vec<String>, Vec<String>) {
    let mut ranges = BTreeSet::new();
    let mut versions = BTreeSet::new();
    let dir = shared().join("vulndb/npm-nodejs-security-wg/vuln/npm");
    for f in std::fs::read_dir(dir).unwrap().flatten() {
        let Ok(v) = serde_json::from_slice::<serde_json::Value>(&std::fs::read(f.path()).unwrap())
        else {
            continue;
        };
        for k in ["vulnerable_versions", "patched_versions"] {
            if let Some(r) = v[k].as_str().filter(|r| !r.trim().is_empty()) {
                ranges.insert(r.to_string());
                for tok in r.split(|c: char| c.is_whitespace() || "<>=|^~".contains(c)) {
                    if tok.matches('.').count() == 2
                        && tok.chars().all(|c| c.is_ascii_digit() || c == '.')
                    {
                        versions.insert(tok.to_string());
                    }
                }
            }
        }
    }
    (ranges.into_iter().collect(), versions.into_iter().collect())
}

#[test]
fn npm_ranges_agree_with_node_semver() {
    let tools = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/npm-tools");
    assert!(
        tools.join("node_modules/semver").exists(),
        "npm semver not installed in {} (scripts/test.sh does it)",
        tools.display()
    );
    let (ranges, mut versions) = npm_ranges_and_versions();
    assert!(
        ranges.len() > 400 && versions.len() > 250,
        "{} ranges, {} versions",
        ranges.len(),
        versions.len()
    );
    // Pre-releases of every real version too: their range semantics are where tools differ.
    let pre: Vec<String> = versions.iter().map(|v| format!("{v}-rc.1")).collect();
    versions.extend(pre);
    let mut pairs = Vec::new();
    for (i, r) in ranges.iter().enumerate() {
        for j in 0..12 {
            pairs.push((
                versions[(i * 31 + j * 97) % versions.len()].clone(),
                r.clone(),
            ));
        }
    }
    let input: String = pairs.iter().map(|(v, r)| format!("{v}\t{r}\n")).collect();
    let script = "const s=require('semver');const lines=require('fs').readFileSync(0,'utf8').split('\\n').filter(Boolean);for(const l of lines){const [v,r]=l.split('\\t');let o;try{o=s.satisfies(v,r)?'y':'n'}catch(e){o='!'}console.log(o)}";
    let out = run(
        Command::new("node")
            .arg("-e")
            .arg(script)
            .env("NODE_PATH", tools.join("node_modules")),
        &input,
    );
    let mut bad = Vec::new();
    let mut compared = 0;
    for ((v, r), want) in pairs.iter().zip(out.lines()) {
        match (want, lang::npm_satisfies(v, r)) {
            (_, Err(_)) if want == "!" => {}
            (w, Ok(b)) => {
                compared += 1;
                if (w == "y") != b {
                    bad.push(format!("{v} in {r:?}: node-semver {w}, we {b}"));
                }
            }
            (w, Err(e)) => bad.push(format!("{v} in {r:?}: node-semver {w}, we error {e}")),
        }
    }
    assert!(compared > 5000, "only {compared} compared");
    assert!(
        bad.is_empty(),
        "{} of {} differ:\n{}",
        bad.len(),
        pairs.len(),
        bad.iter().take(30).cloned().collect::<Vec<_>>().join("\n")
    );
    eprintln!("{compared} npm range checks agree with node-semver");
}
