//! The table of placements (migration 1001): `placements`. One SQL text per query for both
//! backends; reads take a pool or the caller's transaction ([`Conn`]). Every other part of the
//! service (fees, visits, reports, incidents) reads placements through here.

use chrono::{DateTime, Utc};
use relief_proto::foster::v1 as pb;
use relief_runtime::db::{Conn, Tx};
use relief_runtime::time::{timestamp, timestamp_opt};
use relief_runtime::{with_conn, with_tx};

/// `placements.status`: relief.foster.v1.PlacementStatus numbers.
pub mod status {
    use relief_proto::foster::v1::PlacementStatus;

    /// Proposed by the station.
    pub const PROPOSED: i32 = PlacementStatus::Proposed as i32;
    /// Declined by civil affairs.
    pub const DECLINED: i32 = PlacementStatus::Declined as i32;
    /// The resident is in the institution.
    pub const ACTIVE: i32 = PlacementStatus::Active as i32;
    /// Ended.
    pub const ENDED: i32 = PlacementStatus::Ended as i32;
    /// Withdrawn before a decision.
    pub const WITHDRAWN: i32 = PlacementStatus::Withdrawn as i32;
}

/// A stored placement (no personal data).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct PlacementRow {
    pub id: String,
    pub case_id: String,
    pub case_number: String,
    /// The sending station (the case's).
    pub station: String,
    /// The case's division.
    pub division: String,
    pub status: i32,
    pub reason: i32,
    pub reason_details: String,
    pub self_care: i32,
    pub age_group: i32,
    pub special_group: bool,
    pub institution_id: Option<String>,
    pub institution_division: Option<String>,
    /// The agreement version in force when placed.
    pub agreement_id: Option<String>,
    pub justification: Option<String>,
    pub proposed_by: String,
    pub proposed_at: DateTime<Utc>,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decline_reason: Option<String>,
    pub placed_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    pub end_kind: Option<i32>,
    pub destination_division: Option<String>,
    pub end_notes: Option<String>,
    pub next_placement_id: Option<String>,
    pub previous_placement_id: Option<String>,
    pub identity_confirmed_at: Option<DateTime<Utc>>,
}

impl PlacementRow {
    /// The institution, empty before approval.
    pub fn institution(&self) -> &str {
        self.institution_id.as_deref().unwrap_or_default()
    }

    /// Whether the resident is in the institution now.
    pub fn is_active(&self) -> bool {
        self.status == status::ACTIVE
    }

    /// Whether the resident was in the institution at `instant`: placed at or before it and
    /// not ended at or before it.
    pub fn in_care_at(&self, instant: DateTime<Utc>) -> bool {
        self.placed_at.is_some_and(|placed| placed <= instant)
            && self.ended_at.is_none_or(|ended| instant < ended)
    }

    /// The protobuf placement.
    pub fn to_proto(&self) -> pb::Placement {
        pb::Placement {
            placement_id: self.id.clone(),
            case_id: self.case_id.clone(),
            case_number: self.case_number.clone(),
            station: self.station.clone(),
            division: self.division.clone(),
            status: self.status,
            reason: self.reason,
            reason_details: self.reason_details.clone(),
            self_care: self.self_care,
            age_group: self.age_group,
            special_group: self.special_group,
            institution_id: self.institution_id.clone().unwrap_or_default(),
            justification: self.justification.clone().unwrap_or_default(),
            proposed_by: self.proposed_by.clone(),
            proposed_at: Some(timestamp(self.proposed_at)),
            decided_by: self.decided_by.clone().unwrap_or_default(),
            decided_at: timestamp_opt(self.decided_at),
            decline_reason: self.decline_reason.clone().unwrap_or_default(),
            placed_at: timestamp_opt(self.placed_at),
            ended_at: timestamp_opt(self.ended_at),
            end_kind: self.end_kind.unwrap_or_default(),
            destination_division: self.destination_division.clone().unwrap_or_default(),
            end_notes: self.end_notes.clone().unwrap_or_default(),
            next_placement_id: self.next_placement_id.clone().unwrap_or_default(),
            previous_placement_id: self.previous_placement_id.clone().unwrap_or_default(),
            identity_confirmed_at: timestamp_opt(self.identity_confirmed_at),
            agreement_id: self.agreement_id.clone().unwrap_or_default(),
        }
    }
}

/// Every column, in [`PlacementRow`] order.
pub const COLUMNS: &str = "id, case_id, case_number, station, division, status, reason, \
    reason_details, self_care, age_group, special_group, institution_id, institution_division, \
    agreement_id, justification, proposed_by, proposed_at, decided_by, decided_at, \
    decline_reason, placed_at, ended_at, end_kind, destination_division, end_notes, \
    next_placement_id, previous_placement_id, identity_confirmed_at";

/// Inserts a new placement (every column).
pub async fn insert(tx: &mut Tx, row: &PlacementRow) -> Result<(), sqlx::Error> {
    let sql = format!(
        "INSERT INTO placements ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, \
         $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, \
         $28)"
    );
    with_tx!(tx, |c| sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(&row.id)
        .bind(&row.case_id)
        .bind(&row.case_number)
        .bind(&row.station)
        .bind(&row.division)
        .bind(row.status)
        .bind(row.reason)
        .bind(&row.reason_details)
        .bind(row.self_care)
        .bind(row.age_group)
        .bind(row.special_group)
        .bind(&row.institution_id)
        .bind(&row.institution_division)
        .bind(&row.agreement_id)
        .bind(&row.justification)
        .bind(&row.proposed_by)
        .bind(row.proposed_at)
        .bind(&row.decided_by)
        .bind(row.decided_at)
        .bind(&row.decline_reason)
        .bind(row.placed_at)
        .bind(row.ended_at)
        .bind(row.end_kind)
        .bind(&row.destination_division)
        .bind(&row.end_notes)
        .bind(&row.next_placement_id)
        .bind(&row.previous_placement_id)
        .bind(row.identity_confirmed_at)
        .execute(c)
        .await
        .map(|_| ()))
}

