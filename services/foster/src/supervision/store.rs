//! The tables of supervision (migration 1003): `visits` and `reports`. One SQL text per query
//! for both backends; reads take a pool or the caller's transaction ([`Conn`]).

use chrono::{DateTime, Utc};
use relief_proto::foster::v1 as pb;
use relief_runtime::db::{Conn, Db, Tx};
use relief_runtime::time::timestamp;
use relief_runtime::{with_conn, with_db, with_tx};

/// A stored visit.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct VisitRow {
    pub id: String,
    pub placement_id: String,
    pub institution_id: String,
    pub station: String,
    /// The case's division.
    pub division: String,
    /// YYYY-MM, the local month of `visited_at`.
    pub month: String,
    pub visited_at: DateTime<Utc>,
    pub care_conditions: String,
    pub identity_inquiry: String,
    pub recorded_at: DateTime<Utc>,
    /// Recorded before the month's end.
    pub counted: bool,
}

impl VisitRow {
    /// The protobuf visit.
    pub fn to_proto(&self) -> pb::Visit {
        pb::Visit {
            visit_id: self.id.clone(),
            placement_id: self.placement_id.clone(),
            institution_id: self.institution_id.clone(),
            station: self.station.clone(),
            visited_at: Some(timestamp(self.visited_at)),
            month: self.month.clone(),
            care_conditions: self.care_conditions.clone(),
            identity_inquiry: self.identity_inquiry.clone(),
            recorded_at: Some(timestamp(self.recorded_at)),
            counted: self.counted,
        }
    }
}

/// A stored monthly report.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ReportRow {
    pub id: String,
    pub placement_id: String,
    pub institution_id: String,
    pub station: String,
    /// The case's division.
    pub division: String,
    /// YYYY-MM, the month reported on.
    pub month: String,
    pub basic_condition: String,
    pub filed_at: DateTime<Utc>,
    /// 24:00 of the 5th working day of the next month.
    pub due_at: DateTime<Utc>,
    /// Filed at or after `due_at`.
    pub late: bool,
}

impl ReportRow {
    /// The protobuf report.
    pub fn to_proto(&self) -> pb::PeriodicReport {
        pb::PeriodicReport {
            report_id: self.id.clone(),
            placement_id: self.placement_id.clone(),
            institution_id: self.institution_id.clone(),
            month: self.month.clone(),
            condition: self.basic_condition.clone(),
            filed_at: Some(timestamp(self.filed_at)),
            due_at: Some(timestamp(self.due_at)),
            late: self.late,
        }
    }
}

const VISIT_COLUMNS: &str = "id, placement_id, institution_id, station, division, month, \
    visited_at, care_conditions, identity_inquiry, recorded_at, counted";

const REPORT_COLUMNS: &str = "id, placement_id, institution_id, station, division, month, \
    basic_condition, filed_at, due_at, late";

/// Inserts a visit.
pub async fn insert_visit(tx: &mut Tx, row: &VisitRow) -> Result<(), sqlx::Error> {
    let sql = format!(
        "INSERT INTO visits ({VISIT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, \
         $11)"
    );
    with_tx!(tx, |c| sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(&row.id)
        .bind(&row.placement_id)
        .bind(&row.institution_id)
        .bind(&row.station)
        .bind(&row.division)
        .bind(&row.month)
        .bind(row.visited_at)
        .bind(&row.care_conditions)
        .bind(&row.identity_inquiry)
        .bind(row.recorded_at)
        .bind(row.counted)
        .execute(c)
        .await
        .map(|_| ()))
}

/// Whether placement `placement_id` has a visit in `month` recorded before `before` (the month's
/// end: a visit that counts).
pub async fn visit_recorded_before(
    tx: &mut Tx,
    placement_id: &str,
    month: &str,
    before: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let count = with_tx!(tx, |c| {
        sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM visits WHERE placement_id = $1 AND month = $2 AND recorded_at < $3"
    )
    .bind(placement_id)
    .bind(month)
    .bind(before)
    .fetch_one(c)
    .await
    })?;
    Ok(count > 0)
}

