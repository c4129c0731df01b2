//! Settlement (落户安置): one application per stranded person to civil affairs and finance; civil
//! affairs decides; approval records the collective household and, where the conditions are met,
//! state support with central care.

use relief_proto::identity::v1 as pb;
use relief_runtime::{ApiError, ServiceContext};
use tonic::Request;

/// `FileSettlementApplication`.
pub async fn file(
    _context: &ServiceContext,
    _request: Request<pb::FileSettlementApplicationRequest>,
) -> Result<pb::FileSettlementApplicationResponse, ApiError> {
    Err(ApiError::Unimplemented {
        message: "FileSettlementApplication is being built".to_owned(),
    })
}

/// `DecideSettlement`.
pub async fn decide(
    _context: &ServiceContext,
    _request: Request<pb::DecideSettlementRequest>,
) -> Result<pb::DecideSettlementResponse, ApiError> {
    Err(ApiError::Unimplemented {
        message: "DecideSettlement is being built".to_owned(),
    })
}

/// `ListSettlementApplications`.
pub async fn list(
    _context: &ServiceContext,
    _request: Request<pb::ListSettlementApplicationsRequest>,
) -> Result<pb::ListSettlementApplicationsResponse, ApiError> {
    Err(ApiError::Unimplemented {
        message: "ListSettlementApplications is being built".to_owned(),
    })
}
