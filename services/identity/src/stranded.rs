//! The stranded register: a file still open 3 months after the stay began enters it (a status
//! duration, transfers do not reset it); each missing step (notice, DNA requested, face result)
//! is visible and each completion is an event.

use chrono::{DateTime, Utc};
use relief_proto::identity::v1 as pb;
use relief_runtime::db::Tx;
use relief_runtime::{ApiError, ServiceContext};
use tonic::Request;

/// Records that `step` was done for file `file_id` at `now`: if the person is in the register
/// and the step was missing, emits StrandedStepCompleted. Called by notices and verification.
pub async fn step_done(
    _context: &ServiceContext,
    _tx: &mut Tx,
    _file_id: &str,
    _step: pb::StrandedStep,
    _now: DateTime<Utc>,
) -> Result<(), ApiError> {
    Ok(())
}

/// `ListStrandedPersons`.
pub async fn list(
    _context: &ServiceContext,
    _request: Request<pb::ListStrandedPersonsRequest>,
) -> Result<pb::ListStrandedPersonsResponse, ApiError> {
    Err(ApiError::Unimplemented {
        message: "ListStrandedPersons is being built".to_owned(),
    })
}