/// Inserts a report (the unique (placement, month) refuses a second one).
pub async fn insert_report(tx: &mut Tx, row: &ReportRow) -> Result<(), sqlx::Error> {
    let sql = format!(
        "INSERT INTO reports ({REPORT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
    );
    with_tx!(tx, |c| sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(&row.id)
        .bind(&row.placement_id)
        .bind(&row.institution_id)
        .bind(&row.station)
        .bind(&row.division)
        .bind(&row.month)
        .bind(&row.basic_condition)
        .bind(row.filed_at)
        .bind(row.due_at)
        .bind(row.late)
        .execute(c)
        .await
        .map(|_| ()))
}

/// The report of placement `placement_id` for `month`, if filed.
pub async fn report_of(
    conn: Conn<'_>,
    placement_id: &str,
    month: &str,
) -> Result<Option<ReportRow>, sqlx::Error> {
    let sql =
        format!("SELECT {REPORT_COLUMNS} FROM reports WHERE placement_id = $1 AND month = $2");
    with_conn!(conn, |c| sqlx::query_as::<_, ReportRow>(
        sqlx::AssertSqlSafe(sql.as_str())
    )
    .bind(placement_id)
    .bind(month)
    .fetch_optional(c)
    .await)
}

/// Which visits or reports a list returns; empty text means "no filter".
#[derive(Debug, Clone)]
pub struct ListFilter {
    /// Only this placement.
    pub placement_id: String,
    /// Only this month (YYYY-MM).
    pub month: String,
    /// Only this sending station (a station caller).
    pub station: String,
    /// Only this institution (a foster caller).
    pub institution_id: String,
    /// Only case divisions matching this `LIKE` pattern; `%` for all.
    pub division_pattern: String,
}

impl Default for ListFilter {
    fn default() -> Self {
        ListFilter {
            placement_id: String::new(),
            month: String::new(),
            station: String::new(),
            institution_id: String::new(),
            division_pattern: "%".to_owned(),
        }
    }
}

const FILTER: &str = "($1 = '' OR placement_id = $1) AND ($2 = '' OR month = $2) \
    AND ($3 = '' OR station = $3) AND ($4 = '' OR institution_id = $4) AND division LIKE $5";

/// A page of visits, latest visit first, strictly after the keyset position `after`
/// (`visited_at`, id).
pub async fn list_visits(
    db: &Db,
    filter: &ListFilter,
    after: (DateTime<Utc>, &str),
    limit: i64,
) -> Result<Vec<VisitRow>, sqlx::Error> {
    let sql = format!(
        "SELECT {VISIT_COLUMNS} FROM visits WHERE {FILTER} \
         AND (visited_at < $6 OR (visited_at = $6 AND id < $7)) \
         ORDER BY visited_at DESC, id DESC LIMIT $8"
    );
    with_db!(db, |pool| sqlx::query_as::<_, VisitRow>(
        sqlx::AssertSqlSafe(sql.as_str())
    )
    .bind(&filter.placement_id)
    .bind(&filter.month)
    .bind(&filter.station)
    .bind(&filter.institution_id)
    .bind(&filter.division_pattern)
    .bind(after.0)
    .bind(after.1)
    .bind(limit)
    .fetch_all(pool)
    .await)
}

/// A page of reports, latest month first (the due instant grows with the month), strictly after
/// the keyset position `after` (`due_at`, id).
pub async fn list_reports(
    db: &Db,
    filter: &ListFilter,
    after: (DateTime<Utc>, &str),
    limit: i64,
) -> Result<Vec<ReportRow>, sqlx::Error> {
    let sql = format!(
        "SELECT {REPORT_COLUMNS} FROM reports WHERE {FILTER} \
         AND (due_at < $6 OR (due_at = $6 AND id < $7)) \
         ORDER BY due_at DESC, id DESC LIMIT $8"
    );
    with_db!(db, |pool| sqlx::query_as::<_, ReportRow>(
        sqlx::AssertSqlSafe(sql.as_str())
    )
    .bind(&filter.placement_id)
    .bind(&filter.month)
    .bind(&filter.station)
    .bind(&filter.institution_id)
    .bind(&filter.division_pattern)
    .bind(after.0)
    .bind(after.1)
    .bind(limit)
    .fetch_all(pool)
    .await)
}
