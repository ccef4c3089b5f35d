//! The per-layer cache kept in the database, so every worker shares it.

use sqlx::Row;

use crate::{Result, Store};

impl Store {
    /// The cached (compressed) contents of a layer, by digest.
    pub async fn layer(&self, digest: &str) -> Result<Option<Vec<u8>>> {
        let row = sqlx::query("SELECT data FROM layer_cache WHERE digest = $1")
            .bind(digest)
            .fetch_optional(&self.pool)
            .await?;
        Ok(match row {
            Some(r) => Some(r.try_get("data")?),
            None => None,
        })
    }

    /// Stores a layer's contents (the first writer wins; contents are a function of the digest).
    pub async fn put_layer(&self, digest: &str, data: &[u8], now: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO layer_cache (digest, data, created_at) VALUES ($1, $2, $3)
             ON CONFLICT (digest) DO NOTHING",
        )
        .bind(digest)
        .bind(data.to_vec())
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
