//! The table of household restorations (migrations 1020, 1021): `household_restorations`. One
//! SQL text per query for both backends.

use chrono::{DateTime, Utc};
use relief_proto::identity::v1 as pb;
use relief_runtime::db::{Conn, Db, Tx};
use relief_runtime::time::{timestamp, timestamp_opt};
use relief_runtime::{with_conn, with_db, with_tx};

/// `household_restorations.status`: relief.identity.v1.RestorationStatus numbers.
pub mod status {
    /// Requested, not done.
    pub const REQUESTED: i32 = 1;
    /// The registration was restored.
    pub const RESTORED: i32 = 2;
}

/// A stored restoration (no personal data: ids, units, divisions, times, the station's note).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct RestorationRow {
    pub id: String,
    pub case_id: String,
    pub station: String,
    pub division: String,
    pub police_unit: String,
    pub requested_at: DateTime<Utc>,
    pub note: String,
    pub status: i32,
    pub restored_at: Option<DateTime<Utc>>,
    pub restored_division: Option<String>,
    /// One warning per line.
    pub warnings: String,
}

impl RestorationRow {
    /// The protobuf restoration.
    pub fn to_proto(&self) -> pb::HouseholdRestoration {
        pb::HouseholdRestoration {
            restoration_id: self.id.clone(),
            case_id: self.case_id.clone(),
            station: self.station.clone(),
            division: self.division.clone(),
            police_unit: self.police_unit.clone(),
            requested_at: Some(timestamp(self.requested_at)),
            note: self.note.clone(),
            status: self.status,
            restored_at: timestamp_opt(self.restored_at),
            restored_division: self.restored_division.clone().unwrap_or_default(),
            warnings: self
                .warnings
                .split('\n')
                .filter(|line| !line.is_empty())
                .map(str::to_owned)
                .collect(),
        }
    }
}

/// Every column, in [`RestorationRow`] order.
const COLUMNS: &str = "id, case_id, station, division, police_unit, requested_at, note, status, \
    restored_at, restored_division, warnings";

/// Inserts a new (REQUESTED) restoration. A second open request of the case violates the
/// partial unique index `restoration_one_open_per_case`.
pub async fn insert(tx: &mut Tx, row: &RestorationRow) -> Result<(), sqlx::Error> {
    let sql = format!(
        "INSERT INTO household_restorations ({COLUMNS}) VALUES \
         ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
    );
    with_tx!(tx, |c| sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(&row.id)
        .bind(&row.case_id)
        .bind(&row.station)
        .bind(&row.division)
        .bind(&row.police_unit)
        .bind(row.requested_at)
        .bind(&row.note)
        .bind(row.status)
        .bind(row.restored_at)
        .bind(&row.restored_division)
        .bind(&row.warnings)
        .execute(c)
        .await
        .map(|_| ()))
}

/// The restoration `id`.
pub async fn fetch(conn: Conn<'_>, id: &str) -> Result<Option<RestorationRow>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM household_restorations WHERE id = $1");
    with_conn!(conn, |c| sqlx::query_as::<_, RestorationRow>(
        sqlx::AssertSqlSafe(sql.as_str())
    )
    .bind(id)
    .fetch_optional(c)
    .await)
}

/// Whether case `case_id` has an open (REQUESTED) restoration.
pub async fn open_for_case(tx: &mut Tx, case_id: &str) -> Result<bool, sqlx::Error> {
    let count: i64 = with_tx!(tx, |c| sqlx::query_scalar(
        "SELECT COUNT(*) FROM household_restorations WHERE case_id = $1 AND status = 1"
    )
    .bind(case_id)
    .fetch_one(c)
    .await)?;
    Ok(count > 0)
}

/// Records restoration `id` as done in `division` at `at` if it is still REQUESTED; false
/// otherwise (PostgreSQL re-checks the condition after a concurrent completion commits).
pub async fn complete(
    tx: &mut Tx,
    id: &str,
    division: &str,
    at: DateTime<Utc>,
    warnings: &str,
) -> Result<bool, sqlx::Error> {
    let updated = with_tx!(tx, |c| sqlx::query(
        "UPDATE household_restorations SET status = $5, restored_division = $2, \
         restored_at = $3, warnings = $4 WHERE id = $1 AND status = $6"
    )
    .bind(id)
    .bind(division)
    .bind(at)
    .bind(warnings)
    .bind(status::RESTORED)
    .bind(status::REQUESTED)
    .execute(c)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(updated == 1)
}

/// Which restorations a list returns; an empty text means "no filter".
#[derive(Debug, Clone)]
pub struct ListFilter {
    /// Only the requests of this station unit.
    pub station: String,
    /// Only the requests addressed to this police unit.
    pub police_unit: String,
    /// Only divisions matching this `LIKE` pattern (`2111%`); `%` for all.
    pub division_pattern: String,
    /// Only this status (0: all).
    pub status: i32,
}

/// A page of restorations, newest request first, strictly after the keyset position `after`.
pub async fn list(
    db: &Db,
    filter: &ListFilter,
    after: (DateTime<Utc>, &str),
    limit: i64,
) -> Result<Vec<RestorationRow>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM household_restorations \
         WHERE ($1 = '' OR station = $1) AND ($2 = '' OR police_unit = $2) \
         AND division LIKE $3 AND ($4 = 0 OR status = $4) \
         AND (requested_at < $5 OR (requested_at = $5 AND id < $6)) \
         ORDER BY requested_at DESC, id DESC LIMIT $7"
    );
    with_db!(db, |pool| sqlx::query_as::<_, RestorationRow>(
        sqlx::AssertSqlSafe(sql.as_str())
    )
    .bind(&filter.station)
    .bind(&filter.police_unit)
    .bind(&filter.division_pattern)
    .bind(filter.status)
    .bind(after.0)
    .bind(after.1)
    .bind(limit)
    .fetch_all(pool)
    .await)
}
