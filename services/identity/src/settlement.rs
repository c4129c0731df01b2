//! Settlement (落户安置): one application per stranded person to civil affairs and finance; civil
//! affairs decides; approval records the collective household and, where the conditions are met,
//! state support with central care.
//!
//! - [`file`]: `FileSettlementApplication` (the station holding a stranded person's file).
//! - [`decide`]: `DecideSettlement` (civil affairs covering the case) and SettlementDecided.
//! - [`reads`]: `ListSettlementApplications`, in the caller's scope.
//! - [`addressees`]: who an application goes to (the civil-affairs and finance bureaus).
//! - [`store`]: the table.

mod addressees;
mod decide;
mod file;
mod reads;
mod store;

use chrono::{DateTime, Utc};
use relief_proto::identity::v1 as pb;
use relief_runtime::db::Tx;
use relief_runtime::events::append;
use relief_runtime::{ApiError, ServiceContext};
use tonic::Request;

use crate::files::store::FileRow;

/// The notification kind each addressee of a filed application receives.
pub const SETTLEMENT_FILED_NOTIFICATION: &str = "SETTLEMENT_FILED";

/// The notification kind the station receives when its application is decided.
pub const SETTLEMENT_DECIDED_NOTIFICATION: &str = "SETTLEMENT_DECIDED";

/// The deadline and notification subject of application `id`.
pub fn subject(id: &str) -> String {
    format!("settlement/{id}")
}

/// `FileSettlementApplication`.
pub async fn file(
    context: &ServiceContext,
    request: Request<pb::FileSettlementApplicationRequest>,
) -> Result<pb::FileSettlementApplicationResponse, ApiError> {
    file::file(context, request).await
}

/// `DecideSettlement`.
pub async fn decide(
    context: &ServiceContext,
    request: Request<pb::DecideSettlementRequest>,
) -> Result<pb::DecideSettlementResponse, ApiError> {
    decide::decide(context, request).await
}

/// `ListSettlementApplications`.
pub async fn list(
    context: &ServiceContext,
    request: Request<pb::ListSettlementApplicationsRequest>,
) -> Result<pb::ListSettlementApplicationsResponse, ApiError> {
    reads::list(context, request).await
}

/// A transfer admission continued `file` (now holding its new case): if the file has an
/// approved application, SettlementDecided is appended again for the new case (same
/// application, outcome and decision time). An approval decided while the person was in
/// transit named the sending case, already closed as TRANSFERRED, so intake could not settle
/// it; this lets intake close the receiving case as settled.
pub async fn announce_again(
    tx: &mut Tx,
    file: &FileRow,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    if let Some(row) = store::approved_for_file(tx, &file.id).await? {
        append(tx, now, &decide::decided_event(&row, file)?).await?;
    }
    Ok(())
}
