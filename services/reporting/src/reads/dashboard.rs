//! `GetDashboard` (being built in this session).

use relief_proto::reporting::v1 as pb;
use relief_runtime::{ApiError, Caller, ServiceContext};

/// `GetDashboard`.
pub async fn get(
    _context: &ServiceContext,
    _caller: &Caller,
    _request: pb::GetDashboardRequest,
) -> Result<pb::GetDashboardResponse, ApiError> {
    Err(ApiError::Unimplemented {
        message: "GetDashboard is not built yet".to_owned(),
    })
}
