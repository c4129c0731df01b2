//! Fees (科学核算托养费用, plan §二(一)2; DOMAIN.md section 3 "Fees"): county rates (a file and
//! `SetCountyRates`), the monthly fee of each resident with its breakdown, prorated by day at
//! the rates in force that day, in integer fen.
//!
//! - [`rates`]: the rates file seeded at start, `SetCountyRates`, `ListCountyRates`.
//! - [`compute`]: the pure arithmetic of one month's fee.
//! - [`assess`]: the month-end deadline and the final assessment when a placement ends.
//! - [`margins`]: the agreement margin of a day.
//! - [`reads`]: `ListFees`, in the caller's scope.
//! - [`store`]: the tables.
//!
//! The county is the sending station's: the placement's (the case's) division.

mod assess;
mod compute;
mod margins;
mod rates;
mod reads;
mod store;

use relief_proto::foster::v1 as pb;
use relief_runtime::{ApiError, Caller, ServiceContext};
use tonic::Request;

pub use assess::{FEE_DEADLINE, FEE_RETRY_DEADLINE};

/// The `FAILED_PRECONDITION` reason of a rates version stored already for that division and day.
pub const RATES_ALREADY_SET: &str = "RATES_ALREADY_SET";

/// The notification kind of fees that cannot be assessed for want of county rates on a day in
/// care (once per county and month).
pub const FEE_RATES_MISSING: &str = "FEE_RATES_MISSING";

/// The units.toml role of the supervisors who read every fee and rate (finance, audit).
pub const FUNDS_ROLE: &str = "funds";

/// Whether `caller` is a unit holding the funds role.
fn funds(context: &ServiceContext, caller: &Caller) -> bool {
    context.units.get(&caller.unit).is_some_and(|unit| {
        unit.kind == caller.kind && unit.roles.iter().any(|role| role == FUNDS_ROLE)
    })
}

/// `SetCountyRates`.
pub async fn set_rates(
    context: &ServiceContext,
    request: Request<pb::SetCountyRatesRequest>,
) -> Result<pb::SetCountyRatesResponse, ApiError> {
    rates::set(context, request).await
}

/// `ListCountyRates`.
pub async fn list_rates(
    context: &ServiceContext,
    request: Request<pb::ListCountyRatesRequest>,
) -> Result<pb::ListCountyRatesResponse, ApiError> {
    rates::list(context, request).await
}

/// `ListFees`.
pub async fn list(
    context: &ServiceContext,
    request: Request<pb::ListFeesRequest>,
) -> Result<pb::ListFeesResponse, ApiError> {
    reads::list(context, request).await
}

/// A placement started (approved, or a move's new placement) at `row.placed_at`: schedules the
/// fee of its first month at that month's end, inside the placing transaction.
pub async fn on_placed(
    context: &ServiceContext,
    tx: &mut relief_runtime::db::Tx,
    now: chrono::DateTime<chrono::Utc>,
    row: &crate::placements::store::PlacementRow,
) -> Result<(), ApiError> {
    let _ = context;
    assess::on_placed(tx, now, row).await
}

/// A placement ended at `row.ended_at` (the row as stored, ENDED): assesses every month not
/// assessed yet up to the end month (prorated) and cancels the pending month-end deadlines,
/// inside the ending transaction (after the subject's deadlines and the row were locked).
pub async fn on_ended(
    context: &ServiceContext,
    tx: &mut relief_runtime::db::Tx,
    now: chrono::DateTime<chrono::Utc>,
    row: &crate::placements::store::PlacementRow,
) -> Result<(), ApiError> {
    assess::on_ended(context, tx, now, row).await
}

/// The deadline handlers of this part, by kind.
pub fn deadline_handlers() -> Vec<(
    &'static str,
    std::sync::Arc<dyn relief_runtime::deadlines::DeadlineHandler>,
)> {
    vec![
        (FEE_DEADLINE, assess::handler()),
        (FEE_RETRY_DEADLINE, assess::handler()),
    ]
}

/// Runs once when the service starts, before it serves (after migrations): stores the rates
/// file's new versions; a malformed file stops the service.
pub async fn start(context: &ServiceContext) -> Result<(), relief_runtime::RunError> {
    rates::seed(context).await
}
