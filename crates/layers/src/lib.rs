//! Layer reading and the squashed file system view.
//!
//! A layer blob streams through gzip, zstd or no decompression into a tar
//! reader; only the files a cataloger asks for are kept (each size-capped),
//! plus every symlink and whiteout so the layers can be squashed correctly
//! afterwards. Nothing is written to disk.

mod read;
mod squash;

pub use read::{read_layer, Compression, EntryInfo, Keep, LayerContents, LayerError, Limits};
pub use squash::{FileSystem, SquashedFile};

/// Normalises a tar path to a relative, `..`-free form (`etc/os-release`).
///
/// Returns `None` when the path climbs above the root (a hostile layer).
pub fn normalize_path(p: &str) -> Option<String> {
    let mut out: Vec<&str> = Vec::new();
    for c in p.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                out.pop()?;
            }
            c => out.push(c),
        }
    }
    Some(out.join("/"))
}

#[cfg(test)]
mod tests {
    use super::normalize_path;

    #[test]
    fn normalizes() {
        assert_eq!(
            normalize_path("./etc/os-release").as_deref(),
            Some("etc/os-release")
        );
        assert_eq!(
            normalize_path("/usr//lib/./x").as_deref(),
            Some("usr/lib/x")
        );
        assert_eq!(normalize_path("a/b/../c").as_deref(), Some("a/c"));
        assert_eq!(normalize_path("../../etc/passwd"), None);
        assert_eq!(normalize_path("a/../../x"), None);
    }
}
