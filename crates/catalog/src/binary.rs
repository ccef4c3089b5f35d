//! Dependency data embedded in compiled binaries: Go build info and
//! cargo-auditable's `.dep-v0` section.
//!
//! [`extract`] runs inside the layer reader on every executable and keeps only
//! the small embedded record (tagged), so the binaries themselves are never
//! held; [`parse`] turns that record into packages.

use std::io::Read;

use object::{Object, ObjectSection};

use crate::{Package, PackageKind};

const GO_MAGIC: &[u8] = b"\xff Go buildinf:";
const GO_TAG: &[u8] = b"drydock:go\0";
const AUDITABLE_TAG: &[u8] = b"drydock:cargo-auditable\0";
const AUDITABLE_MAX: u64 = 8 << 20;

fn read_uvarint(b: &[u8]) -> Option<(u64, usize)> {
    let mut x = 0u64;
    for (i, &c) in b.iter().enumerate().take(10) {
        x |= u64::from(c & 0x7f) << (7 * i);
        if c & 0x80 == 0 {
            return Some((x, i + 1));
        }
    }
    None
}

fn go_buildinfo(data: &[u8]) -> Option<Result<Vec<u8>, String>> {
    // The header is 16-byte aligned in .go.buildinfo; scan for the magic.
    let mut from = 0;
    let at = loop {
        let i = memchr::memmem::find(&data[from..], GO_MAGIC)? + from;
        if i % 16 == 0 {
            break i;
        }
        from = i + 1;
    };
    let hdr = data.get(at..at + 32)?;
    let flags = hdr[15];
    if flags & 0x2 == 0 {
        return Some(Err(
            "Go binary built before Go 1.18 (pointer-format build info is not read yet)".into(),
        ));
    }
    let mut rest = &data[at + 32..];
    let mut take = || -> Option<&[u8]> {
        let (n, used) = read_uvarint(rest)?;
        let n = usize::try_from(n).ok()?;
        let s = rest.get(used..used + n)?;
        rest = &rest[used + n..];
        Some(s)
    };
    let version = take()?.to_vec();
    let mut modinfo = take()?.to_vec();
    if modinfo.len() >= 33 && modinfo[modinfo.len() - 17] == b'\n' {
        modinfo = modinfo[16..modinfo.len() - 16].to_vec();
    }
    let mut out = GO_TAG.to_vec();
    out.extend_from_slice(&version);
    out.push(0);
    out.extend_from_slice(&modinfo);
    Some(Ok(out))
}

fn auditable(data: &[u8]) -> Option<Vec<u8>> {
    let file = object::File::parse(data).ok()?;
    let section = file
        .section_by_name(".dep-v0")
        .or_else(|| file.section_by_name("__dep_v0"))?;
    let compressed = section.data().ok()?;
    let mut json = Vec::new();
    flate2::read::ZlibDecoder::new(compressed)
        .take(AUDITABLE_MAX)
        .read_to_end(&mut json)
        .ok()?;
    let mut out = AUDITABLE_TAG.to_vec();
    out.extend_from_slice(&json);
    Some(out)
}

/// Extracts the embedded dependency record of a binary, if it has one.
///
/// A Go binary too old to read yields a tagged error record so the scan can
/// warn about it instead of silently skipping it.
pub fn extract(data: &[u8]) -> Option<Vec<u8>> {
    if !(data.starts_with(b"\x7fELF")
        || data.starts_with(b"MZ")
        || data.starts_with(&[0xcf, 0xfa, 0xed, 0xfe]))
    {
        return None;
    }
    match go_buildinfo(data) {
        Some(Ok(rec)) => return Some(rec),
        Some(Err(e)) => {
            let mut out = b"drydock:error\0".to_vec();
            out.extend_from_slice(e.as_bytes());
            return Some(out);
        }
        None => {}
    }
    auditable(data)
}

/// True when `data` is a record made by [`extract`].
pub fn is_record(data: &[u8]) -> bool {
    data.starts_with(b"drydock:")
}

