//! Fees (科学核算托养费用, plan §二(一)2): county rates (a file and `SetCountyRates`), the monthly fee of each resident with its breakdown, prorated by day at the rates in force that day.

use relief_proto::foster::v1 as pb;
use relief_runtime::{ApiError, ServiceContext};
use tonic::Request;

/// `SetCountyRates`.
pub async fn set_rates(
    context: &ServiceContext,
    request: Request<pb::SetCountyRatesRequest>,
) -> Result<pb::SetCountyRatesResponse, ApiError> {
    let _ = (context, request);
    Err(ApiError::Unimplemented {
        message: "SetCountyRates is not built yet".to_owned(),
    })
}

/// `ListCountyRates`.
pub async fn list_rates(
    context: &ServiceContext,
    request: Request<pb::ListCountyRatesRequest>,
) -> Result<pb::ListCountyRatesResponse, ApiError> {
    let _ = (context, request);
    Err(ApiError::Unimplemented {
        message: "ListCountyRates is not built yet".to_owned(),
    })
}

/// `ListFees`.
pub async fn list(
    context: &ServiceContext,
    request: Request<pb::ListFeesRequest>,
) -> Result<pb::ListFeesResponse, ApiError> {
    let _ = (context, request);
    Err(ApiError::Unimplemented {
        message: "ListFees is not built yet".to_owned(),
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

/// Runs once when the service starts, before it serves (after migrations).
pub async fn start(context: &ServiceContext) -> Result<(), relief_runtime::RunError> {
    let _ = context;
    Ok(())
}
