//! Inspections (监督检查) of institutions and stations: findings, rectification deadlines, breaches.

use relief_proto::foster::v1 as pb;
use relief_runtime::{ApiError, ServiceContext};
use tonic::Request;

/// `RecordInspection`.
pub async fn record(
    context: &ServiceContext,
    request: Request<pb::RecordInspectionRequest>,
) -> Result<pb::RecordInspectionResponse, ApiError> {
    let _ = (context, request);
    Err(ApiError::Unimplemented {
        message: "RecordInspection is not built yet".to_owned(),
    })
}

/// `RecordRectification`.
pub async fn rectify(
    context: &ServiceContext,
    request: Request<pb::RecordRectificationRequest>,
) -> Result<pb::RecordRectificationResponse, ApiError> {
    let _ = (context, request);
    Err(ApiError::Unimplemented {
        message: "RecordRectification is not built yet".to_owned(),
    })
}

/// `ListInspections`.
pub async fn list(
    context: &ServiceContext,
    request: Request<pb::ListInspectionsRequest>,
) -> Result<pb::ListInspectionsResponse, ApiError> {
    let _ = (context, request);
    Err(ApiError::Unimplemented {
        message: "ListInspections is not built yet".to_owned(),
    })
}

/// The deadline handlers of this part, by kind.
pub fn deadline_handlers() -> Vec<(
    &'static str,
    std::sync::Arc<dyn relief_runtime::deadlines::DeadlineHandler>,
)> {
    Vec::new()
}
