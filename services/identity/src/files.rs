//! Identity files: opened by intake's PersonAdmitted for a person not confirmed, continued by a
//! transfer admission, closed by CaseClosed (its deadlines cancelled); confirmed by the station
//! (`ConfirmIdentity`) or by an identifying police result ([`confirm::confirm`]). Deadlines: the
//! family-search notice (24 h, UNKNOWN only), the verification request (7 working days), the
//! stranded register (3 months), the monthly notice refresh.

pub mod confirm;
pub mod store;

use relief_proto::identity::v1 as pb;
use relief_runtime::deadlines::DeadlineHandlers;
use relief_runtime::{ApiError, ServiceContext};
use tonic::Request;

/// The deadline handlers of identity files, by kind.
pub fn deadline_handlers() -> DeadlineHandlers {
    DeadlineHandlers::new()
}

/// `GetIdentityFile`.
pub async fn get(
    _context: &ServiceContext,
    _request: Request<pb::GetIdentityFileRequest>,
) -> Result<pb::GetIdentityFileResponse, ApiError> {
    Err(ApiError::Unimplemented {
        message: "GetIdentityFile is being built".to_owned(),
    })
}

/// `ConfirmIdentity`.
pub async fn confirm_identity(
    _context: &ServiceContext,
    _request: Request<pb::ConfirmIdentityRequest>,
) -> Result<pb::ConfirmIdentityResponse, ApiError> {
    Err(ApiError::Unimplemented {
        message: "ConfirmIdentity is being built".to_owned(),
    })
}
