//! The monthly supervision of placements: visits, reports and fees.
//!
//! - **Visits are per resident** (`r_visits`, keyed by case and month): in the month of a move
//!   a visit to the previous placement counts for the resident (docs/architecture.md), and
//!   foster then raises no `VisitOverdue` for the new placement. The case comes from the
//!   placement's row. The `visit` fact of a resident-month (subject `<case_id>|<YYYY-MM>`, on the
//!   month's last day) is DONE with a counted visit, else OVERDUE once `VisitOverdue` was seen.
//!   An overdue month is a late item of the sending station, `foster.visit:<placement>:<month>`
//!   (foster's deadline id); it cannot be made up.
//! - **Reports**: `ReportOverdue` raises `foster.report:<placement>:<month>` for the institution,
//!   done by the month's report filed late. `ReportFiled` carries no due time, so a report filed
//!   late in the moment before foster's sweeper raised the overdue cannot raise the item itself:
//!   the item then stays open (rare: the sweeper runs every few seconds).
//! - **Fees**: `FeeAssessed` once per placement and month: `foster_fee_fen` (by institution) and
//!   `foster_days` (days in care), subject `<placement_id>|<YYYY-MM>`, on the month's last day.

use relief_proto::foster::v1 as pb;
use relief_runtime::db::Tx;
use relief_runtime::events::consumer::ReceivedEvent;
use relief_runtime::{ApiError, with_tx};

use super::placements::case_of;
use crate::facts::{self, Contribution};
use crate::ingest::intake::{at, non_empty};
use crate::ingest::late::{self, LateItem};
use crate::time::{micros, month_last_day};

/// Foster's deadline kind of a month's visit.
pub const VISIT: &str = "foster.visit";

/// Foster's deadline kind of a month's report.
pub const REPORT: &str = "foster.report";

/// The last day of `month` (`YYYY-MM`), where a month's figures count.
fn last_day(month: &str) -> Result<String, ApiError> {
    month_last_day(month)
        .ok_or_else(|| ApiError::internal(format!("event with a malformed month {month:?}")))
}

/// The case of `placement_id`, or `None` (logged) for a placement this feed never showed, which
/// its order rules out.
async fn resident(tx: &mut Tx, placement_id: &str) -> Result<Option<String>, ApiError> {
    let case = case_of(tx, placement_id).await?.map(|(case_id, _)| case_id);
    if case.is_none() {
        tracing::warn!(%placement_id, "a visit of a placement reporting has not seen: ignored");
    }
    Ok(case)
}

/// `VisitRecorded`: a visit recorded by the month's end (`counted`) counts for the resident's
/// month (the earliest stands); a visit recorded later counts for nothing.
pub async fn visit_recorded(tx: &mut Tx, visit: &pb::VisitRecorded) -> Result<(), ApiError> {
    if !visit.counted {
        return Ok(());
    }
    let visited_at = at("visited_at", visit.visited_at.as_ref())?;
    let Some(case_id) = resident(tx, &visit.placement_id).await? else {
        return Ok(());
    };
    with_tx!(tx, |conn| {
        sqlx::query(
            "INSERT INTO r_visits (case_id, month, division, visited_at, overdue) \
             VALUES ($1, $2, $3, $4, 0) \
             ON CONFLICT (case_id, month) DO UPDATE SET visited_at = CASE \
               WHEN r_visits.visited_at IS NULL OR excluded.visited_at < r_visits.visited_at \
               THEN excluded.visited_at ELSE r_visits.visited_at END",
        )
        .bind(&case_id)
        .bind(&visit.month)
        .bind(&visit.division)
        .bind(micros(visited_at))
        .execute(conn)
        .await
        .map(|_| ())
    })?;
    visit_fact(tx, &case_id, &visit.month).await
}

