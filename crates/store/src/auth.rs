//! Console users (argon2 hashes, hashed elsewhere) and API sessions (token hashes).

use sqlx::Row;

use crate::{Result, Store};

/// A console user as stored.
#[derive(Debug, Clone)]
pub struct User {
    /// Login name (case-sensitive).
    pub username: String,
    /// PHC string of the argon2 hash.
    pub password_hash: String,
    /// Role, e.g. `admin`.
    pub role: String,
}

impl Store {
    /// Creates the user or replaces its password hash and role.
    pub async fn upsert_user(&self, u: &User, now: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO users (username, password_hash, role, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (username) DO UPDATE SET password_hash = excluded.password_hash, role = excluded.role",
        )
        .bind(&u.username)
        .bind(&u.password_hash)
        .bind(&u.role)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The user of that exact name.
    pub async fn user(&self, username: &str) -> Result<Option<User>> {
        let row =
            sqlx::query("SELECT username, password_hash, role FROM users WHERE username = $1")
                .bind(username)
                .fetch_optional(&self.pool)
                .await?;
        Ok(match row {
            Some(r) => Some(User {
                username: r.try_get("username")?,
                password_hash: r.try_get("password_hash")?,
                role: r.try_get("role")?,
            }),
            None => None,
        })
    }

    /// Records a session token (by its hash) valid until `expires_at`.
    pub async fn insert_session(
        &self,
        token_hash: &str,
        username: &str,
        expires_at: i64,
    ) -> Result<()> {
        sqlx::query("INSERT INTO sessions (token_hash, username, expires_at) VALUES ($1, $2, $3)")
            .bind(token_hash)
            .bind(username)
            .bind(expires_at)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The user a session token belongs to, if it has not expired at `now`.
    pub async fn session_user(&self, token_hash: &str, now: i64) -> Result<Option<String>> {
        let row =
            sqlx::query("SELECT username FROM sessions WHERE token_hash = $1 AND expires_at > $2")
                .bind(token_hash)
                .bind(now)
                .fetch_optional(&self.pool)
                .await?;
        Ok(match row {
            Some(r) => Some(r.try_get("username")?),
            None => None,
        })
    }

    /// Deletes sessions that expired before `now` and workers silent for an hour.
    pub async fn purge_expired(&self, now: i64) -> Result<u64> {
        let r = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(now)
            .execute(&self.pool)
            .await?;
        sqlx::query("DELETE FROM workers WHERE seen_at < $1")
            .bind(now - 3_600_000)
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected())
    }
}
