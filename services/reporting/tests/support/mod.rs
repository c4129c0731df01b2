//! What the ingestion tests of relief-reporting share: a fresh, migrated reporting database on
//! either backend, events applied through the real [`Ingest`] handler exactly as the runtime's
//! consumer applies them, and queries of the read models.
//!
//! Include it with `mod support;` and write each test once for both backends:
//!
//! ```ignore
//! support::reporting_tests!(my_test, |reporting: support::Reporting| async move {
//!     let db = &reporting.db;
//!     support::apply(db, "intake", 1, support::instant("2026-03-02T09:00:00+08:00"), &event).await;
//!     assert_eq!(support::fact(db, "admission", "case-1").await, Some(..));
//! });
//! ```
//!
//! - [`Reporting`]: a fresh database ([`Reporting::on`] a testkit [`TestDatabase`], or
//!   [`Reporting::fresh`] on a backend), migrated with the service's own migrations.
//! - [`apply`] / [`apply_event`]: one event in one transaction, committed, like the consumer
//!   (without its `consumer_applied` de-duplication, so applying twice tests the read models' own
//!   idempotency); [`event`] builds the [`ReceivedEvent`] (event id `<source>:<seq>`, so the same
//!   event delivered again has the same id). [`Feed`] numbers the events of one source.
//! - [`fact`], [`daily`], [`count`], [`rows`], [`snapshot`]: what the read models hold.
//! - [`reporting_tests!`]: one test per backend (PostgreSQL with `RELIEF_TEST_POSTGRES_URL`; see
//!   `relief_testkit::backend_tests!`).

#![allow(dead_code, reason = "each test binary uses a different part")]
#![allow(clippy::unwrap_used, reason = "test support: a panic is a failed test")]

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use prost::{Message, Name};
use relief_reporting::facts::Contribution;
use relief_reporting::ingest::Ingest;
use relief_runtime::db::Db;
use relief_runtime::events::consumer::ReceivedEvent;
use relief_runtime::events::{EventHandler, Prepared};
use relief_runtime::with_db;
use relief_testkit::{TestBackend, TestDatabase};
use sqlx::{Column, Row};

/// Every read-model table ([`snapshot`] leaves out `r_feed`, whose counters count deliveries).
pub const READ_MODELS: [&str; 13] = [
    "r_cases",
    "r_placements",
    "r_identity_files",
    "r_verifications",
    "r_institutions",
    "r_visits",
    "r_repeat_links",
    "r_notifications",
    "r_late_items",
    "r_major_situations",
    "r_facts",
    "r_daily",
    "r_feed",
];

/// Runs `$body` (an async closure taking a [`Reporting`]) once on SQLite and once on
/// PostgreSQL: `mod $name { sqlite, postgres }`.
#[macro_export]
macro_rules! reporting_tests {
    ($name:ident, $body:expr) => {
        relief_testkit::backend_tests!(
            $name,
            |database: relief_testkit::TestDatabase| async move {
                let reporting = $crate::support::Reporting::on(database).await;
                ($body)(reporting).await;
            }
        );
    };
}
pub use crate::reporting_tests;

/// A migrated reporting database that lives as long as the test.
#[derive(Debug)]
pub struct Reporting {
    /// The pool.
    pub db: Db,
    /// Keeps the database (its file or PostgreSQL database) until the test ends.
    pub database: TestDatabase,
}

/// Nothing to do on drop (the pool and the database drop themselves). The impl is there for the
/// test bodies: `|reporting: Reporting| async move { let db = &reporting.db; … }` would otherwise
/// capture only the `db` field (precise closure captures), dropping `database`, i.e. deleting
/// the database, before the body runs; a field cannot be moved out of a type with `Drop`, so the
/// body captures the whole value.
impl Drop for Reporting {
    fn drop(&mut self) {}
}

impl Reporting {
    /// Migrates `database` with the runtime's and the reporting service's migrations.
    pub async fn on(database: TestDatabase) -> Reporting {
        let db = Db::connect(database.url(), 4, relief_reporting::SPEC.migrations)
            .await
            .expect("connect and migrate the reporting database");
        Reporting { db, database }
    }

    /// A fresh one on `backend`; `None` only for PostgreSQL outside CI without its URL.
    pub async fn fresh(backend: TestBackend) -> Option<Reporting> {
        Some(Reporting::on(TestDatabase::create(backend).await?).await)
    }