/// `VisitOverdue`: the month ended without a visit to the resident: overdue, and a late item of
/// the sending station.
pub async fn visit_overdue(
    tx: &mut Tx,
    event: &ReceivedEvent,
    overdue: &pb::VisitOverdue,
) -> Result<(), ApiError> {
    let due_at = at("due_at", overdue.due_at.as_ref())?;
    if let Some(case_id) = resident(tx, &overdue.placement_id).await? {
        with_tx!(tx, |conn| {
            sqlx::query(
                "INSERT INTO r_visits (case_id, month, division, overdue) VALUES ($1, $2, $3, 1) \
                 ON CONFLICT (case_id, month) DO UPDATE SET overdue = 1",
            )
            .bind(&case_id)
            .bind(&overdue.month)
            .bind(&overdue.division)
            .execute(conn)
            .await
            .map(|_| ())
        })?;
        visit_fact(tx, &case_id, &overdue.month).await?;
    }
    late::raise(
        tx,
        &LateItem {
            kind: VISIT,
            subject_id: &format!("{}:{}", overdue.placement_id, overdue.month),
            division: &overdue.division,
            responsible_unit: non_empty(&overdue.station),
            due_at,
            late_at: event.occurred_at,
            done_at: None,
        },
    )
    .await
}

/// Sets the `visit` fact of case `case_id` in `month` from its row: DONE with a counted visit,
/// else OVERDUE when seen overdue, else nothing yet.
async fn visit_fact(tx: &mut Tx, case_id: &str, month: &str) -> Result<(), ApiError> {
    let row: Option<(String, Option<i64>, i32)> = with_tx!(tx, |conn| {
        sqlx::query_as(
            "SELECT division, visited_at, overdue FROM r_visits WHERE case_id = $1 AND month = $2",
        )
        .bind(case_id)
        .bind(month)
        .fetch_optional(conn)
        .await
    })?;
    let contribution = match row {
        Some((division, visited_at, overdue)) => {
            let dim = if visited_at.is_some() {
                Some("DONE")
            } else {
                (overdue != 0).then_some("OVERDUE")
            };
            match dim {
                Some(dim) => Some(Contribution::one(last_day(month)?, &division, dim)),
                None => None,
            }
        }
        None => None,
    };
    facts::put(tx, "visit", &format!("{case_id}|{month}"), contribution).await
}

/// `ReportOverdue`: the month's report was not filed by its due time: a late item of the
/// institution.
pub async fn report_overdue(
    tx: &mut Tx,
    event: &ReceivedEvent,
    overdue: &pb::ReportOverdue,
) -> Result<(), ApiError> {
    let due_at = at("due_at", overdue.due_at.as_ref())?;
    late::raise(
        tx,
        &LateItem {
            kind: REPORT,
            subject_id: &format!("{}:{}", overdue.placement_id, overdue.month),
            division: &overdue.division,
            responsible_unit: non_empty(&overdue.institution_id),
            due_at,
            late_at: event.occurred_at,
            done_at: None,
        },
    )
    .await
}

/// `ReportFiled`: the month's report, if it was seen overdue, is done.
pub async fn report_filed(
    tx: &mut Tx,
    event: &ReceivedEvent,
    report: &pb::ReportFiled,
) -> Result<(), ApiError> {
    let subject = format!("{}:{}", report.placement_id, report.month);
    late::done(tx, &late::key(REPORT, &subject), event.occurred_at).await
}

/// `FeeAssessed`: the month's fee (by institution) and days in care of the placement, in the
/// case's division, on the month's last day.
pub async fn fee_assessed(tx: &mut Tx, fee: &pb::FeeAssessed) -> Result<(), ApiError> {
    let last = last_day(&fee.month)?;
    let subject = format!("{}|{}", fee.placement_id, fee.month);
    let fen = fee.total.as_ref().map_or(0, |total| total.fen);
    facts::put(
        tx,
        "foster_fee_fen",
        &subject,
        Some(Contribution {
            day: last.clone(),
            division: fee.division.clone(),
            dim: fee.institution_id.clone(),
            value: fen,
        }),
    )
    .await?;
    facts::put(
        tx,
        "foster_days",
        &subject,
        Some(Contribution {
            day: last,
            division: fee.division.clone(),
            dim: String::new(),
            value: i64::from(fee.days_in_care),
        }),
    )
    .await
}
