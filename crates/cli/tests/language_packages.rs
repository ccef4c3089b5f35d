//! Language packages in the fixture images: inventory against syft, findings
//! against the feed files evaluated independently.

mod common;

use std::collections::BTreeSet;
use std::process::Command;

use common::*;
use serde_json::Value;

fn syft(name: &str, kind: &str) -> BTreeSet<(String, String)> {
    let p = fixture_root()
        .join("syft")
        .join(format!("{name}.packages.tsv"));
    let text = std::fs::read_to_string(&p)
        .unwrap_or_else(|e| panic!("{}: {e} (run the fixtures with RUN_SYFT=1)", p.display()));
    text.lines()
        .filter_map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            (c.len() >= 3 && c[0] == kind).then(|| (c[1].to_string(), c[2].to_string()))
        })
        .collect()
}

fn report(tag: &str, cache: &std::path::Path) -> Value {
    let r = format!("127.0.0.1:5055/fixtures/{tag}");
    let (out, rep) = scan(&r, &[], cache);
    rep.unwrap_or_else(|| panic!("{r}: {}", String::from_utf8_lossy(&out.stderr)))
}

/// All ids (id + aliases) of the findings for `package`.
fn finding_ids(rep: &Value, package: &str, version: &str) -> BTreeSet<String> {
    rep["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["package"] == package && f["installed_version"] == version)
        .flat_map(ids_of)
        .collect()
}

#[test]
fn inventories_equal_syft() {
    let cache = tempfile::tempdir().unwrap();
    // Python: identical.
    assert_eq!(
        packages(&report("python-old:1", cache.path()), "python"),
        syft("python-old", "python")
    );
    // npm: syft also lists the application's own /app/package.json (fixture-node-app 1.0.0);
    // drydock reports installed dependencies only (as Trivy does), so that one entry differs.
    let mut want = syft("node-old", "npm");
    assert!(want.remove(&("fixture-node-app".into(), "1.0.0".into())));
    assert_eq!(packages(&report("node-old:1", cache.path()), "npm"), want);
    // Rust: syft with its Cargo.lock cataloger (duplicates from the binary collapse in the set).
    assert_eq!(
        packages(&report("rust-old:1", cache.path()), "rust-crate"),
        syft("rust-old+lock", "rust-crate")
    );
    // Go: syft names the toolchain "go1.19.8" and lists main modules as "(devel)";
    // drydock reports stdlib as the Go vulndb names it (1.19.8) and skips (devel) main modules.
    let want: BTreeSet<(String, String)> = syft("go-old", "go-module")
        .into_iter()
        .filter(|(_, v)| v != "(devel)")
        .map(|(n, v)| {
            if n == "stdlib" {
                (n, v.trim_start_matches("go").to_string())
            } else {
                (n, v)
            }
        })
        .collect();
    assert_eq!(
        packages(&report("go-old:1", cache.path()), "go-module"),
        want
    );
    // Whiteouts: squashed view equals syft's (PyYAML gone, minimist 1.2.8 + nested 0.0.10).
    let mixed = report("mixed-whiteout:1", cache.path());
    assert_eq!(packages(&mixed, "python"), syft("mixed-whiteout", "python"));
    let mut want = syft("mixed-whiteout", "npm");
    want.remove(&("fixture-node-app".into(), "1.0.0".into()));
    assert_eq!(packages(&mixed, "npm"), want);
}

#[test]
fn advisories_named_in_the_issue_are_found() {
    let cache = tempfile::tempdir().unwrap();
    let py = report("python-old:1", cache.path());
    for (pkg, ver, ids) in [
        (
            "requests",
            "2.19.1",
            &["PYSEC-2018-28", "CVE-2018-18074"][..],
        ),
        ("pyyaml", "5.3", &["PYSEC-2021-142", "CVE-2020-14343"]),
        ("urllib3", "1.23", &["CVE-2019-11324"]),
        ("django", "2.2", &["CVE-2019-12308"]),
    ] {
        let have = finding_ids(&py, pkg, ver);
        for id in ids {
            assert!(have.contains(*id), "{pkg} {ver} lacks {id}: {have:?}");
        }
    }
    let node = report("node-old:1", cache.path());
    let lodash = finding_ids(&node, "lodash", "4.17.4");
    for id in [
        "CVE-2018-3721",
        "CVE-2018-16487",
        "GHSA-35jh-r3h4-6jhm",
        "CVE-2021-23337",
    ] {
        assert!(lodash.contains(id), "lodash lacks {id}: {lodash:?}");
    }
    let minimist = finding_ids(&node, "minimist", "1.2.0");
    assert!(
        minimist.contains("GHSA-xvch-5gv4-984h") && minimist.contains("CVE-2021-44906"),
        "{minimist:?}"
    );
    // One GHSA/CVE pair is one finding, named by its CVE.
    let f: Vec<&Value> = node["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["package"] == "lodash" && f["id"] == "CVE-2021-23337")
        .collect();
    assert_eq!(f.len(), 1);
    assert!(f[0]["aliases"]
        .as_array()
        .unwrap()
        .contains(&Value::from("GHSA-35jh-r3h4-6jhm")));
    let rust = report("rust-old:1", cache.path());
    for (pkg, ver, id) in [
        ("regex", "1.5.4", "RUSTSEC-2022-0013"),
        ("regex", "1.5.4", "CVE-2022-24713"),
        ("smallvec", "1.6.0", "RUSTSEC-2021-0003"),
        ("time", "0.1.43", "RUSTSEC-2020-0071"),
        ("tokio", "1.8.0", "RUSTSEC-2021-0124"),
    ] {
        assert!(
            finding_ids(&rust, pkg, ver).contains(id),
            "{pkg} {ver} lacks {id}"
        );
    }
    let go = report("go-old:1", cache.path());
    let stdlib = finding_ids(&go, "stdlib", "1.19.8");
    assert!(
        stdlib.contains("GO-2023-1751") && stdlib.contains("CVE-2023-24539"),
        "{stdlib:?}"
    );
    for (m, v, id) in [
        ("golang.org/x/net", "v0.7.0", "GO-2023-1988"),
        ("golang.org/x/text", "v0.3.5", "GO-2021-0113"),
        ("github.com/gorilla/websocket", "v1.4.0", "GO-2020-0019"),
    ] {
        assert!(finding_ids(&go, m, v).contains(id), "{m} lacks {id}");
    }
}

/// PyPI findings equal what Python's own `packaging` library derives from the
/// osv-pypi files for the installed versions (an evaluation independent of ours).
#[test]
fn pypi_findings_equal_an_independent_evaluation() {
    let cache = tempfile::tempdir().unwrap();
    let rep = report("python-old:1", cache.path());
    let installed: Vec<(String, String)> = packages(&rep, "python").into_iter().collect();
    let script = r#"
import json, os, sys, glob, yaml
from packaging.version import Version, InvalidVersion
vulns, pkgs = sys.argv[1], json.loads(sys.argv[2])
norm = lambda n: __import__('re').sub(r'[-_.]+', '-', n).lower()
out = []
for name, ver in pkgs:
    v = Version(ver)
    for f in glob.glob(os.path.join(vulns, name, '*.yaml')):
        d = yaml.safe_load(open(f))
        if d.get('withdrawn'): continue
        hit = False
        for a in d.get('affected', []):
            if a.get('package', {}).get('ecosystem') != 'PyPI' or norm(a['package']['name']) != name: continue
            for lv in a.get('versions', []) or []:
                try:
                    if Version(str(lv)) == v: hit = True
                except InvalidVersion: pass
            for r in a.get('ranges', []) or []:
                if r['type'] != 'ECOSYSTEM': continue
                lo = None
                for e in r['events']:
                    if 'introduced' in e: lo = Version(str(e['introduced']))
                    elif 'fixed' in e and lo is not None:
                        if lo <= v < Version(str(e['fixed'])): hit = True
                        lo = None
                    elif 'last_affected' in e and lo is not None:
                        if lo <= v <= Version(str(e['last_affected'])): hit = True
                        lo = None
                if lo is not None and lo <= v: hit = True
        if hit: out.append([name, ver, d['id']])
print(json.dumps(out))
"#;
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(shared().join("vulndb/osv-pypi/vulns"))
        .arg(serde_json::to_string(&installed).unwrap())
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "independent evaluator failed (needs `pip install packaging pyyaml`): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let want: Vec<(String, String, String)> = serde_json::from_slice(&out.stdout).unwrap();
    let want: BTreeSet<(String, String, String)> = want.into_iter().collect();
    assert!(
        want.len() > 30,
        "only {} expected PYSEC findings",
        want.len()
    );
    // Every expected PYSEC id is a finding (by id or alias) ...
    for (n, v, id) in &want {
        assert!(
            finding_ids(&rep, n, v).contains(id),
            "{n} {v}: missing {id}"
        );
    }
    // ... and every PyPI finding carries one of the expected PYSEC ids.
    for f in rep["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == "python")
    {
        let ids = ids_of(f);
        let n = f["package"].as_str().unwrap();
        assert!(
            want.iter().any(|(wn, _, id)| wn == n && ids.contains(id)),
            "unexpected finding {f}"
        );
    }
}

#[test]
fn whiteouts_hide_and_opaque_dirs_replace() {
    let cache = tempfile::tempdir().unwrap();
    let rep = report("mixed-whiteout:1", cache.path());
    let py = packages(&rep, "python");
    assert!(
        !py.iter().any(|(n, _)| n == "pyyaml"),
        "PyYAML was deleted by a whiteout"
    );
    assert!(finding_ids(&rep, "pyyaml", "5.3").is_empty());
    let minimist: Vec<(String, String)> = rep["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["name"] == "minimist")
        .map(|p| {
            (
                p["version"].as_str().unwrap().into(),
                p["location"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        minimist,
        vec![
            (
                "0.0.10".to_string(),
                "/app/node_modules/optimist/node_modules/minimist/package.json".to_string()
            ),
            (
                "1.2.8".to_string(),
                "/app/node_modules/minimist/package.json".to_string()
            )
        ]
    );
    assert!(
        finding_ids(&rep, "minimist", "1.2.8").is_empty(),
        "1.2.8 is fixed"
    );
    assert!(
        finding_ids(&rep, "minimist", "0.0.10").contains("CVE-2021-44906"),
        "the nested copy keeps its findings"
    );
}

/// npm, crates.io and Go findings equal what npm's own `semver` package derives
/// from the feed files (OSV ranges and versions, nodejs security-wg ranges) for
/// the installed versions: an evaluation independent of drydock's matcher.
#[test]
fn npm_cargo_go_findings_equal_an_independent_evaluation() {
    let tools = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../target/npm-tools/node_modules");
    assert!(
        tools.join("semver").exists(),
        "npm semver not installed (scripts/test.sh installs it)"
    );
    let script = r#"
const fs = require('fs'), path = require('path'), semver = require('semver');
const [vulndb, pkgsJson] = process.argv.slice(1);
const pkgs = JSON.parse(pkgsJson); // [[ecosystem, name, version]]
const walk = d => fs.readdirSync(d, {withFileTypes: true}).flatMap(e => e.isDirectory() ? walk(path.join(d, e.name)) : [path.join(d, e.name)]);
const files = ['osv-go/osv', 'osv-rustsec/crates', 'ghsa-slice/advisories'].flatMap(d => walk(path.join(vulndb, d))).filter(f => f.endsWith('.json'));
const out = [];
const norm = v => semver.coerce(v) && semver.valid(v.replace(/^v/, '')) ? v.replace(/^v/, '') : null;
for (const f of files) {
  const d = JSON.parse(fs.readFileSync(f, 'utf8'));
  if (d.withdrawn) continue;
  for (const a of d.affected || []) {
    if (!a.package) continue;
    for (const [eco, name, ver] of pkgs) {
      if (a.package.ecosystem !== eco || a.package.name !== name) continue;
      const v = norm(ver);
      let hit = (a.versions || []).some(x => norm(String(x)) === v);
      for (const r of a.ranges || []) {
        if (r.type === 'GIT') continue;
        let lo = null;
        for (const e of r.events) {
          if ('introduced' in e) lo = e.introduced === '0' ? '0.0.0-0' : norm(e.introduced);
          else if ('fixed' in e && lo !== null) { if (semver.gte(v, lo, {includePrerelease: true}) && semver.lt(v, norm(e.fixed), {includePrerelease: true})) hit = true; lo = null; }
          else if ('last_affected' in e && lo !== null) { if (semver.gte(v, lo, {includePrerelease: true}) && semver.lte(v, norm(e.last_affected), {includePrerelease: true})) hit = true; lo = null; }
        }
        if (lo !== null && semver.gte(v, lo, {includePrerelease: true})) hit = true;
      }
      if (hit) out.push([name, ver, d.id]);
    }
  }
}
for (const f of walk(path.join(vulndb, 'npm-nodejs-security-wg/vuln/npm')).filter(f => f.endsWith('.json'))) {
  let d; try { d = JSON.parse(fs.readFileSync(f, 'utf8')); } catch { continue; }
  if (!d.module_name || !d.vulnerable_versions) continue;
  for (const [eco, name, ver] of pkgs) {
    if (eco === 'npm' && name === d.module_name && semver.satisfies(ver, d.vulnerable_versions)) out.push([name, ver, d.cves && d.cves.length ? d.cves[0] : 'NSWG-ECO-' + d.id]);
  }
}
console.log(JSON.stringify(out));
"#;
    let cache = tempfile::tempdir().unwrap();
    for (tag, kind, eco) in [
        ("node-old:1", "npm", "npm"),
        ("rust-old:1", "rust-crate", "crates.io"),
        ("go-old:1", "go-module", "Go"),
    ] {
        let rep = report(tag, cache.path());
        let installed: Vec<(String, String, String)> = packages(&rep, kind)
            .into_iter()
            .map(|(n, v)| (eco.to_string(), n, v))
            .collect();
        let out = Command::new("node")
            .arg("-e")
            .arg(script)
            .arg(shared().join("vulndb"))
            .arg(serde_json::to_string(&installed).unwrap())
            .env("NODE_PATH", &tools)
            .output()
            .expect("node");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let want: Vec<(String, String, String)> = serde_json::from_slice(&out.stdout).unwrap();
        assert!(!want.is_empty(), "{tag}: the evaluator found nothing");
        for (n, v, id) in &want {
            assert!(
                finding_ids(&rep, n, v).contains(id),
                "{tag}: {n} {v} lacks {id}"
            );
        }
        for f in rep["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["kind"] == kind)
        {
            let ids = ids_of(f);
            let n = f["package"].as_str().unwrap();
            assert!(
                want.iter().any(|(wn, _, id)| wn == n && ids.contains(id)),
                "{tag}: unexpected finding {f}"
            );
        }
    }
}
