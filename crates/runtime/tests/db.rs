//! The database layer on both backends (SQLite and PostgreSQL, via `backend_tests!`):
//!
//! - `Db::connect` applies the runtime's migrations and then a service's own (versions ≥ 1000);
//!   connecting again (a restart) applies nothing again and keeps the data;
//! - one SQL text (`$1` placeholders, `RETURNING`, `ON CONFLICT (id) DO NOTHING`) runs in both
//!   arms through `with_db!` / `with_tx!`, round-tripping `i64`, `bool` and `DateTime<Utc>`
//!   (to the microsecond) exactly;
//! - a dropped transaction leaves nothing, a committed one is visible, and a duplicate id returns
//!   no row and changes nothing;
//! - a service migration numbered below 1000 is refused with `DbError::MigrationVersion`;
//! - SQLite only: every pooled connection runs in WAL mode with `synchronous=FULL`, and
//!   `sqlite::memory:` keeps one pinned connection, so what one query creates the next one sees.

use chrono::{DateTime, SubsecRound, TimeZone, Utc};
use relief_runtime::db::{DbError, Migrations, SERVICE_MIGRATIONS_START};
use relief_runtime::secret::Secret;
use relief_runtime::{Db, Tx, with_db, with_tx};
use relief_testkit::{TestBackend, TestDatabase, backend_tests};
use sqlx::migrate::Migrator;

static SQLITE: Migrator = sqlx::migrate!("tests/migrations/sqlite");
static POSTGRES: Migrator = sqlx::migrate!("tests/migrations/postgres");
static BAD_SQLITE: Migrator = sqlx::migrate!("tests/migrations/bad_sqlite");
static BAD_POSTGRES: Migrator = sqlx::migrate!("tests/migrations/bad_postgres");
// The runtime's own lists, embedded again here to know which versions it must have applied.
static RUNTIME_SQLITE: Migrator = sqlx::migrate!("migrations/sqlite");
static RUNTIME_POSTGRES: Migrator = sqlx::migrate!("migrations/postgres");

const SERVICE: Migrations = Migrations {
    sqlite: &SQLITE,
    postgres: &POSTGRES,
};
const SERVICE_VERSIONS: [i64; 2] = [1001, 1002];

/// A small store in the style of a service's: every query is written once, for both backends.
mod store {
    use super::*;

    #[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
    pub struct Item {
        pub id: String,
        pub amount_fen: i64,
        pub paid: bool,
        pub created_at: DateTime<Utc>,
    }

    const INSERT: &str = "INSERT INTO items (id, amount_fen, paid, created_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING \
         RETURNING id, amount_fen, paid, created_at";
    const GET: &str = "SELECT id, amount_fen, paid, created_at FROM items WHERE id = $1";

    /// Inserts `item`; `None` when its id already exists (nothing is changed then).
    pub async fn insert(db: &Db, item: &Item) -> Result<Option<Item>, sqlx::Error> {
        with_db!(db, |pool| {
            sqlx::query_as::<_, Item>(INSERT)
                .bind(&item.id)
                .bind(item.amount_fen)
                .bind(item.paid)
                .bind(item.created_at)
                .fetch_optional(pool)
                .await
        })
    }

    /// [`insert`] inside a transaction.
    pub async fn insert_tx(tx: &mut Tx, item: &Item) -> Result<Option<Item>, sqlx::Error> {
        with_tx!(tx, |conn| {
            sqlx::query_as::<_, Item>(INSERT)
                .bind(&item.id)
                .bind(item.amount_fen)
                .bind(item.paid)
                .bind(item.created_at)
                .fetch_optional(conn)
                .await
        })
    }

    pub async fn get(db: &Db, id: &str) -> Result<Option<Item>, sqlx::Error> {
        with_db!(db, |pool| {
            sqlx::query_as::<_, Item>(GET)
                .bind(id)
                .fetch_optional(pool)
                .await
        })
    }

    pub async fn get_tx(tx: &mut Tx, id: &str) -> Result<Option<Item>, sqlx::Error> {
        with_tx!(tx, |conn| {
            sqlx::query_as::<_, Item>(GET)
                .bind(id)
                .fetch_optional(conn)
                .await
        })
    }

    pub async fn count(db: &Db) -> Result<i64, sqlx::Error> {
        with_db!(db, |pool| {
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM items")
                .fetch_one(pool)
                .await
        })
    }

