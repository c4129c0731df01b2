//! Supervision of placements (plan §二(三)1-2): the sending station's monthly visit, the
//! institution's monthly report; each month's deadlines.
//!
//! - Every calendar month (local time) in which a placement is active, from the month of
//!   `placed_at`, owes a visit by the sending station and a report by the institution, unless
//!   the placement ends within it ([`months::owes`]).
//! - [`visits`]: `RecordVisit`, `ListVisits`. A visit counts for the month of `visited_at` only
//!   if recorded before that month's end (`counted`).
//! - [`reports`]: `FileReport`, `ListReports`; a report is due 24:00 of the 5th working day of
//!   the next month (`late` at or after it); one per placement and month.
//! - [`clocks`]: the visit and report deadlines of each month and their handlers (VisitOverdue,
//!   ReportOverdue, each with a tracked notification), once per month.
//! - [`months`]: the month arithmetic; [`store`]: the tables.

pub mod clocks;
pub mod months;
mod reports;
pub mod store;
mod visits;

use relief_proto::foster::v1 as pb;
use relief_runtime::db::Conn;
use relief_runtime::{ApiError, Caller, ServiceContext};
use tonic::Request;

use months::Month;

/// The `FAILED_PRECONDITION` reason of a visit to a placement that is not active (the
/// placements' own).
pub use crate::placements::PLACEMENT_NOT_ACTIVE;

/// The `FAILED_PRECONDITION` reason of a second report for one placement and month.
pub const REPORT_ALREADY_FILED: &str = "REPORT_ALREADY_FILED";

/// The `FAILED_PRECONDITION` reason of a report for a month the resident was never in the
/// institution's care.
pub const MONTH_NOT_IN_PLACEMENT: &str = "MONTH_NOT_IN_PLACEMENT";

/// `RecordVisit`.
pub async fn record_visit(
    context: &ServiceContext,
    request: Request<pb::RecordVisitRequest>,
) -> Result<pb::RecordVisitResponse, ApiError> {
    visits::record(context, request).await
}

/// `ListVisits`.
pub async fn list_visits(
    context: &ServiceContext,
    request: Request<pb::ListVisitsRequest>,
) -> Result<pb::ListVisitsResponse, ApiError> {
    visits::list(context, request).await
}

/// `FileReport`.
pub async fn file_report(
    context: &ServiceContext,
    request: Request<pb::FileReportRequest>,
) -> Result<pb::FileReportResponse, ApiError> {
    reports::file(context, request).await
}

/// `ListReports`.
pub async fn list_reports(
    context: &ServiceContext,
    request: Request<pb::ListReportsRequest>,
) -> Result<pb::ListReportsResponse, ApiError> {
    reports::list(context, request).await
}

/// A placement started (approved, or a move's new placement) at `row.placed_at`: starts this
/// part's clocks (the visit and the report of the month of `placed_at`), inside the placing
/// transaction.
pub async fn on_placed(
    context: &ServiceContext,
    tx: &mut relief_runtime::db::Tx,
    now: chrono::DateTime<chrono::Utc>,
    row: &crate::placements::store::PlacementRow,
) -> Result<(), ApiError> {
    let placed_at = row.placed_at.ok_or_else(|| {
        ApiError::internal(format!("placement {} started without placed_at", row.id))
    })?;
    clocks::schedule_month(context, tx, now, &row.id, Month::of(placed_at)).await
}

/// A placement ended at `row.ended_at` (the row as stored, ENDED): stops this part's clocks,
/// inside the ending transaction (after the subject's deadlines and the row were locked): the
/// clocks of the month of `ended_at` and later are cancelled; an earlier month's pending
/// deadlines (a report not yet due, or a sweeper running late) stay and fire.
pub async fn on_ended(
    context: &ServiceContext,
    tx: &mut relief_runtime::db::Tx,
    now: chrono::DateTime<chrono::Utc>,
    row: &crate::placements::store::PlacementRow,
) -> Result<(), ApiError> {
    let _ = context;
    let ended_at = row.ended_at.ok_or_else(|| {
        ApiError::internal(format!("placement {} ended without ended_at", row.id))
    })?;
    // No clock is ever scheduled past the month after the current one.
    let through = Month::of(now.max(ended_at)).next();
    clocks::cancel_from(tx, now, &row.id, Month::of(ended_at), through).await
}

/// The deadline handlers of this part, by kind.
pub fn deadline_handlers() -> Vec<(
    &'static str,
    std::sync::Arc<dyn relief_runtime::deadlines::DeadlineHandler>,
)> {
    clocks::deadline_handlers()
}

/// The filter of a list of visits or reports for `caller`: a placement it sees (NOT_FOUND
/// otherwise), a month (INVALID_ARGUMENT if malformed), and its scope: an institution its own,
/// a station those it sent, civil affairs and governments their divisions' cases.
async fn list_filter(
    context: &ServiceContext,
    caller: &Caller,
    placement_id: &str,
    month: &str,
) -> Result<store::ListFilter, ApiError> {
    let mut filter = store::ListFilter::default();
    let month = month.trim();
    if !month.is_empty() {
        filter.month = Month::parse(month)
            .ok_or_else(|| ApiError::invalid_field("month", "must be a month YYYY-MM"))?
            .to_string();
    }
    let placement_id = placement_id.trim();
    if !placement_id.is_empty() {
        filter.placement_id =
            crate::placements::fetch_visible(Conn::Db(&context.db), caller, placement_id)
                .await?
                .id;
    }
    let scope = crate::placements::ListScope::of(caller, "visits or reports")?;
    filter.institution_id = scope.institution_id;
    filter.station = scope.station;
    filter.division_pattern = scope.division_pattern;
    Ok(filter)
}
