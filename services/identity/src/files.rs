//! Identity files: opened by intake's PersonAdmitted for a person not confirmed, continued by a
//! transfer admission, closed by CaseClosed (its deadlines cancelled); confirmed by the station
//! (`ConfirmIdentity`) or by an identifying police result ([`confirm::confirm`]). Deadlines: the
//! family-search notice (24 h, UNKNOWN only), the verification request (7 working days), the
//! stranded register (3 months), the monthly notice refresh.
//!
//! - [`stay`]: the file follows the stay: intake's PersonAdmitted opens or continues it (and
//!   records every case in `stay_cases`), CaseClosed closes it.
//! - [`deadlines`]: the notice and filing deadlines (scheduled at opening) and their handlers.
//! - [`confirm`]: confirming an identity, and the `ConfirmIdentity` RPC.
//! - [`reads`]: `GetIdentityFile`, in the caller's scope, the identity only for a purpose.
//! - [`convert`]: a stored file into the protobuf `IdentityFile`.
//! - [`store`]: the tables.

pub mod confirm;
pub mod convert;
pub mod deadlines;
pub mod reads;
pub mod stay;
pub mod store;

use relief_proto::identity::v1 as pb;
use relief_runtime::deadlines::DeadlineHandlers;
use relief_runtime::{ApiError, Caller, ServiceContext};
use tonic::Request;

use store::FileRow;

/// The `FAILED_PRECONDITION` reason of a change to a file that is confirmed or closed.
pub const FILE_NOT_OPEN: &str = "FILE_NOT_OPEN";

/// The deadline handlers of identity files, by kind: the notice and filing deadlines of an
/// opened file (the notice refresh and the stranded register register theirs in `lib.rs`).
pub fn deadline_handlers() -> DeadlineHandlers {
    deadlines::handlers()
}

/// `GetIdentityFile`.
pub async fn get(
    context: &ServiceContext,
    request: Request<pb::GetIdentityFileRequest>,
) -> Result<pb::GetIdentityFileResponse, ApiError> {
    reads::get(context, request).await
}

/// `ConfirmIdentity`.
pub async fn confirm_identity(
    context: &ServiceContext,
    request: Request<pb::ConfirmIdentityRequest>,
) -> Result<pb::ConfirmIdentityResponse, ApiError> {
    confirm::confirm_identity(context, request).await
}

/// Whether `caller` may see `file`: the station holding its current case; civil affairs and
/// governments whose division covers the file's; services. Anyone else gets NOT_FOUND.
pub fn visible(caller: &Caller, file: &FileRow) -> bool {
    relief_runtime::scope::sees_case(caller, &file.station, &file.division)
}

/// The error of a change to a file that is not open.
pub fn not_open() -> ApiError {
    ApiError::failed_precondition(
        FILE_NOT_OPEN,
        "the identity file is not open: the identity was confirmed or the stay ended",
    )
}
