//! Builds a [`Db`] from a directory laid out like the upstream mirrors.
//!
//! Recognised top-level folders (anything else is ignored and reported):
//!
//! | folder | content |
//! |---|---|
//! | `alpine-secdb/` | `<branch>/{main,community}.json` |
//! | `debian-tracker-json*/` | the tracker JSON (`*.json`) |
//! | `debian-tracker-cve-json*/` | per-CVE `data/CVE/list` entries (`CVE-*.json`) |
//! | `debian-tracker/` | `data/DSA/list`, `data/DLA/list` |
//! | `debian-oval/` | `oval-definitions-<codename>.xml[.bz2]` |
//! | `ubuntu-oval/` | USN OVAL (`*.xml[.bz2]`), CVSS only |
//! | `nvd/` | NVD API 2.0 pages (`*.json`) |
//! | `cve5*/` | CVE JSON 5 records (`CVE-*.json`) |

use std::collections::BTreeMap;
use std::fs;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use crate::feeds::{alpine, cvss, debian, osv, oval, Parsed, Record};
use crate::model::{Db, FeedInfo};
use crate::FeedError;

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = fs::read_dir(dir) else { return };
    let mut entries: Vec<_> = rd.flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let p = e.path();
        // Follows symlinks, so a mirror folder may be linked in.
        if p.is_dir() {
            walk(&p, out);
        } else if p.is_file() {
            out.push(p);
        }
    }
}

fn mtime(p: &Path) -> Option<time::OffsetDateTime> {
    fs::metadata(p)
        .and_then(|m| m.modified())
        .ok()
        .map(time::OffsetDateTime::from)
}

fn rfc3339(t: time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

struct Feed {
    name: String,
    origin: PathBuf,
    records: usize,
    date: Option<String>,
    newest_mtime: Option<time::OffsetDateTime>,
}

impl Feed {
    fn new(name: &str, origin: &Path) -> Self {
        Feed {
            name: name.to_string(),
            origin: origin.to_path_buf(),
            records: 0,
            date: None,
            newest_mtime: None,
        }
    }
    fn saw(&mut self, p: &Path) {
        if let Some(t) = mtime(p) {
            if self.newest_mtime.is_none_or(|m| t > m) {
                self.newest_mtime = Some(t);
            }
        }
    }
    fn info(self) -> FeedInfo {
        FeedInfo {
            name: self.name,
            origin: self.origin.display().to_string(),
            data_date: self.date.or(self.newest_mtime.map(rfc3339)),
            records: self.records,
        }
    }
}

fn read_maybe_bz2(p: &Path) -> Result<Box<dyn std::io::BufRead>, String> {
    let f = fs::File::open(p).map_err(|e| format!("{}: {e}", p.display()))?;
    if p.extension().is_some_and(|e| e == "bz2") {
        Ok(Box::new(BufReader::new(bzip2::read::MultiBzDecoder::new(
            f,
        ))))
    } else {
        Ok(Box::new(BufReader::new(f)))
    }
}

/// Reads and parses each file of a feed; a file that cannot be read or parsed
/// becomes a warning and the others go on.
fn parse_files<'a>(
    feed: &mut Feed,
    files: impl Iterator<Item = &'a PathBuf>,
    db: &mut Db,
    records: &mut Vec<Record>,
    parse: impl Fn(&Path, &[u8]) -> Result<Parsed, FeedError>,
) {
    for p in files {
        feed.saw(p);
        match fs::read(p)
            .map_err(|e| e.to_string())
            .and_then(|b| parse(p, &b).map_err(|e| e.to_string()))
        {
            Ok(parsed) => {
                feed.records += parsed.records.len();
                db.warnings.extend(parsed.warnings);
                records.extend(parsed.records);
                for (id, c) in parsed.cvss {
                    db.add_cvss(&id, c);
                }
            }
            Err(e) => db.warnings.push(format!("{}: {e}", p.display())),
        }
    }
}