/// Packages from an [`extract`] record found at `path`.
pub fn parse(data: &[u8], path: &str, layer: usize, warnings: &mut Vec<String>) -> Vec<Package> {
    let pkg = |kind, name: &str, version: &str| Package::new(kind, name, version, path, layer);
    if let Some(rest) = data.strip_prefix(GO_TAG) {
        let Some(nul) = rest.iter().position(|&c| c == 0) else {
            return Vec::new();
        };
        let go = String::from_utf8_lossy(&rest[..nul]);
        let modinfo = String::from_utf8_lossy(&rest[nul + 1..]);
        let mut out = Vec::new();
        if let Some(v) = go.strip_prefix("go") {
            // The toolchain is reported as the `stdlib` module, as in the Go vulndb.
            let v = v.split([' ', '-']).next().unwrap_or(v);
            out.push(pkg(PackageKind::GoModule, "stdlib", v));
        }
        for line in modinfo.lines() {
            let f: Vec<&str> = line.split('\t').collect();
            match f.as_slice() {
                ["mod", path, version, ..] if *version != "(devel)" => {
                    out.push(pkg(PackageKind::GoModule, path, version))
                }
                ["dep", path, version, ..] => out.push(pkg(PackageKind::GoModule, path, version)),
                ["=>", path, version, ..] => {
                    // Replacement of the previous dep: report what is really built in.
                    if let Some(last) = out.last_mut() {
                        *last = pkg(PackageKind::GoModule, path, version);
                    }
                }
                _ => {}
            }
        }
        return out;
    }
    if let Some(json) = data.strip_prefix(AUDITABLE_TAG) {
        let v: serde_json::Value = match serde_json::from_slice(json) {
            Ok(v) => v,
            Err(e) => {
                warnings.push(format!("/{path}: cargo-auditable data is not JSON: {e}"));
                return Vec::new();
            }
        };
        return v["packages"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| p["kind"].as_str().unwrap_or("runtime") == "runtime")
            .filter_map(|p| {
                Some(pkg(
                    PackageKind::RustCrate,
                    p["name"].as_str()?,
                    p["version"].as_str()?,
                ))
            })
            .collect();
    }
    if let Some(e) = data.strip_prefix(b"drydock:error\0") {
        warnings.push(format!("/{path}: {}", String::from_utf8_lossy(e)));
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn go_binary(version: &str, modinfo: &str) -> Vec<u8> {
        let mut b = b"\x7fELF".to_vec();
        b.resize(64, 0);
        let mut hdr = GO_MAGIC.to_vec();
        hdr.push(8);
        hdr.push(2);
        hdr.resize(32, 0);
        b.extend_from_slice(&hdr);
        let uvarint = |b: &mut Vec<u8>, mut n: usize| {
            while n >= 0x80 {
                b.push((n as u8) | 0x80);
                n >>= 7;
            }
            b.push(n as u8);
        };
        uvarint(&mut b, version.len());
        b.extend_from_slice(version.as_bytes());
        let mi = format!("0123456789abcdef{modinfo}\n0123456789abcdef");
        uvarint(&mut b, mi.len());
        b.extend_from_slice(mi.as_bytes());
        b
    }

    #[test]
    fn go_build_info() {
        let bin = go_binary("go1.19.8", "path\texample.com/x\nmod\texample.com/x\t(devel)\t\ndep\tgolang.org/x/net\tv0.7.0\th1:x\ndep\tgithub.com/a/b\tv1.0.0\th1:y\n=>\tgithub.com/c/b\tv1.1.0\th1:z");
        let rec = extract(&bin).unwrap();
        let mut w = Vec::new();
        let p = parse(&rec, "usr/local/bin/x", 1, &mut w);
        let got: Vec<(&str, &str)> = p
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("stdlib", "1.19.8"),
                ("golang.org/x/net", "v0.7.0"),
                ("github.com/c/b", "v1.1.0")
            ]
        );
        assert!(w.is_empty());
    }

    #[test]
    fn not_a_binary_or_no_info() {
        assert!(extract(b"#!/bin/sh\necho").is_none());
        assert!(extract(b"\x7fELF garbage that is not an object").is_none());
    }
}