    /// `_sqlx_migrations` as (version, checksum, execution time): a re-applied migration would
    /// change a row or add one.
    pub async fn applied(db: &Db) -> Result<Vec<(i64, Vec<u8>, i64)>, sqlx::Error> {
        with_db!(db, |pool| {
            sqlx::query_as::<_, (i64, Vec<u8>, i64)>(
                "SELECT version, checksum, execution_time FROM _sqlx_migrations \
                 WHERE success ORDER BY version",
            )
            .fetch_all(pool)
            .await
        })
    }
}

use store::Item;

fn item(id: &str, amount_fen: i64, paid: bool, created_at: DateTime<Utc>) -> Item {
    Item {
        id: id.to_owned(),
        amount_fen,
        paid,
        created_at: created_at.trunc_subsecs(6),
    }
}

/// An instant with six sub-second digits, all significant.
fn instant() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 1, 8, 30, 15).unwrap() + chrono::Duration::microseconds(123_456)
}

async fn connect(database: &TestDatabase) -> Db {
    Db::connect(database.url(), 4, Some(SERVICE))
        .await
        .expect("connect and migrate")
}

backend_tests!(
    migrations_apply_once_and_survive_a_restart,
    |database: TestDatabase| async move {
        let db = connect(&database).await;
        let runtime = match database.backend() {
            TestBackend::Sqlite => &RUNTIME_SQLITE,
            TestBackend::Postgres => &RUNTIME_POSTGRES,
        };
        let mut expected: Vec<i64> = runtime.iter().map(|m| m.version).collect();
        assert!(expected.iter().all(|v| *v < SERVICE_MIGRATIONS_START));
        expected.extend(SERVICE_VERSIONS);
        let applied = store::applied(&db).await.unwrap();
        let versions: Vec<i64> = applied.iter().map(|(version, ..)| *version).collect();
        assert_eq!(versions, expected);

        let kept = item("kept", 12_345, true, instant());
        assert_eq!(store::insert(&db, &kept).await.unwrap(), Some(kept.clone()));
        db.close().await;

        // A restart: the same URL again. `CREATE TABLE items` would fail if it ran twice.
        let db = connect(&database).await;
        assert_eq!(store::applied(&db).await.unwrap(), applied);
        assert_eq!(store::get(&db, "kept").await.unwrap(), Some(kept));
        assert_eq!(store::count(&db).await.unwrap(), 1);
        db.close().await;
    }
);

backend_tests!(
    one_sql_text_round_trips_exactly,
    |database: TestDatabase| async move {
        let db = connect(&database).await;
        let now = Utc::now().trunc_subsecs(6);
        let last_second = Utc.with_ymd_and_hms(9999, 12, 31, 23, 59, 59).unwrap();
        let rows = [
            item("a", 0, false, instant()),
            item("b", -1, true, now),
            item("c", i64::MAX, false, Utc.timestamp_opt(0, 1_000).unwrap()),
            item("d", i64::MIN, true, last_second),
        ];
        for row in &rows {
            // RETURNING gives back exactly what went in...
            assert_eq!(store::insert(&db, row).await.unwrap().as_ref(), Some(row));
        }
        for row in &rows {
            // ...and so does a later read.
            assert_eq!(store::get(&db, &row.id).await.unwrap().as_ref(), Some(row));
        }
        assert_eq!(store::get(&db, "missing").await.unwrap(), None);
        assert_eq!(store::count(&db).await.unwrap(), 4);
        db.close().await;
    }
);