/// Imports every recognised feed under `dir`. Bad files become warnings; only an
/// unreadable `dir` or a directory with no feed at all is an error.
pub fn import_dir(dir: &Path) -> Result<Db, FeedError> {
    let rd = fs::read_dir(dir)
        .map_err(|e| FeedError::new("import", format!("{}: {e}", dir.display())))?;
    let mut tops: Vec<_> = rd.flatten().filter(|e| e.path().is_dir()).collect();
    tops.sort_by_key(|e| e.file_name());
    let mut db = Db::default();
    let mut feeds: Vec<Feed> = Vec::new();
    let mut records: Vec<Record> = Vec::new();
    for top in tops {
        let name = top.file_name().to_string_lossy().into_owned();
        let root = top.path();
        let mut files = Vec::new();
        walk(&root, &mut files);
        let fname = |p: &Path| {
            p.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        };
        let json = |p: &&PathBuf| p.extension().is_some_and(|e| e == "json");
        if name == "alpine-secdb" {
            let mut f = Feed::new("alpine-secdb", &root);
            parse_files(
                &mut f,
                files.iter().filter(json),
                &mut db,
                &mut records,
                |p, b| {
                    let branch = p.parent().map(&fname).unwrap_or_default();
                    let (ns, advs, w) = alpine::parse(b, &branch)?;
                    Ok((advs.into_iter().map(|a| (ns.clone(), a)).collect(), w).into())
                },
            );
            feeds.push(f);
        } else if name.starts_with("debian-tracker-json") {
            let mut f = Feed::new("debian-tracker", &root);
            parse_files(
                &mut f,
                files.iter().filter(json),
                &mut db,
                &mut records,
                |_, b| debian::parse_tracker_json(b).map(Parsed::from),
            );
            feeds.push(f);
        } else if name.starts_with("debian-tracker-cve-json") {
            let mut f = Feed::new("debian-cve-list", &root);
            let cve_json =
                |p: &&PathBuf| fname(p).starts_with("CVE-") && fname(p).ends_with(".json");
            parse_files(
                &mut f,
                files.iter().filter(cve_json),
                &mut db,
                &mut records,
                |_, b| debian::parse_cve_list_json(b).map(Parsed::from),
            );
            feeds.push(f);
        } else if (name.starts_with("osv-") && name != "osv-schema")
            || name.starts_with("ghsa")
            || name.starts_with("ubuntu-osv")
        {
            let source = if name.starts_with("ghsa") {
                "ghsa"
            } else if name.starts_with("ubuntu-osv") {
                "ubuntu-osv"
            } else {
                name.as_str()
            };
            let mut f = Feed::new(source, &root);
            let osv_file = |p: &&PathBuf| {
                let n = fname(p);
                (n.ends_with(".json") || n.ends_with(".yaml") || n.ends_with(".yml"))
                    && !n.starts_with('.')
            };
            parse_files(
                &mut f,
                files.iter().filter(osv_file),
                &mut db,
                &mut records,
                |p, b| osv::parse(b, p.extension().is_none_or(|e| e != "json"), source),
            );
            feeds.push(f);
        } else if name == "rubysec" {
            let mut f = Feed::new("rubysec", &root);
            let gem_file = |p: &&PathBuf| {
                p.extension().is_some_and(|e| e == "yml")
                    && p.parent()
                        .and_then(Path::parent)
                        .is_some_and(|d| fname(d) == "gems")
            };
            parse_files(
                &mut f,
                files.iter().filter(gem_file),
                &mut db,
                &mut records,
                |_, b| osv::parse_rubysec(b),
            );
            feeds.push(f);
        } else if name.contains("nodejs-security-wg") {
            let mut f = Feed::new("nodejs-security-wg", &root);
            let npm_file = |p: &&PathBuf| {
                p.extension().is_some_and(|e| e == "json")
                    && p.parent().is_some_and(|d| fname(d) == "npm")
            };
            parse_files(
                &mut f,
                files.iter().filter(npm_file),
                &mut db,
                &mut records,
                |_, b| osv::parse_nodejs_wg(b),
            );
            feeds.push(f);
        } else if name == "debian-tracker" {
            for (kind, feed) in [("DSA", "debian-dsa"), ("DLA", "debian-dla")] {
                let Some(p) = files
                    .iter()
                    .find(|p| fname(p) == "list" && p.parent().is_some_and(|d| fname(d) == kind))
                else {
                    continue;
                };
                let mut f = Feed::new(feed, p);
                match fs::read(p) {
                    Ok(b) => {
                        let (recs, w, newest) =
                            debian::parse_dsa_list(&String::from_utf8_lossy(&b), feed);
                        f.records = recs.len();
                        f.date = newest;
                        db.warnings.extend(w);
                        records.extend(recs);
                    }
                    Err(e) => db.warnings.push(format!("{}: {e}", p.display())),
                }
                feeds.push(f);
            }
        } else if name == "debian-oval" {
            let mut f = Feed::new("debian-oval", &root);
            for p in &files {
                let n = fname(p);
                let Some(codename) = n
                    .strip_prefix("oval-definitions-")
                    .and_then(|x| x.split('.').next())
                else {
                    continue;
                };
                let parsed = read_maybe_bz2(p)
                    .and_then(|r| oval::parse_debian(r, codename).map_err(|e| e.to_string()));
                match parsed {
                    Ok((recs, w, ts)) => {
                        f.records += recs.len();
                        if ts
                            .as_ref()
                            .is_some_and(|t| f.date.as_ref().is_none_or(|d| t > d))
                        {
                            f.date = ts;
                        }
                        db.warnings.extend(w);
                        records.extend(recs);
                    }
                    Err(e) => db.warnings.push(format!("{}: {e}", p.display())),
                }
            }
            feeds.push(f);
        } else if name == "ubuntu-oval" {
            let mut f = Feed::new("ubuntu-oval-cvss", &root);
            for p in files.iter().filter(|p| fname(p).contains(".xml")) {
                f.saw(p);
                match read_maybe_bz2(p)
                    .and_then(|r| oval::parse_ubuntu_cvss(r).map_err(|e| e.to_string()))
                {
                    Ok(v) => {
                        f.records += v.len();
                        for (id, c) in v {
                            db.add_cvss(&id, c);
                        }
                    }
                    Err(e) => db.warnings.push(format!("{}: {e}", p.display())),
                }
            }
            feeds.push(f);
        } else if name == "nvd" || name.starts_with("cve5") {
            let nvd = name == "nvd";
            let mut f = Feed::new(if nvd { "nvd" } else { "cve5" }, &root);
            for p in files.iter().filter(|p| {
                p.extension().is_some_and(|e| e == "json") && (nvd || fname(p).starts_with("CVE-"))
            }) {
                f.saw(p);
                let b = match fs::read(p) {
                    Ok(b) => b,
                    Err(e) => {
                        db.warnings.push(format!("{}: {e}", p.display()));
                        continue;
                    }
                };
                let parsed = if nvd {
                    cvss::parse_nvd_page(&b)
                } else {
                    cvss::parse_cve5(&b).map(|o| o.into_iter().collect())
                };
                match parsed {
                    Ok(v) => {
                        f.records += v.len();
                        for (id, c) in v {
                            db.add_cvss(&id, c);
                        }
                    }
                    Err(e) => db.warnings.push(format!("{}: {e}", p.display())),
                }
            }
            feeds.push(f);
        } else {
            db.warnings.push(format!(
                "{}: not a feed drydock imports yet; skipped",
                root.display()
            ));
        }
    }
    // Higher-ranked sources win per (namespace, package, id): add in rank order, lowest first.
    records.sort_by_key(|(_, a)| crate::model::source_rank(&a.source));
    for (ns, a) in records {
        db.add(&ns, a);
    }
    for list in db.advisories.values_mut().flat_map(|m| m.values_mut()) {
        list.sort_by(|a, b| a.id.cmp(&b.id));
    }
    db.feeds = feeds.into_iter().map(Feed::info).collect();
    if db.feeds.is_empty() {
        return Err(FeedError::new(
            "import",
            format!(
                "{}: no recognised feed folder (see `drydock db import --help`)",
                dir.display()
            ),
        ));
    }
    Ok(db)
}

/// Per-namespace advisory counts, for summaries.
pub fn counts(db: &Db) -> BTreeMap<String, usize> {
    db.advisories
        .iter()
        .map(|(k, v)| (k.clone(), v.values().map(Vec::len).sum()))
        .collect()
}
