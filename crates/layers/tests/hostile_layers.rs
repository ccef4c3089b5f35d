//! Hostile and broken layers end in a clear error or warning, never a panic.

use std::io::Write;

use drydock_layers::{read_layer, EntryInfo, FileSystem, Keep, LayerError, Limits};

fn want_all(_: &EntryInfo) -> Keep {
    Keep::Content
}

/// Builds a tar with raw header names (the `tar` builder refuses `..`, as it should).
fn raw_tar(entries: &[(&str, tar::EntryType, &[u8], Option<&str>)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, kind, data, link) in entries {
        let mut h = tar::Header::new_old();
        h.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
        h.set_entry_type(*kind);
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        if let Some(l) = link {
            h.as_old_mut().linkname[..l.len()].copy_from_slice(l.as_bytes());
        }
        h.set_cksum();
        out.extend_from_slice(h.as_bytes());
        out.extend_from_slice(data);
        out.resize(out.len().div_ceil(512) * 512, 0);
    }
    out.resize(out.len() + 1024, 0);
    out
}

fn gzip(b: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(b).unwrap();
    e.finish().unwrap()
}

#[test]
fn path_traversal_is_skipped_with_a_warning() {
    let t = raw_tar(&[
        (
            "../../etc/passwd",
            tar::EntryType::Regular,
            b"root:x:0:0",
            None,
        ),
        (
            "etc/os-release",
            tar::EntryType::Regular,
            b"ID=alpine",
            None,
        ),
    ]);
    let (c, _) = read_layer(&gzip(&t)[..], &want_all, &Limits::default()).unwrap();
    assert!(c.files.contains_key("etc/os-release"));
    assert!(!c.files.keys().any(|k| k.contains("passwd")));
    assert!(
        c.warnings.iter().any(|w| w.contains("escapes the root")),
        "{:?}",
        c.warnings
    );
}

#[test]
fn symlink_loop_is_an_error_on_lookup_not_a_hang() {
    let t = raw_tar(&[
        (
            "etc/os-release",
            tar::EntryType::Symlink,
            b"",
            Some("/etc/loop"),
        ),
        ("etc/loop", tar::EntryType::Symlink, b"", Some("os-release")),
    ]);
    let (c, _) = read_layer(&t[..], &want_all, &Limits::default()).unwrap();
    let fs = FileSystem::squash([&c]);
    let err = fs.lookup("etc/os-release").unwrap_err();
    assert!(err.contains("too many levels of symbolic links"), "{err}");
}

#[test]
fn gzip_bomb_is_rejected() {
    let zeros = vec![0u8; 24 << 20];
    let t = raw_tar(&[("big", tar::EntryType::Regular, &zeros, None)]);
    let limits = Limits {
        max_layer_bytes: 8 << 20,
        ..Limits::default()
    };
    match read_layer(&gzip(&t)[..], &want_all, &limits) {
        Err(LayerError::Bomb(m)) => assert!(m.contains("uncompressed bytes"), "{m}"),
        other => panic!(
            "expected a bomb error, got {:?}",
            other.map(|x| x.0.files.len())
        ),
    }
}

#[test]
fn oversize_wanted_file_is_skipped_with_a_warning() {
    let t = raw_tar(&[(
        "var/lib/dpkg/status",
        tar::EntryType::Regular,
        &[b'x'; 4096],
        None,
    )]);
    let limits = Limits {
        max_file_size: 1024,
        ..Limits::default()
    };
    let (c, _) = read_layer(&t[..], &want_all, &limits).unwrap();
    assert!(c.files.is_empty());
    assert!(c.warnings[0].contains("over the 1024 byte limit"));
}

#[test]
fn truncated_layer_is_an_error() {
    let t = raw_tar(&[(
        "etc/os-release",
        tar::EntryType::Regular,
        &[b'x'; 10_000],
        None,
    )]);
    let gz = gzip(&t);
    let cut = &gz[..gz.len() / 2];
    assert!(read_layer(cut, &want_all, &Limits::default()).is_err());
    assert!(
        read_layer(&t[..300], &want_all, &Limits::default()).is_err(),
        "not even one header"
    );
}

