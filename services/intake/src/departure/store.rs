//! The tables of departures (migration 1020): `departures`, `follow_ups`, and the departure
//! columns of `cases`. One SQL text per query for both backends; every write takes the caller's
//! transaction.

use chrono::{DateTime, Utc};
use relief_runtime::db::{Db, Tx};
use relief_runtime::{with_db, with_tx};

/// How a case closed.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DepartureRow {
    pub case_id: String,
    pub kind: i32,
    pub departed_at: DateTime<Utc>,
    pub return_mode: i32,
    pub relative_id_checked: bool,
    pub destination_division: Option<String>,
    pub transfer_to_station: Option<String>,
    pub guardian_present: bool,
    pub escorted: bool,
    pub notes: String,
    pub recorded_by: String,
    pub recorded_at: DateTime<Utc>,
}

/// The follow-up of a return home.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FollowUpRow {
    pub id: String,
    pub case_id: String,
    pub division: String,
    pub bureau_division: String,
    pub due_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub recorded_at: Option<DateTime<Utc>>,
    pub recorded_by: Option<String>,
    pub situation: Option<String>,
    /// `SupportKind` numbers, comma-separated.
    pub support: String,
    pub guardians_reminded: bool,
    pub guardian_abuse_found: bool,
    pub on_time: bool,
}

const FOLLOW_UP_COLUMNS: &str = "id, case_id, division, bureau_division, due_at, created_at, \
    recorded_at, recorded_by, situation, support, guardians_reminded, guardian_abuse_found, on_time";

/// Closes the case `id` if it is still `open_status`, with its warnings now `warnings` and no
/// current placement (migration 1060); returns whether it did (false: someone else changed it
/// first).
pub async fn close_case(
    tx: &mut Tx,
    id: &str,
    open_status: i32,
    closed_status: i32,
    warnings: &str,
) -> Result<bool, sqlx::Error> {
    let done = with_tx!(tx, |conn| {
        sqlx::query(
            "UPDATE cases SET status = $3, warnings = $4, placement_id = NULL, \
             institution_id = NULL, institution_division = NULL, proposed_placement_id = NULL \
             WHERE id = $1 AND status = $2",
        )
        .bind(id)
        .bind(open_status)
        .bind(closed_status)
        .bind(warnings)
        .execute(conn)
        .await
        .map(|done| done.rows_affected())
    })?;
    Ok(done == 1)
}