/// Writes every mutable column of `row` back (status, decision, placement, end, links,
/// identity), by id.
pub async fn update(tx: &mut Tx, row: &PlacementRow) -> Result<(), sqlx::Error> {
    with_tx!(tx, |c| sqlx::query(
        "UPDATE placements SET status = $2, institution_id = $3, institution_division = $4, \
         agreement_id = $5, justification = $6, decided_by = $7, decided_at = $8, \
         decline_reason = $9, placed_at = $10, ended_at = $11, end_kind = $12, \
         destination_division = $13, end_notes = $14, next_placement_id = $15, \
         previous_placement_id = $16, identity_confirmed_at = $17 WHERE id = $1"
    )
    .bind(&row.id)
    .bind(row.status)
    .bind(&row.institution_id)
    .bind(&row.institution_division)
    .bind(&row.agreement_id)
    .bind(&row.justification)
    .bind(&row.decided_by)
    .bind(row.decided_at)
    .bind(&row.decline_reason)
    .bind(row.placed_at)
    .bind(row.ended_at)
    .bind(row.end_kind)
    .bind(&row.destination_division)
    .bind(&row.end_notes)
    .bind(&row.next_placement_id)
    .bind(&row.previous_placement_id)
    .bind(row.identity_confirmed_at)
    .execute(c)
    .await
    .map(|_| ()))
}

/// The placement `id`.
pub async fn fetch(conn: Conn<'_>, id: &str) -> Result<Option<PlacementRow>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM placements WHERE id = $1");
    with_conn!(conn, |c| sqlx::query_as::<_, PlacementRow>(
        sqlx::AssertSqlSafe(sql.as_str())
    )
    .bind(id)
    .fetch_optional(c)
    .await)
}

/// The open (proposed or active) placement of case `case_id`, if any.
pub async fn open_of_case(
    conn: Conn<'_>,
    case_id: &str,
) -> Result<Option<PlacementRow>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM placements WHERE case_id = $1 AND status IN ($2, $3)");
    with_conn!(conn, |c| sqlx::query_as::<_, PlacementRow>(
        sqlx::AssertSqlSafe(sql.as_str())
    )
    .bind(case_id)
    .bind(status::PROPOSED)
    .bind(status::ACTIVE)
    .fetch_optional(c)
    .await)
}

/// Locks placement `id` for the rest of `tx` (PostgreSQL: a no-op update takes the row lock;
/// SQLite has one writer). Call it through [`crate::placements::lock`], which takes the lock
/// order: the subject's pending deadlines first, then the placement (then its institution).
pub async fn lock(tx: &mut Tx, id: &str) -> Result<(), sqlx::Error> {
    with_tx!(tx, |c| sqlx::query(
        "UPDATE placements SET status = status WHERE id = $1"
    )
    .bind(id)
    .execute(c)
    .await
    .map(|_| ()))
}

/// How many residents institution `institution_id` holds now (active placements).
pub async fn active_in_institution(
    conn: Conn<'_>,
    institution_id: &str,
) -> Result<i64, sqlx::Error> {
    with_conn!(conn, |c| sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM placements WHERE institution_id = $1 AND status = $2"
    )
    .bind(institution_id)
    .bind(status::ACTIVE)
    .fetch_one(c)
    .await)
}

/// How many residents station `station` has in institution `institution_id` now.
pub async fn active_from_station(
    conn: Conn<'_>,
    station: &str,
    institution_id: &str,
) -> Result<i64, sqlx::Error> {
    with_conn!(conn, |c| sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM placements WHERE station = $1 AND institution_id = $2 \
         AND status = $3"
    )
    .bind(station)
    .bind(institution_id)
    .bind(status::ACTIVE)
    .fetch_one(c)
    .await)
}

/// Which placements a list returns; empty text and 0 mean "no filter".
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// Only this sending station (a station caller).
    pub station: String,
    /// Only this institution.
    pub institution_id: String,
    /// Only this case.
    pub case_id: String,
    /// Only this status (0: all).
    pub status: i32,
    /// Only cases of divisions matching this `LIKE` pattern; `%` for all.
    pub division_pattern: String,
}

/// A page of placements, newest proposal first, strictly after the keyset position `after`.
pub async fn list(
    db: &relief_runtime::db::Db,
    filter: &ListFilter,
    after: (DateTime<Utc>, &str),
    limit: i64,
) -> Result<Vec<PlacementRow>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM placements \
         WHERE ($1 = '' OR station = $1) AND ($2 = '' OR institution_id = $2) \
         AND ($3 = '' OR case_id = $3) AND ($4 = 0 OR status = $4) AND division LIKE $5 \
         AND (proposed_at < $6 OR (proposed_at = $6 AND id < $7)) \
         ORDER BY proposed_at DESC, id DESC LIMIT $8"
    );
    relief_runtime::with_db!(db, |pool| sqlx::query_as::<_, PlacementRow>(
        sqlx::AssertSqlSafe(sql.as_str())
    )
    .bind(&filter.station)
    .bind(&filter.institution_id)
    .bind(&filter.case_id)
    .bind(filter.status)
    .bind(&filter.division_pattern)
    .bind(after.0)
    .bind(after.1)
    .bind(limit)
    .fetch_all(pool)
    .await)
}
