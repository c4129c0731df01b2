//! `ListMajorSituations` (being built in this session).

use relief_proto::reporting::v1 as pb;
use relief_runtime::{ApiError, Caller, ServiceContext};

/// `ListMajorSituations`.
pub async fn list(
    _context: &ServiceContext,
    _caller: &Caller,
    _request: pb::ListMajorSituationsRequest,
) -> Result<pb::ListMajorSituationsResponse, ApiError> {
    Err(ApiError::Unimplemented {
        message: "ListMajorSituations is not built yet".to_owned(),
    })
}
