//! Police verification requests: filing (7 working days from admission), receipt (acknowledged,
//! or deemed after 3 working days, escalated), forwarding (receipt and due time stay), the
//! 1-month answer period (an act period from receipt, relief-legal), reminders, overdue
//! escalation, and per-method results.

use chrono::{DateTime, Utc};
use relief_proto::identity::v1 as pb;
use relief_runtime::db::Tx;
use relief_runtime::deadlines::DeadlineHandlers;
use relief_runtime::{ApiError, ServiceContext};
use tonic::Request;

/// The deadline handlers of verification requests, by kind.
pub fn deadline_handlers() -> DeadlineHandlers {
    DeadlineHandlers::new()
}

/// Withdraws every unanswered request of file `file_id` (the identity was confirmed another
/// way, or the stay ended): status WITHDRAWN, their deadlines cancelled.
pub async fn withdraw_open(
    _context: &ServiceContext,
    _tx: &mut Tx,
    _file_id: &str,
    _now: DateTime<Utc>,
) -> Result<(), ApiError> {
    Ok(())
}

/// `FileVerificationRequest`.
pub async fn file(
    _context: &ServiceContext,
    _request: Request<pb::FileVerificationRequestRequest>,
) -> Result<pb::FileVerificationRequestResponse, ApiError> {
    Err(ApiError::Unimplemented {
        message: "FileVerificationRequest is being built".to_owned(),
    })
}

/// `GetVerificationRequest`.
pub async fn get(
    _context: &ServiceContext,
    _request: Request<pb::GetVerificationRequestRequest>,
) -> Result<pb::GetVerificationRequestResponse, ApiError> {
    Err(ApiError::Unimplemented {
        message: "GetVerificationRequest is being built".to_owned(),
    })
}

/// `ListPendingVerificationRequests`.
pub async fn list_pending(
    _context: &ServiceContext,
    _request: Request<pb::ListPendingVerificationRequestsRequest>,
) -> Result<pb::ListPendingVerificationRequestsResponse, ApiError> {
    Err(ApiError::Unimplemented {
        message: "ListPendingVerificationRequests is being built".to_owned(),
    })
}

/// `AcknowledgeVerificationRequest`.
pub async fn acknowledge(
    _context: &ServiceContext,
    _request: Request<pb::AcknowledgeVerificationRequestRequest>,
) -> Result<pb::AcknowledgeVerificationRequestResponse, ApiError> {
    Err(ApiError::Unimplemented {
        message: "AcknowledgeVerificationRequest is being built".to_owned(),
    })
}

/// `ForwardVerificationRequest`.
pub async fn forward(
    _context: &ServiceContext,
    _request: Request<pb::ForwardVerificationRequestRequest>,
) -> Result<pb::ForwardVerificationRequestResponse, ApiError> {
    Err(ApiError::Unimplemented {
        message: "ForwardVerificationRequest is being built".to_owned(),
    })
}

/// `SubmitVerificationResult`.
pub async fn submit_result(
    _context: &ServiceContext,
    _request: Request<pb::SubmitVerificationResultRequest>,
) -> Result<pb::SubmitVerificationResultResponse, ApiError> {
    Err(ApiError::Unimplemented {
        message: "SubmitVerificationResult is being built".to_owned(),
    })
}

/// `ListVerificationRequests`.
pub async fn list(
    _context: &ServiceContext,
    _request: Request<pb::ListVerificationRequestsRequest>,
) -> Result<pb::ListVerificationRequestsResponse, ApiError> {
    Err(ApiError::Unimplemented {
        message: "ListVerificationRequests is being built".to_owned(),
    })
}