    /// Another fresh one on the same backend (to compare two ingestions).
    pub async fn another(&self) -> Reporting {
        Reporting::fresh(self.database.backend())
            .await
            .expect("the backend of a database that exists is available")
    }
}

/// The RFC 3339 instant `text` (with its offset; local days are Asia/Shanghai, +08:00).
pub fn instant(text: &str) -> DateTime<Utc> {
    relief_testkit::fixtures::instant(text)
}

/// `message` as the `seq`-th event of `source`'s feed, which happened at `occurred_at`.
pub fn event<M: Message + Name>(
    source: &str,
    seq: i64,
    occurred_at: DateTime<Utc>,
    message: &M,
) -> ReceivedEvent {
    ReceivedEvent {
        source: source.to_owned(),
        seq,
        event_id: format!("{source}:{seq}"),
        occurred_at,
        payload: prost_types::Any::from_msg(message).expect("an event message encodes"),
    }
}

/// Applies `message` as the `seq`-th event of `source` (one of `ingest::SOURCES`) in one
/// committed transaction, as the runtime's consumer does.
pub async fn apply<M: Message + Name>(
    db: &Db,
    source: &'static str,
    seq: i64,
    occurred_at: DateTime<Utc>,
    message: &M,
) {
    apply_event(db, &event(source, seq, occurred_at, message)).await;
}

/// Applies `event` through the handler of its source in one committed transaction.
pub async fn apply_event(db: &Db, event: &ReceivedEvent) {
    let source = relief_reporting::ingest::SOURCES
        .into_iter()
        .find(|source| *source == event.source)
        .expect("the event's source is a feed reporting consumes");
    let mut tx = db.begin().await.expect("begin");
    Ingest::new(source)
        .apply(&mut tx, event, Prepared::default())
        .await
        .unwrap_or_else(|error| panic!("applying {}: {error}", event.payload.type_url));
    tx.commit().await.expect("commit");
}

/// The events of one feed, numbered in order: `feed.send(at, &message)` applies the next one and
/// keeps it (`feed.events`) for applying again.
#[derive(Debug)]
pub struct Feed<'a> {
    db: &'a Db,
    source: &'static str,
    /// Every event sent, in order.
    pub events: Vec<ReceivedEvent>,
}

impl<'a> Feed<'a> {
    /// The feed of `source` into `db`, from seq 1.
    pub fn new(db: &'a Db, source: &'static str) -> Self {
        Feed {
            db,
            source,
            events: Vec::new(),
        }
    }

    /// Applies `message` as the next event, which happened at `occurred_at`.
    pub async fn send<M: Message + Name>(&mut self, occurred_at: DateTime<Utc>, message: &M) {
        let seq = i64::try_from(self.events.len()).unwrap() + 1;
        let event = event(self.source, seq, occurred_at, message);
        apply_event(self.db, &event).await;
        self.events.push(event);
    }
}

/// The contribution of `subject` to `metric`, if any.
pub async fn fact(db: &Db, metric: &str, subject: &str) -> Option<Contribution> {
    let row: Option<(String, String, String, i64)> = with_db!(db, |pool| {
        sqlx::query_as(
            "SELECT day, division, dim, value FROM r_facts WHERE metric = $1 AND subject = $2",
        )
        .bind(metric)
        .bind(subject)
        .fetch_optional(pool)
        .await
    })
    .unwrap();
    row.map(|(day, division, dim, value)| Contribution {
        day,
        division,
        dim,
        value,
    })
}

/// The non-zero daily counters of `metric` as `(day, division, dim, value)`, sorted.
pub async fn daily(db: &Db, metric: &str) -> Vec<(String, String, String, i64)> {
    with_db!(db, |pool| {
        sqlx::query_as(
            "SELECT day, division, dim, value FROM r_daily WHERE metric = $1 AND value <> 0 \
             ORDER BY day, division, dim",
        )
        .bind(metric)
        .fetch_all(pool)
        .await
    })
    .unwrap()
}

/// The number of rows of `table` (one of [`READ_MODELS`]).
pub async fn count(db: &Db, table: &str) -> i64 {
    assert!(READ_MODELS.contains(&table), "{table} is no read model");
    let sql = format!("SELECT COUNT(*) FROM {table}");
    with_db!(db, |pool| {
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql.clone()))
            .fetch_one(pool)
            .await
    })
    .unwrap()
}

