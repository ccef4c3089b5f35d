//! Our dpkg ordering against the real `dpkg --compare-versions` on thousands of
//! version pairs taken from the Debian tracker's DSA/DLA lists in ../shared.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

fn versions_by_package() -> BTreeMap<String, Vec<String>> {
    let shared = std::env::var_os("DRYDOCK_SHARED")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"));
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for list in ["DSA", "DLA"] {
        let p = shared
            .join("vulndb/debian-tracker/data")
            .join(list)
            .join("list");
        let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        for l in text.lines() {
            let t = l.trim();
            if let Some(rest) = t
                .strip_prefix('[')
                .and_then(|r| r.split_once("] - "))
                .map(|x| x.1)
            {
                let mut it = rest.split_whitespace();
                if let (Some(pkg), Some(v)) = (it.next(), it.next()) {
                    if !v.starts_with('<') {
                        out.entry(pkg.to_string()).or_default().push(v.to_string());
                    }
                }
            }
        }
    }
    out
}

#[test]
fn dpkg_compare_versions_agrees_on_real_pairs() {
    if Command::new("dpkg").arg("--version").output().is_err() {
        panic!("dpkg is needed for this test (Debian's dpkg package)");
    }
    let mut pairs: Vec<(String, String)> = Vec::new();
    for vs in versions_by_package().values() {
        for w in vs.windows(2) {
            pairs.push((w[0].clone(), w[1].clone()));
        }
        if vs.len() > 2 {
            pairs.push((vs[0].clone(), vs[vs.len() - 1].clone()));
        }
    }
    // Add epoch/tilde edge cases across packages.
    let all: Vec<String> = versions_by_package().into_values().flatten().collect();
    for i in (0..all.len()).step_by(97) {
        pairs.push((all[i].clone(), all[(i * 31 + 7) % all.len()].clone()));
    }
    pairs.sort();
    pairs.dedup();
    assert!(pairs.len() > 3000, "only {} pairs", pairs.len());
    // One shell for all pairs: dpkg exits 0 when the relation holds.
    let mut sh = Command::new("sh")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    {
        let stdin = sh.stdin.as_mut().unwrap();
        for (a, b) in &pairs {
            writeln!(stdin, "if dpkg --compare-versions '{a}' lt '{b}'; then echo '<'; elif dpkg --compare-versions '{a}' eq '{b}'; then echo '='; else echo '>'; fi").unwrap();
        }
    }
    let out = sh.wait_with_output().unwrap();
    let answers: Vec<&str> = std::str::from_utf8(&out.stdout).unwrap().lines().collect();
    assert_eq!(answers.len(), pairs.len());
    let mut mismatches = Vec::new();
    for ((a, b), want) in pairs.iter().zip(answers) {
        let got = match drydock_version::dpkg::compare(a, b).unwrap() {
            std::cmp::Ordering::Less => "<",
            std::cmp::Ordering::Equal => "=",
            std::cmp::Ordering::Greater => ">",
        };
        if got != want {
            mismatches.push(format!("{a} vs {b}: dpkg says {want}, we say {got}"));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} of {} pairs differ:\n{}",
        mismatches.len(),
        pairs.len(),
        mismatches.join("\n")
    );
    eprintln!("{} pairs agree with dpkg --compare-versions", pairs.len());
}
