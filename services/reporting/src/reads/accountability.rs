//! `GetAccountabilityReport` (being built in this session).

use relief_proto::reporting::v1 as pb;
use relief_runtime::{ApiError, Caller, ServiceContext};

/// `GetAccountabilityReport`.
pub async fn get(
    _context: &ServiceContext,
    _caller: &Caller,
    _request: pb::GetAccountabilityReportRequest,
) -> Result<pb::GetAccountabilityReportResponse, ApiError> {
    Err(ApiError::Unimplemented {
        message: "GetAccountabilityReport is not built yet".to_owned(),
    })
}
