//! Console users and API tokens: argon2 password hashes, opaque bearer tokens
//! (stored as SHA-256 hashes with an expiry), and HTTP Basic on every call.

use std::collections::HashMap;
use std::sync::Mutex;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::extract::{Request, State};
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::state::AppState;

/// How long a verified Basic login is remembered, so argon2 runs once per minute, not per call.
const BASIC_CACHE_MS: i64 = 60_000;

/// An argon2id PHC hash of `password`.
pub fn hash_password(password: &str) -> Result<String, ApiError> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ApiError::Internal(format!("argon2: {e}")))
}

/// True when `password` matches the PHC hash.
pub fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

/// Remembers recent successful Basic logins by a hash of `user:password`.
#[derive(Default)]
pub struct BasicCache(Mutex<HashMap<String, (String, i64)>>);

impl AppState {
    /// Checks a username and password against the users table.
    pub async fn check_password(&self, username: &str, password: &str) -> Result<bool, ApiError> {
        // An unknown user is checked against a dummy hash: the same time is spent, so
        // names cannot be probed. Either way argon2 runs off the async threads.
        let (hash, known) = match self.store.user(username).await? {
            Some(user) => (user.password_hash, true),
            None => (self.dummy_hash.to_string(), false),
        };
        let pw = password.to_string();
        let ok = tokio::task::spawn_blocking(move || verify_password(&hash, &pw))
            .await
            .map_err(|e| ApiError::Internal(e.to_string()))?;
        Ok(known && ok)
    }

    /// Issues a bearer token valid for the configured time.
    pub async fn issue_token(&self, username: &str) -> Result<String, ApiError> {
        let mut raw = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut raw);
        let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw);
        let expires = self.clock.now_ms() + self.config.token_ttl.as_millis() as i64;
        self.store
            .insert_session(&sha256_hex(&token), username, expires)
            .await?;
        Ok(token)
    }

    /// The user an `Authorization` header value authenticates, if any.
    pub async fn authenticate_header(&self, header: &str) -> Result<Option<String>, ApiError> {
        let now = self.clock.now_ms();
        if let Some(token) = header.strip_prefix("Bearer ").map(str::trim) {
            return Ok(self.store.session_user(&sha256_hex(token), now).await?);
        }
        if let Some(b64) = header.strip_prefix("Basic ").map(str::trim) {
            let Ok(raw) = base64::engine::general_purpose::STANDARD.decode(b64) else {
                return Ok(None);
            };
            let Ok(pair) = String::from_utf8(raw) else {
                return Ok(None);
            };
            let Some((user, pass)) = pair.split_once(':') else {
                return Ok(None);
            };
            let key = sha256_hex(&pair);
            if let Ok(cache) = self.basic_cache.0.lock() {
                if let Some((u, until)) = cache.get(&key) {
                    if *until > now {
                        return Ok(Some(u.clone()));
                    }
                }
            }
            if self.check_password(user, pass).await? {
                if let Ok(mut cache) = self.basic_cache.0.lock() {
                    cache.retain(|_, (_, until)| *until > now);
                    cache.insert(key, (user.to_string(), now + BASIC_CACHE_MS));
                }
                return Ok(Some(user.to_string()));
            }
        }
        Ok(None)
    }
}

/// Middleware: every API route but authentication and health needs a valid token or Basic login.
pub async fn require_auth(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let header = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    match state.authenticate_header(&header).await? {
        Some(_) => Ok(next.run(req).await),
        None => Err(ApiError::Unauthorized),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argon2_hash_verifies_only_the_right_password() {
        let h = hash_password("Adm1n!").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password(&h, "Adm1n!"));
        assert!(!verify_password(&h, "adm1n!"));
        assert!(!verify_password("not a hash", "x"));
    }
}
