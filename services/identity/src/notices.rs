//! Family-search notices (寻亲公告): `RecordNoticePublication`, and whether a notice was on time.

use relief_proto::identity::v1 as pb;
use relief_runtime::{ApiError, ServiceContext};
use tonic::Request;

/// `RecordNoticePublication`.
pub async fn record(
    _context: &ServiceContext,
    _request: Request<pb::RecordNoticePublicationRequest>,
) -> Result<pb::RecordNoticePublicationResponse, ApiError> {
    Err(ApiError::Unimplemented {
        message: "RecordNoticePublication is being built".to_owned(),
    })
}
