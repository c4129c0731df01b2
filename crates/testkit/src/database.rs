//! A fresh database per test, on either backend, so one test suite runs on both.

use relief_runtime::secret::Secret;
use sqlx::Connection;

/// The environment variable with an admin URL of the PostgreSQL used by tests.
pub const POSTGRES_URL_ENV: &str = "RELIEF_TEST_POSTGRES_URL";

/// The name of an SQLite test database's file in its temporary directory.
const SQLITE_FILE: &str = "test.db";

/// Which backend a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestBackend {
    /// An SQLite file in a temporary directory.
    Sqlite,
    /// A new database on the PostgreSQL of [`POSTGRES_URL_ENV`].
    Postgres,
}

/// The PostgreSQL admin URL, or `None` outside CI when it is not configured. Under CI (`CI` set)
/// a missing URL panics: a PostgreSQL test must never skip silently there.
pub fn postgres_admin_url() -> Option<String> {
    match std::env::var(POSTGRES_URL_ENV) {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ if std::env::var_os("CI").is_some() => {
            panic!("{POSTGRES_URL_ENV} is not set: CI must run the PostgreSQL suite")
        }
        _ => {
            eprintln!("skipping the PostgreSQL arm: set {POSTGRES_URL_ENV} to run it");
            None
        }
    }
}

/// A database that exists for one test. A PostgreSQL database is dropped when this is dropped;
/// an SQLite file goes with its temporary directory.
#[derive(Debug)]
pub struct TestDatabase {
    url: Secret<String>,
    backend: TestBackend,
    postgres: Option<(String, String)>,
    dir: Option<tempfile::TempDir>,
}

impl TestDatabase {
    /// A fresh database on `backend`; `None` only for PostgreSQL outside CI without a URL.
    pub async fn create(backend: TestBackend) -> Option<TestDatabase> {
        match backend {
            TestBackend::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                let url = format!("sqlite://{}", dir.path().join(SQLITE_FILE).display());
                Some(TestDatabase {
                    url: Secret::new(url),
                    backend,
                    postgres: None,
                    dir: Some(dir),
                })
            }
            TestBackend::Postgres => {
                let admin = postgres_admin_url()?;
                let name = format!("relief_test_{}", uuid::Uuid::new_v4().simple());
                let mut conn = sqlx::PgConnection::connect(&admin)
                    .await
                    .unwrap_or_else(|e| panic!("cannot connect to {POSTGRES_URL_ENV}: {e}"));
                // The name is ours (a uuid), not input: safe to splice.
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&mut conn)
                    .await
                    .unwrap();
                conn.close().await.unwrap();
                let url = replace_database(&admin, &name);
                Some(TestDatabase {
                    url: Secret::new(url),
                    backend,
                    postgres: Some((admin, name)),
                    dir: None,
                })
            }
        }
    }

    /// The database's URL.
    pub fn url(&self) -> &Secret<String> {
        &self.url
    }

    /// Its backend.
    pub fn backend(&self) -> TestBackend {
        self.backend
    }

    /// Deletes the database entirely and leaves an empty one under the same URL: the SQLite
    /// file with its `-wal`, `-shm` and `-journal` files (the next connection creates it), or the
    /// PostgreSQL database dropped (ending its connections) and created again. Whoever uses it
    /// must be stopped; the next one to open it migrates it from scratch.
    pub async fn reset(&self) {
        match &self.postgres {
            Some((admin, name)) => {
                let mut conn = sqlx::PgConnection::connect(admin)
                    .await
                    .unwrap_or_else(|e| panic!("cannot connect to {POSTGRES_URL_ENV}: {e}"));
                // The name is ours (a uuid), not input: safe to splice.
                for statement in [
                    format!("DROP DATABASE {name} WITH (FORCE)"),
                    format!("CREATE DATABASE {name}"),
                ] {
                    sqlx::query(sqlx::AssertSqlSafe(statement))
                        .execute(&mut conn)
                        .await
                        .unwrap();
                }
                conn.close().await.unwrap();
            }
            None => {
                let dir = self
                    .dir
                    .as_ref()
                    .expect("an SQLite database has its directory");
                for suffix in ["", "-wal", "-shm", "-journal"] {
                    let path = dir.path().join(format!("{SQLITE_FILE}{suffix}"));
                    match std::fs::remove_file(&path) {
                        Ok(()) => {}
                        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
                        Err(error) => panic!("cannot delete {}: {error}", path.display()),
                    }
                }
            }
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some((admin, name)) = self.postgres.take() else {
            return;
        };
        // Drop runs outside any runtime guarantee: use a private one on a plain thread.
        let _ = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async move {
                if let Ok(mut conn) = sqlx::PgConnection::connect(&admin).await {
                    let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                    )))
                    .execute(&mut conn)
                    .await;
                    let _ = conn.close().await;
                }
            });
        })
        .join();
    }
}

/// `postgres://u:p@h:5432/admin?x=y` with the database name replaced.
fn replace_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let after_scheme = base.find("://").map_or(0, |i| i + 3);
    let base = match base[after_scheme..].find('/') {
        Some(slash) => &base[..after_scheme + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{base}/{database}?{query}"),
        None => format!("{base}/{database}"),
    }
}

/// Runs an async test body once per backend: `backend_tests!(name, |db: TestDatabase| async
/// move { ... })` expands to `mod name { sqlite, postgres }` test functions.
#[macro_export]
macro_rules! backend_tests {
    ($name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let db = $crate::TestDatabase::create($crate::TestBackend::Sqlite)
                    .await
                    .unwrap();
                ($body)(db).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some(db) = $crate::TestDatabase::create($crate::TestBackend::Postgres).await
                else {
                    return;
                };
                ($body)(db).await;
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::replace_database;

    #[test]
    fn replaces_the_database_name() {
        assert_eq!(
            replace_database("postgres://u:p@127.0.0.1:5432/postgres", "t1"),
            "postgres://u:p@127.0.0.1:5432/t1"
        );
        assert_eq!(
            replace_database("postgres://u@h/db?sslmode=disable", "t2"),
            "postgres://u@h/t2?sslmode=disable"
        );
        assert_eq!(
            replace_database("postgres://u@h", "t3"),
            "postgres://u@h/t3"
        );
    }
}
