//! The tables of foster care as intake sees it (migration 1060): `case_placements` (every
//! placement of a case intake learnt of, with its end) and the current placement's columns of
//! `cases`. One SQL text per query for both backends; every function takes the consumer's
//! transaction.

use chrono::{DateTime, Utc};
use relief_proto::intake::v1 as pb;
use relief_runtime::db::Tx;
use relief_runtime::with_tx;

/// A placement of a case, as intake knows it.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct PlacementRecord {
    pub placement_id: String,
    pub case_id: String,
    pub institution_id: String,
    /// '' until the placement's ResidentPlaced (a move learnt from PlacementEnded first).
    pub institution_division: String,
    pub placed_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    /// relief.foster.v1.PlacementEndKind.
    pub end_kind: Option<i32>,
}

const COLUMNS: &str =
    "placement_id, case_id, institution_id, institution_division, placed_at, ended_at, end_kind";

/// The placement `placement_id`, if intake learnt of it.
pub async fn fetch(
    tx: &mut Tx,
    placement_id: &str,
) -> Result<Option<PlacementRecord>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM case_placements WHERE placement_id = $1");
    with_tx!(tx, |conn| {
        sqlx::query_as::<_, PlacementRecord>(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(placement_id)
            .fetch_optional(conn)
            .await
    })
}

/// Records the placement `record` (its end left as stored). A placement already recorded takes
/// the institution, its division (if `record` knows it) and the placement instant of `record`:
/// ResidentPlaced completes what a move's PlacementEnded told first.
pub async fn record(tx: &mut Tx, record: &PlacementRecord) -> Result<(), sqlx::Error> {
    let sql = format!(
        "INSERT INTO case_placements ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, NULL, NULL) \
         ON CONFLICT (placement_id) DO UPDATE SET institution_id = excluded.institution_id, \
         institution_division = CASE WHEN excluded.institution_division = '' \
         THEN case_placements.institution_division ELSE excluded.institution_division END, \
         placed_at = excluded.placed_at"
    );
    with_tx!(tx, |conn| {
        sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(&record.placement_id)
            .bind(&record.case_id)
            .bind(&record.institution_id)
            .bind(&record.institution_division)
            .bind(record.placed_at)
            .execute(conn)
            .await
            .map(|_| ())
    })
}

/// Records that placement `placement_id` ended at `ended_at` with `end_kind` (the first end
/// counts).
pub async fn end(
    tx: &mut Tx,
    placement_id: &str,
    ended_at: DateTime<Utc>,
    end_kind: i32,
) -> Result<(), sqlx::Error> {
    with_tx!(tx, |conn| {
        sqlx::query(
            "UPDATE case_placements SET ended_at = $2, end_kind = $3 \
             WHERE placement_id = $1 AND ended_at IS NULL",
        )
        .bind(placement_id)
        .bind(ended_at)
        .bind(end_kind)
        .execute(conn)
        .await
        .map(|_| ())
    })
}

/// Whether the person of case `case_id` was in foster care at `instant`: a placement placed at
/// or before it and not ended at or before it.
pub async fn in_care_at(
    tx: &mut Tx,
    case_id: &str,
    instant: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let found: Option<String> = with_tx!(tx, |conn| {
        sqlx::query_scalar(
            "SELECT placement_id FROM case_placements WHERE case_id = $1 AND placed_at <= $2 \
             AND (ended_at IS NULL OR ended_at > $2) LIMIT 1",
        )
        .bind(case_id)
        .bind(instant)
        .fetch_optional(conn)
        .await
    })?;
    Ok(found.is_some())
}

/// Where a case in foster care is: its placement and institution.
#[derive(Debug, Clone, PartialEq)]
pub struct Placed<'a> {
    pub placement_id: &'a str,
    pub institution_id: &'a str,
    /// NULL while unknown (a move before its ResidentPlaced).
    pub institution_division: Option<&'a str>,
}

/// Puts case `case_id`, now `from_status` under `from_placement` (None: no placement), in foster
/// care under `placed`, or (`placed` None) back in the station without a placement. Returns
/// whether it did (false: the case is not as expected).
pub async fn set_placement(
    tx: &mut Tx,
    case_id: &str,
    (from_status, from_placement): (pb::CaseStatus, Option<&str>),
    placed: Option<&Placed<'_>>,
) -> Result<bool, sqlx::Error> {
    let to_status = if placed.is_some() {
        pb::CaseStatus::InFosterCare
    } else {
        pb::CaseStatus::InStation
    };
    let done = with_tx!(tx, |conn| {
        sqlx::query(
            "UPDATE cases SET status = $4, placement_id = $5, institution_id = $6, \
             institution_division = $7, proposed_placement_id = NULL \
             WHERE id = $1 AND status = $2 AND COALESCE(placement_id, '') = $3",
        )
        .bind(case_id)
        .bind(from_status as i32)
        .bind(from_placement.unwrap_or_default())
        .bind(to_status as i32)
        .bind(placed.map(|p| p.placement_id))
        .bind(placed.map(|p| p.institution_id))
        .bind(placed.and_then(|p| p.institution_division))
        .execute(conn)
        .await
        .map(|done| done.rows_affected())
    })?;
    Ok(done == 1)
}

/// Records `placement_id` as the proposed placement of case `case_id` if the case is in the
/// station (`propose` true), or clears it if it is that one (`propose` false). Returns nothing:
/// a case not in the station, or with another proposal, is left as it is.
pub async fn set_proposed(
    tx: &mut Tx,
    case_id: &str,
    placement_id: &str,
    propose: bool,
) -> Result<(), sqlx::Error> {
    let sql = if propose {
        "UPDATE cases SET proposed_placement_id = $2 WHERE id = $1 AND status = $3"
    } else {
        "UPDATE cases SET proposed_placement_id = NULL \
         WHERE id = $1 AND proposed_placement_id = $2 AND status = $3"
    };
    with_tx!(tx, |conn| {
        sqlx::query(sql)
            .bind(case_id)
            .bind(placement_id)
            .bind(pb::CaseStatus::InStation as i32)
            .execute(conn)
            .await
            .map(|_| ())
    })
}
