//! The database: one typed pool per backend behind [`Db`], one SQL text per query.
//!
//! sqlx's `Any` driver cannot carry timestamps or SQLite booleans, so a store holds either a
//! `SqlitePool` or a `PgPool`, and [`with_db!`](crate::with_db) / [`with_tx!`](crate::with_tx) run
//! the *same* query text (`$1` placeholders, `RETURNING`, `ON CONFLICT`) in whichever arm is live.
//! DDL differs, so each owner keeps `migrations/sqlite` and `migrations/postgres`, embedded with
//! `sqlx::migrate!` and applied at start by [`Db::connect`].
//!
//! Migration versions below [`SERVICE_MIGRATIONS_START`] belong to the runtime (its shared tables);
//! a service numbers its own from there, so both lists apply as one ordered history.
//!
//! SQLite runs in WAL mode with `synchronous=FULL`, so an acknowledged write survives a crash.

use std::str::FromStr;
use std::time::Duration;

use sqlx::migrate::{Migration, Migrator};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};

use crate::secret::Secret;

/// The first migration version a service may use; lower ones are the runtime's.
pub const SERVICE_MIGRATIONS_START: i64 = 1000;

/// How long a query waits for a pooled connection before the caller is told to retry.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

/// Which backend a [`Db`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite: `relief dev` and single-station installs.
    Sqlite,
    /// PostgreSQL: production.
    Postgres,
}

/// A service's embedded migrations, one list per backend.
#[derive(Debug, Clone, Copy)]
pub struct Migrations {
    /// DDL for SQLite.
    pub sqlite: &'static Migrator,
    /// DDL for PostgreSQL.
    pub postgres: &'static Migrator,
}

/// Why the database could not be opened or migrated.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The URL is neither `sqlite:` nor `postgres://`.
    #[error("unsupported database url (expected sqlite: or postgres://)")]
    UnsupportedUrl,
    /// Connecting failed.
    #[error("cannot connect to the database: {0}")]
    Connect(#[source] sqlx::Error),
    /// Two migrations share a version, or a service used a runtime version.
    #[error("migration version {0} is used twice or lies in the runtime's range")]
    MigrationVersion(i64),
    /// Applying migrations failed.
    #[error("cannot apply migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// A connection pool of either backend.
#[derive(Debug, Clone)]
pub enum Db {
    /// SQLite.
    Sqlite(SqlitePool),
    /// PostgreSQL.
    Postgres(PgPool),
}

/// An open transaction of either backend; commit it or drop it to roll back.
#[derive(Debug)]
pub enum Tx {
    /// SQLite.
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    /// PostgreSQL.
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

/// Runs `$body` with `$pool` bound to the live pool of `$db` (a `&Db`). The body is written once
/// and compiled for both backends, so one SQL text serves both.
#[macro_export]
macro_rules! with_db {
    ($db:expr, |$pool:ident| $body:expr) => {
        match $db {
            $crate::db::Db::Sqlite($pool) => $body,
            $crate::db::Db::Postgres($pool) => $body,
        }
    };
}

/// A pool or an open transaction: reads that serve both a plain read and a mutation.
#[derive(Debug)]
pub enum Conn<'a> {
    /// A connection from the pool.
    Db(&'a Db),
    /// The caller's transaction.
    Tx(&'a mut Tx),
}

/// Runs `$body` with `$c` bound to a live executor of a [`Conn`] (a pool or the transaction's
/// connection).
#[macro_export]
macro_rules! with_conn {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::Conn::Db(db) => $crate::with_db!(db, |$c| $body),
            $crate::db::Conn::Tx(tx) => $crate::with_tx!(tx, |$c| $body),
        }
    };
}

/// Runs `$body` with `$conn` bound to the live transaction's connection (`&mut *tx`) of `$tx`
/// (a `&mut Tx`).
#[macro_export]
macro_rules! with_tx {
    ($tx:expr, |$conn:ident| $body:expr) => {
        match $tx {
            $crate::db::Tx::Sqlite(tx) => {
                let $conn = &mut **tx;
                $body
            }
            $crate::db::Tx::Postgres(tx) => {
                let $conn = &mut **tx;
                $body
            }
        }
    };
}

impl Db {
    /// Connects to `url`, creating an SQLite file (and its directory) if needed, and applies the
    /// runtime's migrations and then `service`'s.
    pub async fn connect(
        url: &Secret<String>,
        max_connections: u32,
        service: Option<Migrations>,
    ) -> Result<Db, DbError> {
        let db = Self::open(url, max_connections).await?;
        db.migrate(service).await?;
        Ok(db)
    }

    /// Connects without applying migrations (for tools and tests that inspect a database).
    pub async fn open(url: &Secret<String>, max_connections: u32) -> Result<Db, DbError> {
        let url = url.expose();
        if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)
                .map_err(DbError::Connect)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10));
            let in_memory = url.contains(":memory:") || url.contains("mode=memory");
            if !in_memory
                && let Some(parent) = options.get_filename().parent()
                && !parent.as_os_str().is_empty()
            {
                std::fs::create_dir_all(parent)
                    .map_err(|error| DbError::Connect(sqlx::Error::Io(error)))?;
            }
            // An in-memory database lives in one connection: pin exactly one, forever.
            let pool_options = if in_memory {
                SqlitePoolOptions::new()
                    .min_connections(1)
                    .max_connections(1)
                    .idle_timeout(None)
                    .max_lifetime(None)
            } else {
                SqlitePoolOptions::new().max_connections(max_connections.max(1))
            };
            let pool_options = pool_options.acquire_timeout(ACQUIRE_TIMEOUT);
            let pool = pool_options
                .connect_with(options)
                .await
                .map_err(DbError::Connect)?;
            Ok(Db::Sqlite(pool))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let options = PgConnectOptions::from_str(url).map_err(DbError::Connect)?;
            let pool = PgPoolOptions::new()
                .max_connections(max_connections.max(1))
                .acquire_timeout(ACQUIRE_TIMEOUT)
                .connect_with(options)
                .await
                .map_err(DbError::Connect)?;
            Ok(Db::Postgres(pool))
        } else {
            Err(DbError::UnsupportedUrl)
        }
    }

    /// Applies the runtime's migrations and then the service's, as one ordered history.
    pub async fn migrate(&self, service: Option<Migrations>) -> Result<(), DbError> {
        let (runtime, own) = match self {
            Db::Sqlite(_) => (&RUNTIME_SQLITE, service.map(|m| m.sqlite)),
            Db::Postgres(_) => (&RUNTIME_POSTGRES, service.map(|m| m.postgres)),
        };
        let migrator = combine(runtime, own)?;
        match self {
            Db::Sqlite(pool) => migrator.run(pool).await?,
            Db::Postgres(pool) => migrator.run(pool).await?,
        }
        Ok(())
    }

    /// Which backend this is.
    pub fn backend(&self) -> Backend {
        match self {
            Db::Sqlite(_) => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    /// Begins a transaction. On SQLite it is `BEGIN IMMEDIATE`: it takes the write lock at once
    /// (waiting up to the busy timeout), so a transaction that reads before it writes can never
    /// fail to upgrade its lock while another writer holds it.
    pub async fn begin(&self) -> Result<Tx, sqlx::Error> {
        Ok(match self {
            Db::Sqlite(pool) => Tx::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await?),
            Db::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        })
    }

    /// Closes the pool, waiting for connections to be returned.
    pub async fn close(&self) {
        with_db!(self, |pool| pool.close().await)
    }
}

