//! `GetFundsReport` (being built in this session).

use relief_proto::reporting::v1 as pb;
use relief_runtime::{ApiError, Caller, ServiceContext};

/// `GetFundsReport`.
pub async fn get(
    _context: &ServiceContext,
    _caller: &Caller,
    _request: pb::GetFundsReportRequest,
) -> Result<pb::GetFundsReportResponse, ApiError> {
    Err(ApiError::Unimplemented {
        message: "GetFundsReport is not built yet".to_owned(),
    })
}