/// A valid gzip whose tar ends mid-file: the blob is what the registry published
/// (digest verified), so the entries before the damage are kept with a warning
/// instead of failing the whole image.
#[test]
fn tar_that_ends_mid_file_keeps_earlier_entries_with_a_warning() {
    let t = raw_tar(&[
        (
            "etc/os-release",
            tar::EntryType::Regular,
            b"ID=debian",
            None,
        ),
        ("big", tar::EntryType::Regular, &[b'x'; 10_000], None),
    ]);
    let (c, _) = read_layer(&gzip(&t[..3000])[..], &want_all, &Limits::default()).unwrap();
    assert!(c.files.contains_key("etc/os-release"));
    assert!(
        c.warnings.iter().any(|w| w.contains("damaged after")),
        "{:?}",
        c.warnings
    );
}

#[test]
fn garbage_is_an_error() {
    let junk: Vec<u8> = (0..5000u32).map(|i| (i * 7919 % 251) as u8).collect();
    assert!(read_layer(&junk[..], &want_all, &Limits::default()).is_err());
    assert!(read_layer(&[0x1f, 0x8b, 0, 1, 2][..], &want_all, &Limits::default()).is_err());
}

#[test]
fn opaque_marker_before_its_directory_entry() {
    // umoci writes `.wh..wh..opq` before the directory's own entry.
    let lower = raw_tar(&[(
        "app/node_modules/minimist/package.json",
        tar::EntryType::Regular,
        b"{\"version\":\"1.2.0\"}",
        None,
    )]);
    let upper = raw_tar(&[
        (
            "app/node_modules/minimist/.wh..wh..opq",
            tar::EntryType::Regular,
            b"",
            None,
        ),
        (
            "app/node_modules/minimist/",
            tar::EntryType::Directory,
            b"",
            None,
        ),
        (
            "app/node_modules/minimist/index.js",
            tar::EntryType::Regular,
            b"x",
            None,
        ),
    ]);
    let (l, _) = read_layer(&lower[..], &want_all, &Limits::default()).unwrap();
    let (u, _) = read_layer(&upper[..], &want_all, &Limits::default()).unwrap();
    let fs = FileSystem::squash([&l, &u]);
    assert!(fs.get("app/node_modules/minimist/package.json").is_none());
    assert!(fs.get("app/node_modules/minimist/index.js").is_some());
}

#[test]
fn extract_keeps_only_the_derived_bytes() {
    fn first_three(d: &[u8]) -> Option<Vec<u8>> {
        d.starts_with(b"\x7fELF").then(|| d[..3].to_vec())
    }
    let t = raw_tar(&[
        (
            "usr/bin/tool",
            tar::EntryType::Regular,
            b"\x7fELF and more",
            None,
        ),
        (
            "usr/bin/script",
            tar::EntryType::Regular,
            b"#!/bin/sh",
            None,
        ),
    ]);
    let want = |_: &EntryInfo| Keep::Extract(first_three);
    let (c, _) = read_layer(&t[..], &want, &Limits::default()).unwrap();
    assert_eq!(
        c.files.get("usr/bin/tool").map(Vec::as_slice),
        Some(&b"\x7fEL"[..])
    );
    assert!(!c.files.contains_key("usr/bin/script"));
}

/// Regression: umoci writes layers whose tar stops right after the last file's
/// data (no block padding, no end-of-archive marker). All entries are complete:
/// no warning, everything kept.
#[test]
fn tar_without_trailer_after_complete_entries_is_fine() {
    let t = raw_tar(&[
        (
            "etc/os-release",
            tar::EntryType::Regular,
            b"ID=debian",
            None,
        ),
        ("app/x", tar::EntryType::Regular, b"0123456789abc", None),
    ]);
    let end = 512 + 512 + 512 + 13; // two headers, one padded data block, 13 bytes of data
    let (c, _) = read_layer(&gzip(&t[..end])[..], &want_all, &Limits::default()).unwrap();
    assert_eq!(
        c.files.get("app/x").map(Vec::as_slice),
        Some(&b"0123456789abc"[..])
    );
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
}
