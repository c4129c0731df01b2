//! `ListAlerts` (being built in this session).

use relief_proto::reporting::v1 as pb;
use relief_runtime::{ApiError, Caller, ServiceContext};

/// `ListAlerts`.
pub async fn list(
    _context: &ServiceContext,
    _caller: &Caller,
    _request: pb::ListAlertsRequest,
) -> Result<pb::ListAlertsResponse, ApiError> {
    Err(ApiError::Unimplemented {
        message: "ListAlerts is not built yet".to_owned(),
    })
}
