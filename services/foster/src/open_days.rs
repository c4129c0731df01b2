//! The June 19 open day (开放日, plan §三(三)) of every station and institution: recorded on the day, missed ones visible after it.

use relief_proto::foster::v1 as pb;
use relief_runtime::{ApiError, ServiceContext};
use tonic::Request;

/// `RecordOpenDay`.
pub async fn record(
    context: &ServiceContext,
    request: Request<pb::RecordOpenDayRequest>,
) -> Result<pb::RecordOpenDayResponse, ApiError> {
    let _ = (context, request);
    Err(ApiError::Unimplemented {
        message: "RecordOpenDay is not built yet".to_owned(),
    })
}

/// `ListOpenDays`.
pub async fn list(
    context: &ServiceContext,
    request: Request<pb::ListOpenDaysRequest>,
) -> Result<pb::ListOpenDaysResponse, ApiError> {
    let _ = (context, request);
    Err(ApiError::Unimplemented {
        message: "ListOpenDays is not built yet".to_owned(),
    })
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
