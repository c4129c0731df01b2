//! The `case_services` table (migration 1030): one row per service given during a stay, its cost
//! in integer fen. One SQL text per query for both backends.

use chrono::{DateTime, Utc};
use relief_proto::common::v1::Money;
use relief_proto::intake::v1 as pb;
use relief_runtime::db::{Db, Tx};
use relief_runtime::time::timestamp;
use relief_runtime::{with_db, with_tx};

/// A stored service.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ServiceRow {
    pub id: String,
    pub case_id: String,
    pub kind: i32,
    pub given_at: DateTime<Utc>,
    pub cost_fen: i64,
    pub description: String,
    pub recorded_by_unit: String,
    pub recorded_at: DateTime<Utc>,
}

const COLUMNS: &str =
    "id, case_id, kind, given_at, cost_fen, description, recorded_by_unit, recorded_at";

impl ServiceRow {
    /// The protobuf form.
    pub fn to_proto(&self) -> pb::ServiceRecord {
        pb::ServiceRecord {
            service_id: self.id.clone(),
            case_id: self.case_id.clone(),
            kind: self.kind,
            given_at: Some(timestamp(self.given_at)),
            cost: Some(Money { fen: self.cost_fen }),
            description: self.description.clone(),
        }
    }
}

/// Inserts a new service.
pub async fn insert(tx: &mut Tx, row: &ServiceRow) -> Result<(), sqlx::Error> {
    let sql =
        format!("INSERT INTO case_services ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)");
    with_tx!(tx, |conn| {
        sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(&row.id)
            .bind(&row.case_id)
            .bind(row.kind)
            .bind(row.given_at)
            .bind(row.cost_fen)
            .bind(&row.description)
            .bind(&row.recorded_by_unit)
            .bind(row.recorded_at)
            .execute(conn)
            .await
            .map(|_| ())
    })
}

/// A page of the services of `case_id`, oldest first, strictly after the keyset position
/// `after` (given_at, id).
pub async fn page(
    db: &Db,
    case_id: &str,
    after: (DateTime<Utc>, &str),
    limit: i64,
) -> Result<Vec<ServiceRow>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM case_services \
         WHERE case_id = $1 AND (given_at > $2 OR (given_at = $2 AND id > $3)) \
         ORDER BY given_at, id LIMIT $4"
    );
    with_db!(db, |pool| {
        sqlx::query_as::<_, ServiceRow>(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(case_id)
            .bind(after.0)
            .bind(after.1)
            .bind(limit)
            .fetch_all(pool)
            .await
    })
}

/// The case's cost totals in fen over all its services: (everything, TREATMENT).
///
/// PostgreSQL's `SUM(bigint)` is NUMERIC and SQLite's `SUM` of no rows is NULL: the cast and the
/// `COALESCE` make both a BIGINT / INTEGER that decodes as `i64`.
pub async fn totals(db: &Db, case_id: &str) -> Result<(i64, i64), sqlx::Error> {
    with_db!(db, |pool| {
        sqlx::query_as(
            "SELECT COALESCE(CAST(SUM(cost_fen) AS BIGINT), 0), \
             COALESCE(CAST(SUM(CASE WHEN kind = $2 THEN cost_fen ELSE 0 END) AS BIGINT), 0) \
             FROM case_services WHERE case_id = $1",
        )
        .bind(case_id)
        .bind(pb::ServiceKind::Treatment as i32)
        .fetch_one(pool)
        .await
    })
}
