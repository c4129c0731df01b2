//! Household restoration (恢复户籍): a station's request to a police unit, tracked to done.

use relief_proto::identity::v1 as pb;
use relief_runtime::{ApiError, ServiceContext};
use tonic::Request;

/// `RequestHouseholdRestoration`.
pub async fn request(
    _context: &ServiceContext,
    _request: Request<pb::RequestHouseholdRestorationRequest>,
) -> Result<pb::RequestHouseholdRestorationResponse, ApiError> {
    Err(ApiError::Unimplemented {
        message: "RequestHouseholdRestoration is being built".to_owned(),
    })
}

/// `CompleteHouseholdRestoration`.
pub async fn complete(
    _context: &ServiceContext,
    _request: Request<pb::CompleteHouseholdRestorationRequest>,
) -> Result<pb::CompleteHouseholdRestorationResponse, ApiError> {
    Err(ApiError::Unimplemented {
        message: "CompleteHouseholdRestoration is being built".to_owned(),
    })
}

/// `ListHouseholdRestorations`.
pub async fn list(
    _context: &ServiceContext,
    _request: Request<pb::ListHouseholdRestorationsRequest>,
) -> Result<pb::ListHouseholdRestorationsResponse, ApiError> {
    Err(ApiError::Unimplemented {
        message: "ListHouseholdRestorations is being built".to_owned(),
    })
}
