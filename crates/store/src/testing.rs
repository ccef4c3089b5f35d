//! Throwaway databases for tests: a temporary SQLite file, or a uniquely named
//! PostgreSQL database on the local server (dropped again when the handle goes).

use std::path::PathBuf;

use sqlx::{AnyConnection, Connection, Executor};

use crate::{ErrorKind, Result, StoreError};

/// The PostgreSQL server tests use: `$DRYDOCK_TEST_POSTGRES` or the local one (trust auth).
pub fn postgres_admin_url() -> String {
    std::env::var("DRYDOCK_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A database that exists until this handle is dropped.
pub struct TestDb {
    /// URL to open it with [`crate::Store::open`].
    pub url: String,
    /// Short name for messages: `sqlite` or `postgres`.
    pub backend: &'static str,
    file: Option<PathBuf>,
    pg_name: Option<String>,
}

fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("{prefix}_{}_{nanos}", std::process::id())
}

impl TestDb {
    /// A new SQLite file in the temporary directory.
    pub fn sqlite() -> TestDb {
        let file = std::env::temp_dir().join(format!("{}.db", unique("drydock_test")));
        TestDb {
            url: format!("sqlite://{}", file.display()),
            backend: "sqlite",
            file: Some(file),
            pg_name: None,
        }
    }

    /// A new, empty database on the PostgreSQL server.
    pub async fn postgres() -> Result<TestDb> {
        sqlx::any::install_default_drivers();
        let admin = postgres_admin_url();
        let name = unique("drydock_test");
        let mut c = AnyConnection::connect(&admin).await.map_err(|e| {
            StoreError::new(
                ErrorKind::Connect,
                format!("PostgreSQL for tests at {admin}: {e} (set DRYDOCK_TEST_POSTGRES)"),
            )
        })?;
        c.execute(format!("CREATE DATABASE {name}").as_str())
            .await?;
        let _ = c.close().await;
        let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
        Ok(TestDb {
            url: format!("{base}/{name}"),
            backend: "postgres",
            file: None,
            pg_name: Some(name),
        })
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(f) = &self.file {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", f.display()));
            }
        }
        if let Some(name) = self.pg_name.take() {
            // Drop runs outside any runtime guarantee: use a thread with its own.
            let admin = postgres_admin_url();
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build();
                if let Ok(rt) = rt {
                    rt.block_on(async {
                        if let Ok(mut c) = AnyConnection::connect(&admin).await {
                            let _ = c
                                .execute(
                                    format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str(),
                                )
                                .await;
                            let _ = c.close().await;
                        }
                    });
                }
            })
            .join();
        }
    }
}
