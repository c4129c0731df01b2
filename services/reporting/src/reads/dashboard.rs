//! `GetDashboard`: the situation now (DOMAIN.md §4 "Dashboard"), per county, the city station and
//! the city, from the entity read models only (`r_cases`, `r_placements`, `r_identity_files`,
//! `r_verifications`, `r_visits`, `r_notifications`, `r_institutions`). "Now" is the reporting
//! clock (`context.clock`): today, this month and last month are its local ones.
//!
//! One grouped query per table counts every division at once; the rows of the caller's scope are
//! picked from the result, and the city row is the sum of the five division rows. A division that
//! is none of the five (a notification about a division outside the city) has no row and is in
//! no total.
//!
//! `stale` compares each feed's last applied seq with the source head cached in `r_feed` (by
//! GetIngestionStatus and by the service itself every
//! [`HEAD_REFRESH`](super::ingestion::HEAD_REFRESH)). The dashboard never calls a peer (it must
//! answer, and fast, while a source is down), so a feed that fell behind is seen as stale within
//! one refresh.

use std::collections::HashMap;

use chrono::{Datelike, Days};
use relief_proto::reporting::v1 as pb;
use relief_runtime::{ApiError, Caller, ServiceContext, with_db};

use crate::areas::{self, Scope};
use crate::time::{day_of, local_date, micros};

/// How many days before expiry an institution's documents count as expiring: foster's warning
/// period (`relief_foster::institutions::expiry::WARNING_DAYS`, DOMAIN.md [product] 30 days).
pub const DOCUMENTS_WARNING_DAYS: u64 = 30;

/// How far ahead a verification answer counts as "due within 7 days".
const DUE_SOON_DAYS: i64 = 7;

/// `GetDashboard`: one row per division in the caller's scope (narrowed to `division` if
/// given; NOT_FOUND outside the scope), then the city total when the whole city is in scope.
pub async fn get(
    context: &ServiceContext,
    caller: &Caller,
    request: pb::GetDashboardRequest,
) -> Result<pb::GetDashboardResponse, ApiError> {
    let scope = Scope::of(caller, &request.division)?;
    let now = context.clock.now();
    let by_division = count_all(context, now).await?;
    let rows = scope
        .areas()
        .into_iter()
        .map(|area| {
            let mut row = if area.kind == pb::AreaKind::City as i32 {
                areas::all_divisions()
                    .into_iter()
                    .filter_map(|division| by_division.get(division))
                    .fold(pb::DashboardRow::default(), |mut total, row| {
                        add(&mut total, row);
                        total
                    })
            } else {
                by_division.get(&area.division).cloned().unwrap_or_default()
            };
            row.area = Some(area);
            row
        })
        .collect();
    Ok(pb::GetDashboardResponse {
        as_of: Some(relief_runtime::time::timestamp(now)),
        rows,
        stale: stale(context).await?,
    })
}