backend_tests!(
    transactions_and_conflicts,
    |database: TestDatabase| async move {
        let db = connect(&database).await;

        // Dropped without commit: its own reads see the row, nobody keeps it.
        let dropped = item("dropped", 700, true, instant());
        let mut tx = db.begin().await.unwrap();
        assert_eq!(
            store::insert_tx(&mut tx, &dropped).await.unwrap(),
            Some(dropped.clone())
        );
        assert_eq!(
            store::get_tx(&mut tx, "dropped").await.unwrap(),
            Some(dropped.clone())
        );
        drop(tx);
        assert_eq!(store::get(&db, "dropped").await.unwrap(), None);
        assert_eq!(store::count(&db).await.unwrap(), 0);

        // Committed: visible afterwards, and the dropped id is free again.
        let committed = item("committed", 800, false, instant());
        let mut tx = db.begin().await.unwrap();
        assert_eq!(
            store::insert_tx(&mut tx, &committed).await.unwrap(),
            Some(committed.clone())
        );
        assert_eq!(
            store::insert_tx(&mut tx, &dropped).await.unwrap(),
            Some(dropped.clone())
        );
        tx.commit().await.unwrap();
        assert_eq!(
            store::get(&db, "committed").await.unwrap(),
            Some(committed.clone())
        );
        assert_eq!(store::count(&db).await.unwrap(), 2);

        // A duplicate id: no row back and nothing changed, through the pool or a transaction.
        let duplicate = item("committed", 1, true, Utc::now());
        assert_eq!(store::insert(&db, &duplicate).await.unwrap(), None);
        let mut tx = db.begin().await.unwrap();
        assert_eq!(store::insert_tx(&mut tx, &duplicate).await.unwrap(), None);
        tx.commit().await.unwrap();
        assert_eq!(store::get(&db, "committed").await.unwrap(), Some(committed));
        assert_eq!(store::count(&db).await.unwrap(), 2);
        db.close().await;
    }
);

backend_tests!(
    service_migrations_below_1000_are_refused,
    |database: TestDatabase| async move {
        let bad = Migrations {
            sqlite: &BAD_SQLITE,
            postgres: &BAD_POSTGRES,
        };
        match Db::connect(database.url(), 2, Some(bad)).await {
            Err(DbError::MigrationVersion(42)) => {}
            other => panic!("expected MigrationVersion(42), got {other:?}"),
        }
        // Refused before anything ran: the database still takes the right migrations.
        let db = connect(&database).await;
        let versions: Vec<i64> = store::applied(&db)
            .await
            .unwrap()
            .iter()
            .map(|r| r.0)
            .collect();
        assert!(!versions.contains(&42));
        assert!(versions.ends_with(&SERVICE_VERSIONS));
        db.close().await;
    }
);

#[tokio::test]
async fn sqlite_file_is_wal_with_synchronous_full() {
    let database = TestDatabase::create(TestBackend::Sqlite).await.unwrap();
    let db = connect(&database).await;
    let Db::Sqlite(pool) = &db else {
        panic!("expected SQLite")
    };
    // Hold every connection the pool may open at once, so each one is checked.
    let mut connections = Vec::new();
    for _ in 0..4 {
        connections.push(pool.acquire().await.unwrap());
    }
    for conn in &mut connections {
        let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(&mut **conn)
            .await
            .unwrap();
        assert_eq!(mode, "wal");
        let synchronous: i64 = sqlx::query_scalar("PRAGMA synchronous")
            .fetch_one(&mut **conn)
            .await
            .unwrap();
        assert_eq!(synchronous, 2, "synchronous=FULL");
    }
    drop(connections);
    db.close().await;
}

#[tokio::test]
async fn sqlite_in_memory_keeps_one_pinned_connection() {
    let url = Secret::new("sqlite::memory:".to_owned());
    // Asked for 8 connections; an in-memory database must still get exactly one.
    let db = Db::connect(&url, 8, Some(SERVICE)).await.unwrap();
    let Db::Sqlite(pool) = &db else {
        panic!("expected SQLite")
    };
    sqlx::query("CREATE TABLE scratch (n INTEGER NOT NULL)")
        .execute(pool)
        .await
        .unwrap();
    // Eight writers at once, all queued on the one connection, all seeing the table.
    let inserts: Vec<_> = (0..8_i64)
        .map(|n| {
            let pool = pool.clone();
            tokio::spawn(async move {
                let query = sqlx::query("INSERT INTO scratch (n) VALUES ($1)").bind(n);
                query.execute(&pool).await.unwrap().rows_affected()
            })
        })
        .collect();
    for insert in inserts {
        assert_eq!(insert.await.unwrap(), 1);
    }
    let sum: i64 = sqlx::query_scalar("SELECT SUM(n) FROM scratch")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(sum, 28);
    // The service's migrations ran here too, and the store works.
    let row = item("memory", 5, true, instant());
    assert_eq!(store::insert(&db, &row).await.unwrap(), Some(row.clone()));
    assert_eq!(store::get(&db, "memory").await.unwrap(), Some(row));
    assert_eq!(pool.options().get_max_connections(), 1);
    assert_eq!(pool.size(), 1);
    db.close().await;
}
