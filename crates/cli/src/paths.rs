//! Default locations (XDG cache dir).

use std::path::PathBuf;

fn cache_root() -> PathBuf {
    std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir)
        .join("drydock")
}

/// `$XDG_CACHE_HOME/drydock/db`.
pub fn default_db_dir() -> PathBuf {
    cache_root().join("db")
}

/// `$XDG_CACHE_HOME/drydock/layers`.
pub fn default_cache_dir() -> PathBuf {
    cache_root().join("layers")
}