/// The rows of every division with something to count (area unset), by division.
async fn count_all(
    context: &ServiceContext,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<HashMap<String, pb::DashboardRow>, ApiError> {
    let db = &context.db;
    let now_us = micros(now);
    let today = local_date(now);
    let this_month = today.format("%Y-%m").to_string();
    let last_month = today
        .with_day0(0)
        .and_then(|first| first.pred_opt())
        .map(|last| last.format("%Y-%m").to_string())
        .unwrap_or_default();
    let soon_us = micros(now + chrono::Duration::days(DUE_SOON_DAYS));
    let expiring_by = today
        .checked_add_days(Days::new(DOCUMENTS_WARNING_DAYS))
        .map(day_of)
        .unwrap_or_default();
    let mut rows: HashMap<String, pb::DashboardRow> = HashMap::new();

    // In station: admitted, not closed, no active placement; of those, the flagged stays.
    let cases: Vec<(String, i64, i64, i64)> = with_db!(db, |pool| {
        sqlx::query_as(
            "SELECT c.division, COUNT(*), \
               SUM(CASE WHEN c.over_10_since IS NOT NULL AND c.justified_at IS NOT NULL \
                 THEN 1 ELSE 0 END), \
               SUM(CASE WHEN c.over_10_since IS NOT NULL AND c.justified_at IS NULL \
                 THEN 1 ELSE 0 END) \
             FROM r_cases c \
             WHERE c.admitted_at IS NOT NULL AND c.closed_at IS NULL AND c.division IS NOT NULL \
               AND NOT EXISTS (SELECT 1 FROM r_placements p WHERE p.case_id = c.case_id \
                 AND p.placed_at IS NOT NULL AND p.ended_at IS NULL) \
             GROUP BY c.division",
        )
        .fetch_all(pool)
        .await
    })?;
    for (division, in_station, justified, unjustified) in cases {
        let row = rows.entry(division).or_default();
        row.in_station = count(in_station);
        row.stays_over_10_days_justified = count(justified);
        row.stays_over_10_days_unjustified = count(unjustified);
    }

    // In foster care: residents with an active placement; of those, not visited this month
    // (visits are per resident, so a visit to the previous placement of a move counts).
    let placements: Vec<(String, i64, i64)> = with_db!(db, |pool| {
        sqlx::query_as(
            "SELECT p.division, COUNT(DISTINCT p.case_id), \
               COUNT(DISTINCT CASE WHEN NOT EXISTS (SELECT 1 FROM r_visits v \
                 WHERE v.case_id = p.case_id AND v.month = $1 AND v.visited_at IS NOT NULL) \
                 THEN p.case_id END) \
             FROM r_placements p \
             WHERE p.placed_at IS NOT NULL AND p.ended_at IS NULL AND p.division IS NOT NULL \
             GROUP BY p.division",
        )
        .bind(&this_month)
        .fetch_all(pool)
        .await
    })?;
    for (division, in_care, not_visited) in placements {
        let row = rows.entry(division).or_default();
        row.in_foster_care = count(in_care);
        row.residents_not_visited_this_month = count(not_visited);
    }

    // Stranded: in the register, and the file neither confirmed nor closed.
    let stranded: Vec<(String, i64)> = with_db!(db, |pool| {
        sqlx::query_as(
            "SELECT division, COUNT(*) FROM r_identity_files \
             WHERE stranded_since IS NOT NULL AND confirmed_at IS NULL AND closed_at IS NULL \
               AND division IS NOT NULL \
             GROUP BY division",
        )
        .fetch_all(pool)
        .await
    })?;
    for (division, stranded) in stranded {
        rows.entry(division).or_default().stranded = count(stranded);
    }

    // Open verification requests (not answered, not withdrawn): overdue (past due, or seen
    // overdue), or due from now to now + 7 days.
    let verifications: Vec<(String, i64, i64)> = with_db!(db, |pool| {
        sqlx::query_as(
            "SELECT division, \
               SUM(CASE WHEN overdue_at IS NOT NULL OR due_at < $1 THEN 1 ELSE 0 END), \
               SUM(CASE WHEN overdue_at IS NULL AND due_at >= $1 AND due_at < $2 \
                 THEN 1 ELSE 0 END) \
             FROM r_verifications WHERE answered_at IS NULL AND withdrawn_at IS NULL \
             GROUP BY division",
        )
        .bind(now_us)
        .bind(soon_us)
        .fetch_all(pool)
        .await
    })?;
    for (division, overdue, due_soon) in verifications {
        let row = rows.entry(division).or_default();
        row.verifications_overdue = count(overdue);
        row.verifications_due_within_7_days = count(due_soon);
    }

    // Visits missed last month (VisitOverdue), per resident.
    let missed: Vec<(String, i64)> = with_db!(db, |pool| {
        sqlx::query_as(
            "SELECT division, COUNT(*) FROM r_visits WHERE month = $1 AND overdue = 1 \
             GROUP BY division",
        )
        .bind(&last_month)
        .fetch_all(pool)
        .await
    })?;
    for (division, missed) in missed {
        rows.entry(division).or_default().visits_overdue_last_month = count(missed);
    }

    // Notifications about the division not acknowledged; of those, past acknowledge_by (no
    // event says so: it is a matter of now).
    let notifications: Vec<(String, i64, i64)> = with_db!(db, |pool| {
        sqlx::query_as(
            "SELECT division, COUNT(*), SUM(CASE WHEN acknowledge_by < $1 THEN 1 ELSE 0 END) \
             FROM r_notifications WHERE acknowledged_at IS NULL GROUP BY division",
        )
        .bind(now_us)
        .fetch_all(pool)
        .await
    })?;
    for (division, open, overdue) in notifications {
        let row = rows.entry(division).or_default();
        row.notifications_unacknowledged = count(open);
        row.notifications_overdue = count(overdue);
    }

    // Institutions whose earliest document expires within the warning period or has expired,
    // or that foster warned about with no renewal since.
    let institutions: Vec<(String, i64)> = with_db!(db, |pool| {
        sqlx::query_as(
            "SELECT division, COUNT(*) FROM r_institutions \
             WHERE expiring = 1 \
               OR (documents_expire_on IS NOT NULL AND documents_expire_on <= $1) \
             GROUP BY division",
        )
        .bind(&expiring_by)
        .fetch_all(pool)
        .await
    })?;
    for (division, expiring) in institutions {
        rows.entry(division)
            .or_default()
            .institutions_documents_expiring = count(expiring);
    }
    Ok(rows)
}

/// Whether some feed's last applied seq is behind the head cached for it (see the module docs).
async fn stale(context: &ServiceContext) -> Result<bool, ApiError> {
    let behind: i64 = with_db!(&context.db, |pool| {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM r_feed WHERE head_seq IS NOT NULL AND head_seq > last_seq",
        )
        .fetch_one(pool)
        .await
    })?;
    Ok(behind > 0)
}

/// Adds `row`'s figures to `total`.
fn add(total: &mut pb::DashboardRow, row: &pb::DashboardRow) {
    let pairs = [
        (&mut total.in_station, row.in_station),
        (&mut total.in_foster_care, row.in_foster_care),
        (
            &mut total.stays_over_10_days_justified,
            row.stays_over_10_days_justified,
        ),
        (
            &mut total.stays_over_10_days_unjustified,
            row.stays_over_10_days_unjustified,
        ),
        (&mut total.stranded, row.stranded),
        (&mut total.verifications_overdue, row.verifications_overdue),
        (
            &mut total.verifications_due_within_7_days,
            row.verifications_due_within_7_days,
        ),
        (
            &mut total.residents_not_visited_this_month,
            row.residents_not_visited_this_month,
        ),
        (
            &mut total.visits_overdue_last_month,
            row.visits_overdue_last_month,
        ),
        (
            &mut total.notifications_unacknowledged,
            row.notifications_unacknowledged,
        ),
        (&mut total.notifications_overdue, row.notifications_overdue),
        (
            &mut total.institutions_documents_expiring,
            row.institutions_documents_expiring,
        ),
    ];
    for (sum, value) in pairs {
        *sum = sum.saturating_add(value);
    }
}

/// A count from SQL as a proto `int32` (saturating; no real count comes near).
pub(crate) fn count(value: i64) -> i32 {
    i32::try_from(value).unwrap_or(if value < 0 { i32::MIN } else { i32::MAX })
}