impl Tx {
    /// Commits the transaction.
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            Tx::Sqlite(tx) => tx.commit().await,
            Tx::Postgres(tx) => tx.commit().await,
        }
    }

    /// Which backend this is.
    pub fn backend(&self) -> Backend {
        match self {
            Tx::Sqlite(_) => Backend::Sqlite,
            Tx::Postgres(_) => Backend::Postgres,
        }
    }
}

static RUNTIME_SQLITE: Migrator = sqlx::migrate!("migrations/sqlite");
static RUNTIME_POSTGRES: Migrator = sqlx::migrate!("migrations/postgres");

/// Merges the runtime's and a service's migrations into one history. Only forward migrations
/// are kept: relief never runs `.down.sql` scripts automatically.
fn combine(runtime: &Migrator, service: Option<&Migrator>) -> Result<Migrator, DbError> {
    let mut all: Vec<Migration> = Vec::new();
    let forward = |migration: &&Migration| !migration.migration_type.is_down_migration();
    for migration in runtime.iter().filter(forward) {
        if migration.version >= SERVICE_MIGRATIONS_START {
            return Err(DbError::MigrationVersion(migration.version));
        }
        all.push(migration.clone());
    }
    for migration in service.into_iter().flat_map(Migrator::iter).filter(forward) {
        if migration.version < SERVICE_MIGRATIONS_START {
            return Err(DbError::MigrationVersion(migration.version));
        }
        all.push(migration.clone());
    }
    all.sort_by_key(|migration| migration.version);
    if let Some(pair) = all
        .windows(2)
        .find(|pair| pair[0].version == pair[1].version)
    {
        return Err(DbError::MigrationVersion(pair[0].version));
    }
    Ok(Migrator::with_migrations(all))
}
