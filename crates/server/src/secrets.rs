//! Registry credential secrets, sealed with ChaCha20-Poly1305 before they reach the database.

use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use rand::RngCore;

/// Seals and opens secrets with one 256-bit key (shared by every process of a deployment).
#[derive(Clone)]
pub struct SecretBox {
    cipher: ChaCha20Poly1305,
}

impl SecretBox {
    /// A box with this key.
    pub fn new(key: &[u8; 32]) -> Self {
        SecretBox {
            cipher: ChaCha20Poly1305::new(Key::from_slice(key)),
        }
    }

    /// A fresh random key.
    pub fn generate_key() -> [u8; 32] {
        let mut k = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut k);
        k
    }

    /// Nonce followed by ciphertext.
    pub fn seal(&self, plain: &str) -> Vec<u8> {
        let mut nonce = [0u8; 12];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let mut out = nonce.to_vec();
        // Encryption with a valid key and nonce cannot fail for in-memory data.
        if let Ok(ct) = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), plain.as_bytes())
        {
            out.extend(ct);
        }
        out
    }

    /// The plain secret, or `None` when it was sealed with another key or damaged.
    pub fn open(&self, sealed: &[u8]) -> Option<String> {
        if sealed.len() < 12 {
            return None;
        }
        let (nonce, ct) = sealed.split_at(12);
        let plain = self.cipher.decrypt(Nonce::from_slice(nonce), ct).ok()?;
        String::from_utf8(plain).ok()
    }

    /// What the API shows for a sealed secret (`secret.encrypted`).
    pub fn display(sealed: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD.encode(sealed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_round_trip_and_wrong_key() {
        let b = SecretBox::new(&SecretBox::generate_key());
        let s = b.seal("p@ss");
        assert_eq!(b.open(&s).as_deref(), Some("p@ss"));
        let other = SecretBox::new(&SecretBox::generate_key());
        assert_eq!(other.open(&s), None);
        assert_eq!(b.open(&s[..5]), None);
    }
}
