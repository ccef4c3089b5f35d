//! The HTTPS certificate (self-signed on first start) and private files in the data directory.

use std::io::Write;
use std::path::{Path, PathBuf};

use rand::Rng;

/// Writes a file only its owner can read.
pub fn write_private(path: &Path, data: &[u8]) -> std::io::Result<()> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o.open(path)?.write_all(data)
}

/// A random 20-character password.
pub fn random_password() -> String {
    const CHARS: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    let mut rng = rand::thread_rng();
    (0..20)
        .map(|_| CHARS[rng.gen_range(0..CHARS.len())] as char)
        .collect()
}

/// `<data>/tls/{cert,key}.pem`, generated (self-signed for localhost) when missing.
pub fn self_signed(data_dir: &Path) -> Result<(PathBuf, PathBuf), String> {
    let dir = data_dir.join("tls");
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    if cert.exists() && key.exists() {
        return Ok((cert, key));
    }
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let names = vec![
        "localhost".to_string(),
        "127.0.0.1".to_string(),
        "::1".to_string(),
    ];
    let c = rcgen::generate_simple_self_signed(names).map_err(|e| format!("certificate: {e}"))?;
    write_private(&key, c.key_pair.serialize_pem().as_bytes())
        .map_err(|e| format!("{}: {e}", key.display()))?;
    std::fs::write(&cert, c.cert.pem()).map_err(|e| format!("{}: {e}", cert.display()))?;
    Ok((cert, key))
}
