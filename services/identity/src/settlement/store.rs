//! The table of settlement applications (migration 1020): `settlement_applications`. One SQL
//! text per query for both backends; reads take a pool or the caller's transaction ([`Conn`]).

use chrono::{DateTime, Utc};
use relief_proto::identity::v1 as pb;
use relief_runtime::db::{Conn, Db, Tx};
use relief_runtime::time::{timestamp, timestamp_opt};
use relief_runtime::{with_conn, with_db, with_tx};

/// `settlement_applications.status`: relief.identity.v1.SettlementStatus numbers.
pub mod status {
    /// Filed, not decided.
    pub const FILED: i32 = 1;
    /// Approved.
    pub const APPROVED: i32 = 2;
    /// Rejected: a new application may be filed.
    pub const REJECTED: i32 = 3;
}

/// A stored application. It holds no personal data (the note is the station's account without
/// any, by contract), so `Debug` may print it.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ApplicationRow {
    pub id: String,
    pub file_id: String,
    pub case_id: String,
    pub station: String,
    pub division: String,
    /// Unit ids, comma-separated.
    pub addressed_to: String,
    pub filed_at: DateTime<Utc>,
    pub note: String,
    pub status: i32,
    pub decided_at: Option<DateTime<Utc>>,
    pub decided_by: Option<String>,
    pub collective_household: Option<String>,
    pub state_support: Option<bool>,
    pub central_care_institution: Option<String>,
    pub reason: Option<String>,
}

impl ApplicationRow {
    /// The protobuf application.
    pub fn to_proto(&self) -> pb::SettlementApplication {
        pb::SettlementApplication {
            application_id: self.id.clone(),
            file_id: self.file_id.clone(),
            case_id: self.case_id.clone(),
            station: self.station.clone(),
            division: self.division.clone(),
            addressed_to: self
                .addressed_to
                .split(',')
                .filter(|unit| !unit.is_empty())
                .map(str::to_owned)
                .collect(),
            filed_at: Some(timestamp(self.filed_at)),
            note: self.note.clone(),
            status: self.status,
            decided_at: timestamp_opt(self.decided_at),
            decided_by: self.decided_by.clone().unwrap_or_default(),
            collective_household: self.collective_household.clone().unwrap_or_default(),
            state_support: self.state_support.unwrap_or(false),
            central_care_institution: self.central_care_institution.clone().unwrap_or_default(),
            reason: self.reason.clone().unwrap_or_default(),
        }
    }
}

/// Every column, in [`ApplicationRow`] order.
const COLUMNS: &str = "id, file_id, case_id, station, division, addressed_to, filed_at, note, \
    status, decided_at, decided_by, collective_household, state_support, \
    central_care_institution, reason";

/// Inserts a new (FILED) application. A second live application of the file violates the
/// partial unique index `settlement_one_per_file` (see [`is_unique_violation`]).
pub async fn insert(tx: &mut Tx, row: &ApplicationRow) -> Result<(), sqlx::Error> {
    let sql = format!(
        "INSERT INTO settlement_applications ({COLUMNS}) VALUES \
         ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
    );
    with_tx!(tx, |c| sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(&row.id)
        .bind(&row.file_id)
        .bind(&row.case_id)
        .bind(&row.station)
        .bind(&row.division)
        .bind(&row.addressed_to)
        .bind(row.filed_at)
        .bind(&row.note)
        .bind(row.status)
        .bind(row.decided_at)
        .bind(&row.decided_by)
        .bind(&row.collective_household)
        .bind(row.state_support)
        .bind(&row.central_care_institution)
        .bind(&row.reason)
        .execute(c)
        .await
        .map(|_| ()))
}

/// Whether `error` is a unique-index violation (a concurrent second application of a file).
pub fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db) if db.is_unique_violation())
}