/// The rows of `table` (one of [`READ_MODELS`]) as `column=value|…` text (NULL for null),
/// sorted: a backend-neutral picture of a table for comparisons and messages.
pub async fn rows(db: &Db, table: &str) -> Vec<String> {
    assert!(READ_MODELS.contains(&table), "{table} is no read model");
    let sql = format!("SELECT * FROM {table}");
    let mut rows: Vec<String> = with_db!(db, |pool| {
        sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
            .fetch_all(pool)
            .await
            .unwrap()
            .iter()
            .map(|row| {
                (0..row.len())
                    .map(|i| {
                        let value = row
                            .try_get::<Option<i64>, _>(i)
                            .map(|v| v.map(|v| v.to_string()))
                            .or_else(|_| {
                                row.try_get::<Option<i32>, _>(i)
                                    .map(|v| v.map(|v| v.to_string()))
                            })
                            .or_else(|_| row.try_get::<Option<String>, _>(i))
                            .unwrap();
                        let name = row.columns()[i].name();
                        format!("{name}={}", value.as_deref().unwrap_or("NULL"))
                    })
                    .collect::<Vec<_>>()
                    .join("|")
            })
            .collect()
    });
    rows.sort();
    rows
}

/// Every read model but `r_feed`, table by table ([`rows`]): two ingestions that leave equal
/// snapshots leave equal figures and entity rows.
pub async fn snapshot(db: &Db) -> BTreeMap<&'static str, Vec<String>> {
    let mut snapshot = BTreeMap::new();
    for table in READ_MODELS.into_iter().filter(|table| *table != "r_feed") {
        snapshot.insert(table, rows(db, table).await);
    }
    snapshot
}

/// One row of `r_late_items`, instants as times.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LateRow {
    /// The deadline kind.
    pub kind: String,
    /// The division whose report lists it.
    pub division: String,
    /// The responsible unit, when known.
    pub responsible_unit: Option<String>,
    /// When it was due.
    pub due_at: DateTime<Utc>,
    /// When it was seen late.
    pub late_at: DateTime<Utc>,
    /// When it was done late.
    pub done_at: Option<DateTime<Utc>>,
    /// The local day of `done_at`.
    pub done_day: Option<String>,
}

/// The stored columns of a [`LateRow`].
type LateColumns = (
    String,
    String,
    Option<String>,
    i64,
    i64,
    Option<i64>,
    Option<String>,
);

/// The late item `item_key`, if raised.
pub async fn late_item(db: &Db, item_key: &str) -> Option<LateRow> {
    let row: Option<LateColumns> = with_db!(db, |pool| {
        sqlx::query_as(
            "SELECT deadline_kind, division, responsible_unit, due_at, late_at, done_at, \
             done_day FROM r_late_items WHERE item_key = $1",
        )
        .bind(item_key)
        .fetch_optional(pool)
        .await
    })
    .unwrap();
    let at = relief_reporting::time::instant;
    row.map(
        |(kind, division, responsible_unit, due, late, done, done_day)| LateRow {
            kind,
            division,
            responsible_unit,
            due_at: at(due),
            late_at: at(late),
            done_at: done.map(at),
            done_day,
        },
    )
}

/// One row of `r_major_situations`, the instant as a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MajorRow {
    /// `MajorSituationKind` as stored.
    pub kind: i32,
    /// The responsible division.
    pub division: String,
    /// The case, if any.
    pub case_id: Option<String>,
    /// `<type>/<id>`.
    pub subject: String,
    /// When it happened (the earliest report).
    pub occurred_at: DateTime<Utc>,
    /// Its local day.
    pub occurred_day: String,
    /// The comma list of the reporting event types.
    pub sources: String,
}

/// The stored columns of a [`MajorRow`].
type MajorColumns = (i32, String, Option<String>, String, i64, String, String);

/// The major situation `situation_id`, if recorded.
pub async fn major_situation(db: &Db, situation_id: &str) -> Option<MajorRow> {
    let row: Option<MajorColumns> = with_db!(db, |pool| {
        sqlx::query_as(
            "SELECT kind, division, case_id, subject, occurred_at, occurred_day, sources \
             FROM r_major_situations WHERE situation_id = $1",
        )
        .bind(situation_id)
        .fetch_optional(pool)
        .await
    })
    .unwrap();
    row.map(
        |(kind, division, case_id, subject, at, occurred_day, sources)| MajorRow {
            kind,
            division,
            case_id,
            subject,
            occurred_at: relief_reporting::time::instant(at),
            occurred_day,
            sources,
        },
    )
}
