//! Incidents in institutions (走失, 伤, 亡): reported at once, each recipient notified and tracked to acknowledgement.

use relief_proto::foster::v1 as pb;
use relief_runtime::{ApiError, ServiceContext};
use tonic::Request;

/// `ReportFosterIncident`.
pub async fn report(
    context: &ServiceContext,
    request: Request<pb::ReportFosterIncidentRequest>,
) -> Result<pb::ReportFosterIncidentResponse, ApiError> {
    let _ = (context, request);
    Err(ApiError::Unimplemented {
        message: "ReportFosterIncident is not built yet".to_owned(),
    })
}

/// `ListFosterIncidents`.
pub async fn list(
    context: &ServiceContext,
    request: Request<pb::ListFosterIncidentsRequest>,
) -> Result<pb::ListFosterIncidentsResponse, ApiError> {
    let _ = (context, request);
    Err(ApiError::Unimplemented {
        message: "ListFosterIncidents is not built yet".to_owned(),
    })
}
