//! `GetIngestionStatus` (being built in this session).

use relief_proto::reporting::v1 as pb;
use relief_runtime::{ApiError, Caller, ServiceContext};

/// `GetIngestionStatus`.
pub async fn status(
    _context: &ServiceContext,
    _caller: &Caller,
    _request: pb::GetIngestionStatusRequest,
) -> Result<pb::GetIngestionStatusResponse, ApiError> {
    Err(ApiError::Unimplemented {
        message: "GetIngestionStatus is not built yet".to_owned(),
    })
}