/// Inserts the departure of a closed case.
pub async fn insert_departure(tx: &mut Tx, row: &DepartureRow) -> Result<(), sqlx::Error> {
    with_tx!(tx, |conn| {
        sqlx::query(
            "INSERT INTO departures (case_id, kind, departed_at, return_mode, \
             relative_id_checked, destination_division, transfer_to_station, guardian_present, \
             escorted, notes, recorded_by, recorded_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(&row.case_id)
        .bind(row.kind)
        .bind(row.departed_at)
        .bind(row.return_mode)
        .bind(row.relative_id_checked)
        .bind(&row.destination_division)
        .bind(&row.transfer_to_station)
        .bind(row.guardian_present)
        .bind(row.escorted)
        .bind(&row.notes)
        .bind(&row.recorded_by)
        .bind(row.recorded_at)
        .execute(conn)
        .await
        .map(|_| ())
    })
}

/// The case's status and, if it closed, its departure kind and receiving station: what a
/// TRANSFER admission checks.
pub async fn transfer_source(
    tx: &mut Tx,
    case_id: &str,
) -> Result<Option<(i32, Option<i32>, Option<String>)>, sqlx::Error> {
    with_tx!(tx, |conn| {
        sqlx::query_as(
            "SELECT c.status, d.kind, d.transfer_to_station FROM cases c \
             LEFT JOIN departures d ON d.case_id = c.id WHERE c.id = $1",
        )
        .bind(case_id)
        .fetch_optional(conn)
        .await
    })
}

/// Whether an admission already continues the case `case_id`.
pub async fn is_continued(tx: &mut Tx, case_id: &str) -> Result<bool, sqlx::Error> {
    let found: Option<String> = with_tx!(tx, |conn| {
        sqlx::query_scalar("SELECT id FROM cases WHERE transferred_from_case_id = $1")
            .bind(case_id)
            .fetch_optional(conn)
            .await
    })?;
    Ok(found.is_some())
}

/// The case the case `case_id` continues, if it was admitted on a transfer.
pub async fn transferred_from(tx: &mut Tx, case_id: &str) -> Result<Option<String>, sqlx::Error> {
    let found: Option<Option<String>> = with_tx!(tx, |conn| {
        sqlx::query_scalar("SELECT transferred_from_case_id FROM cases WHERE id = $1")
            .bind(case_id)
            .fetch_optional(conn)
            .await
    })?;
    Ok(found.flatten())
}

/// Inserts a new follow-up.
pub async fn insert_follow_up(tx: &mut Tx, row: &FollowUpRow) -> Result<(), sqlx::Error> {
    let sql = format!(
        "INSERT INTO follow_ups ({FOLLOW_UP_COLUMNS}) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
    );
    with_tx!(tx, |conn| {
        sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(&row.id)
            .bind(&row.case_id)
            .bind(&row.division)
            .bind(&row.bureau_division)
            .bind(row.due_at)
            .bind(row.created_at)
            .bind(row.recorded_at)
            .bind(&row.recorded_by)
            .bind(&row.situation)
            .bind(&row.support)
            .bind(row.guardians_reminded)
            .bind(row.guardian_abuse_found)
            .bind(row.on_time)
            .execute(conn)
            .await
            .map(|_| ())
    })
}

/// The follow-up `id`, if it exists (whoever may see it).
pub async fn fetch_follow_up(tx: &mut Tx, id: &str) -> Result<Option<FollowUpRow>, sqlx::Error> {
    let sql = format!("SELECT {FOLLOW_UP_COLUMNS} FROM follow_ups WHERE id = $1");
    with_tx!(tx, |conn| {
        sqlx::query_as::<_, FollowUpRow>(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(id)
            .fetch_optional(conn)
            .await
    })
}

/// What a follow-up records.
#[derive(Debug, Clone)]
pub struct Record<'a> {
    pub recorded_at: DateTime<Utc>,
    pub recorded_by: &'a str,
    pub situation: &'a str,
    pub support: &'a str,
    pub guardians_reminded: bool,
    pub guardian_abuse_found: bool,
    pub on_time: bool,
}

/// Records the follow-up `id` if it is not recorded yet; returns whether it did.
pub async fn record_follow_up(
    tx: &mut Tx,
    id: &str,
    record: &Record<'_>,
) -> Result<bool, sqlx::Error> {
    let done = with_tx!(tx, |conn| {
        sqlx::query(
            "UPDATE follow_ups SET recorded_at = $2, recorded_by = $3, situation = $4, \
             support = $5, guardians_reminded = $6, guardian_abuse_found = $7, on_time = $8 \
             WHERE id = $1 AND recorded_at IS NULL",
        )
        .bind(id)
        .bind(record.recorded_at)
        .bind(record.recorded_by)
        .bind(record.situation)
        .bind(record.support)
        .bind(record.guardians_reminded)
        .bind(record.guardian_abuse_found)
        .bind(record.on_time)
        .execute(conn)
        .await
        .map(|done| done.rows_affected())
    })?;
    Ok(done == 1)
}

/// A page of follow-ups whose bureau division matches the `LIKE` pattern, earliest due first,
/// strictly after the keyset position `after`; `pending_only` keeps those not yet recorded.
pub async fn list_follow_ups(
    db: &Db,
    bureau_pattern: &str,
    pending_only: bool,
    after: (DateTime<Utc>, &str),
    limit: i64,
) -> Result<Vec<FollowUpRow>, sqlx::Error> {
    let sql = format!(
        "SELECT {FOLLOW_UP_COLUMNS} FROM follow_ups \
         WHERE bureau_division LIKE $1 AND (NOT $2 OR recorded_at IS NULL) \
         AND (due_at > $3 OR (due_at = $3 AND id > $4)) \
         ORDER BY due_at, id LIMIT $5"
    );
    with_db!(db, |pool| {
        sqlx::query_as::<_, FollowUpRow>(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(bureau_pattern)
            .bind(pending_only)
            .bind(after.0)
            .bind(after.1)
            .bind(limit)
            .fetch_all(pool)
            .await
    })
}
