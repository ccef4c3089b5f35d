//! The service's state in SQLite or PostgreSQL, from one code path.
//!
//! Every statement is written once and runs on both databases through sqlx's
//! `Any` driver (`$1` placeholders, `ON CONFLICT`, `RETURNING` and partial
//! indexes mean the same in both); queries with optional filters are built
//! with sea-query for the backend in use. Nothing here assumes one process:
//! scan jobs are rows claimed with a lease ([`jobs`]), so several `drydock`
//! processes can share one PostgreSQL database.

pub mod auth;
pub mod jobs;
pub mod layers;
pub mod results;
pub mod settings;
pub mod testing;

use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};

/// What went wrong in the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The database could not be reached or opened.
    Connect,
    /// The schema could not be brought up to date.
    Migrate,
    /// A statement failed.
    Query,
    /// A stored document could not be decoded.
    Corrupt,
}

/// A store error: a kind and a message (never with secrets in it).
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct StoreError {
    /// What failed.
    pub kind: ErrorKind,
    /// Details for logs.
    pub message: String,
}

impl StoreError {
    fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        StoreError {
            kind,
            message: message.into(),
        }
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        StoreError::new(ErrorKind::Query, format!("database: {e}"))
    }
}

/// Result alias for the store.
pub type Result<T> = std::result::Result<T, StoreError>;

/// Which database the store talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite file: one process.
    Sqlite,
    /// PostgreSQL server: any number of processes.
    Postgres,
}

/// A handle on the database; cheap to clone.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

static MIGRATE_SQLITE: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static MIGRATE_POSTGRES: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

impl Store {
    /// Opens (creating if needed) the database at `url` and applies migrations.
    ///
    /// `url` is `sqlite:///path/to/file.db` or `postgres://user@host/db`.
    pub async fn open(url: &str) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(StoreError::new(
                ErrorKind::Connect,
                format!(
                    "unsupported database URL {:?} (sqlite:// or postgres://)",
                    redact(url)
                ),
            ));
        };
        let mut url = url.to_string();
        if backend == Backend::Sqlite && !url.contains("mode=") {
            url.push_str(if url.contains('?') {
                "&mode=rwc"
            } else {
                "?mode=rwc"
            });
        }
        let opts = AnyConnectOptions::from_str(&url)
            .map_err(|e| StoreError::new(ErrorKind::Connect, format!("{}: {e}", redact(&url))))?;
        let pool = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite { 4 } else { 10 })
            .acquire_timeout(Duration::from_secs(30))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        conn.execute("PRAGMA journal_mode = WAL").await?;
                        conn.execute("PRAGMA busy_timeout = 10000").await?;
                        conn.execute("PRAGMA synchronous = NORMAL").await?;
                    }
                    Ok(())
                })
            })
            .connect_with(opts)
            .await
            .map_err(|e| StoreError::new(ErrorKind::Connect, format!("{}: {e}", redact(&url))))?;
        let migrator = match backend {
            Backend::Sqlite => &MIGRATE_SQLITE,
            Backend::Postgres => &MIGRATE_POSTGRES,
        };
        migrator
            .run(&pool)
            .await
            .map_err(|e| StoreError::new(ErrorKind::Migrate, format!("migrations: {e}")))?;
        Ok(Store { pool, backend })
    }

    /// The database in use.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Closes the pool (waits for connections to be returned).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    fn builder(&self) -> Box<dyn sea_query::QueryBuilder + Send + Sync> {
        match self.backend {
            Backend::Sqlite => Box::new(sea_query::SqliteQueryBuilder),
            Backend::Postgres => Box::new(sea_query::PostgresQueryBuilder),
        }
    }
}

/// A URL with any password replaced, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::new(ErrorKind::Corrupt, format!("{what}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_hides_passwords_only() {
        assert_eq!(redact("postgres://u:pw@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact("sqlite:///x.db"), "sqlite:///x.db");
    }
}