/// The application `id`.
pub async fn fetch(conn: Conn<'_>, id: &str) -> Result<Option<ApplicationRow>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM settlement_applications WHERE id = $1");
    with_conn!(conn, |c| sqlx::query_as::<_, ApplicationRow>(
        sqlx::AssertSqlSafe(sql.as_str())
    )
    .bind(id)
    .fetch_optional(c)
    .await)
}

/// The id of file `file_id`'s application that is filed or approved (一人一函), if any.
pub async fn live_for_file(tx: &mut Tx, file_id: &str) -> Result<Option<String>, sqlx::Error> {
    with_tx!(tx, |c| sqlx::query_scalar(
        "SELECT id FROM settlement_applications WHERE file_id = $1 AND status <> 3"
    )
    .bind(file_id)
    .fetch_optional(c)
    .await)
}

/// File `file_id`'s approved application, if any (at most one: an approved application is
/// live, and a file has one live application).
pub async fn approved_for_file(
    tx: &mut Tx,
    file_id: &str,
) -> Result<Option<ApplicationRow>, sqlx::Error> {
    let sql =
        format!("SELECT {COLUMNS} FROM settlement_applications WHERE file_id = $1 AND status = $2");
    with_tx!(tx, |c| sqlx::query_as::<_, ApplicationRow>(
        sqlx::AssertSqlSafe(sql.as_str())
    )
    .bind(file_id)
    .bind(status::APPROVED)
    .fetch_optional(c)
    .await)
}

/// A decision to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionRow {
    /// APPROVED or REJECTED.
    pub status: i32,
    pub decided_at: DateTime<Utc>,
    pub decided_by: String,
    pub collective_household: Option<String>,
    pub state_support: Option<bool>,
    pub central_care_institution: Option<String>,
    pub reason: Option<String>,
}

/// Records `decision` on application `id` if it is still FILED; false otherwise (decided by a
/// concurrent call: PostgreSQL re-checks the condition after the other commits).
pub async fn decide(tx: &mut Tx, id: &str, decision: &DecisionRow) -> Result<bool, sqlx::Error> {
    let updated = with_tx!(tx, |c| sqlx::query(
        "UPDATE settlement_applications SET status = $2, decided_at = $3, decided_by = $4, \
         collective_household = $5, state_support = $6, central_care_institution = $7, \
         reason = $8 WHERE id = $1 AND status = 1"
    )
    .bind(id)
    .bind(decision.status)
    .bind(decision.decided_at)
    .bind(&decision.decided_by)
    .bind(&decision.collective_household)
    .bind(decision.state_support)
    .bind(&decision.central_care_institution)
    .bind(&decision.reason)
    .execute(c)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(updated == 1)
}

/// Which applications a list returns; an empty text means "no filter".
#[derive(Debug, Clone)]
pub struct ListFilter {
    /// Only the applications of this station unit.
    pub station: String,
    /// Only this division.
    pub division: String,
    /// Only divisions matching this `LIKE` pattern (`2111%`); `%` for all.
    pub division_pattern: String,
    /// Only this status (0: all).
    pub status: i32,
}

/// A page of applications, newest filing first, strictly after the keyset position `after`.
pub async fn list(
    db: &Db,
    filter: &ListFilter,
    after: (DateTime<Utc>, &str),
    limit: i64,
) -> Result<Vec<ApplicationRow>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM settlement_applications \
         WHERE ($1 = '' OR station = $1) AND ($2 = '' OR division = $2) AND division LIKE $3 \
         AND ($4 = 0 OR status = $4) \
         AND (filed_at < $5 OR (filed_at = $5 AND id < $6)) \
         ORDER BY filed_at DESC, id DESC LIMIT $7"
    );
    with_db!(db, |pool| sqlx::query_as::<_, ApplicationRow>(
        sqlx::AssertSqlSafe(sql.as_str())
    )
    .bind(&filter.station)
    .bind(&filter.division)
    .bind(&filter.division_pattern)
    .bind(filter.status)
    .bind(after.0)
    .bind(after.1)
    .bind(limit)
    .fetch_all(pool)
    .await)
}
