//! Agreements (托养协议, plan §二(一)3) between a sending station and an institution: term, beds, fee terms (the margin); versioned. No placement without one in force.

use relief_proto::foster::v1 as pb;
use relief_runtime::{ApiError, ServiceContext};
use tonic::Request;

/// `SignAgreement`.
pub async fn sign(
    context: &ServiceContext,
    request: Request<pb::SignAgreementRequest>,
) -> Result<pb::SignAgreementResponse, ApiError> {
    let _ = (context, request);
    Err(ApiError::Unimplemented {
        message: "SignAgreement is not built yet".to_owned(),
    })
}

/// `ListAgreements`.
pub async fn list(
    context: &ServiceContext,
    request: Request<pb::ListAgreementsRequest>,
) -> Result<pb::ListAgreementsResponse, ApiError> {
    let _ = (context, request);
    Err(ApiError::Unimplemented {
        message: "ListAgreements is not built yet".to_owned(),
    })
}
