//! Named settings documents (the registry scan specifications) and registry credentials.

use sqlx::Row;

use crate::{Result, Store};

/// A stored credential: its public document and its encrypted secret.
#[derive(Debug, Clone)]
pub struct CredentialRow {
    /// `_id`.
    pub id: String,
    /// The credential document as JSON, without any secret in it.
    pub doc: String,
    /// The secret, sealed by the caller (never plain text).
    pub sealed_secret: Option<Vec<u8>>,
    /// Creation time (ms).
    pub created_at: i64,
    /// Last change (ms).
    pub modified_at: i64,
}

impl Store {
    /// The settings document of that name.
    pub async fn setting(&self, name: &str) -> Result<Option<String>> {
        let row = sqlx::query("SELECT doc FROM settings WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        Ok(match row {
            Some(r) => Some(r.try_get("doc")?),
            None => None,
        })
    }

    /// Writes the settings document of that name.
    pub async fn put_setting(&self, name: &str, doc: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO settings (name, doc) VALUES ($1, $2)
             ON CONFLICT (name) DO UPDATE SET doc = excluded.doc",
        )
        .bind(name)
        .bind(doc)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Creates or updates a credential (keeps its creation time).
    pub async fn upsert_credential(&self, c: &CredentialRow) -> Result<()> {
        sqlx::query(
            "INSERT INTO credentials (id, doc, secret, created_at, modified_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (id) DO UPDATE SET doc = excluded.doc, secret = excluded.secret,
                 modified_at = excluded.modified_at",
        )
        .bind(&c.id)
        .bind(&c.doc)
        .bind(c.sealed_secret.clone())
        .bind(c.created_at)
        .bind(c.modified_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// All credentials, by id.
    pub async fn credentials(&self) -> Result<Vec<CredentialRow>> {
        let rows = sqlx::query(
            "SELECT id, doc, secret, created_at, modified_at FROM credentials ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(credential_row).collect()
    }

    /// One credential.
    pub async fn credential(&self, id: &str) -> Result<Option<CredentialRow>> {
        let row = sqlx::query(
            "SELECT id, doc, secret, created_at, modified_at FROM credentials WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(credential_row).transpose()
    }

    /// Deletes a credential; true when it existed.
    pub async fn delete_credential(&self, id: &str) -> Result<bool> {
        let r = sqlx::query("DELETE FROM credentials WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected() > 0)
    }
}

fn credential_row(r: &sqlx::any::AnyRow) -> Result<CredentialRow> {
    Ok(CredentialRow {
        id: r.try_get("id")?,
        doc: r.try_get("doc")?,
        sealed_secret: r.try_get("secret")?,
        created_at: r.try_get("created_at")?,
        modified_at: r.try_get("modified_at")?,
    })
}
