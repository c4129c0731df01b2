//! Supervision of placements (plan §二(三)1-2): the sending station's monthly visit, the institution's monthly report; each month's deadline.

use relief_proto::foster::v1 as pb;
use relief_runtime::{ApiError, ServiceContext};
use tonic::Request;

/// `RecordVisit`.
pub async fn record_visit(
    context: &ServiceContext,
    request: Request<pb::RecordVisitRequest>,
) -> Result<pb::RecordVisitResponse, ApiError> {
    let _ = (context, request);
    Err(ApiError::Unimplemented {
        message: "RecordVisit is not built yet".to_owned(),
    })
}

/// `ListVisits`.
pub async fn list_visits(
    context: &ServiceContext,
    request: Request<pb::ListVisitsRequest>,
) -> Result<pb::ListVisitsResponse, ApiError> {
    let _ = (context, request);
    Err(ApiError::Unimplemented {
        message: "ListVisits is not built yet".to_owned(),
    })
}

/// `FileReport`.
pub async fn file_report(
    context: &ServiceContext,
    request: Request<pb::FileReportRequest>,
) -> Result<pb::FileReportResponse, ApiError> {
    let _ = (context, request);
    Err(ApiError::Unimplemented {
        message: "FileReport is not built yet".to_owned(),
    })
}

/// `ListReports`.
pub async fn list_reports(
    context: &ServiceContext,
    request: Request<pb::ListReportsRequest>,
) -> Result<pb::ListReportsResponse, ApiError> {
    let _ = (context, request);
    Err(ApiError::Unimplemented {
        message: "ListReports is not built yet".to_owned(),
    })
}

/// A placement started (approved, or a move's new placement) at `row.placed_at`: starts this
/// part's clocks, inside the placing transaction.
pub async fn on_placed(
    context: &ServiceContext,
    tx: &mut relief_runtime::db::Tx,
    now: chrono::DateTime<chrono::Utc>,
    row: &crate::placements::store::PlacementRow,
) -> Result<(), ApiError> {
    let _ = (context, tx, now, row);
    Ok(())
}

/// A placement ended at `row.ended_at` (the row as stored, ENDED): stops this part's clocks,
/// inside the ending transaction (after the subject's deadlines and the row were locked).
pub async fn on_ended(
    context: &ServiceContext,
    tx: &mut relief_runtime::db::Tx,
    now: chrono::DateTime<chrono::Utc>,
    row: &crate::placements::store::PlacementRow,
) -> Result<(), ApiError> {
    let _ = (context, tx, now, row);
    Ok(())
}

/// The deadline handlers of this part, by kind.
pub fn deadline_handlers() -> Vec<(
    &'static str,
    std::sync::Arc<dyn relief_runtime::deadlines::DeadlineHandler>,
)> {
    Vec::new()
}
