//! Departures and return follow-ups (DOMAIN.md section 1, "Who owns a stay", "Deadlines and
//! escalations"): the admitting station closes a case in the station with how the person left;
//! a person under 16 leaves only with a guardian or an escort; a transfer continues the stay at
//! the receiving station; a return home opens a follow-up the origin county's civil-affairs
//! bureau records within 30 days [product], overdue otherwise.
//!
//! - [`discharge`]: `DischargeCase`, in one transaction with its events and deadlines.
//! - [`convert`]: the requests checked into domain values; a follow-up row back into the proto.
//! - [`minor`]: the age rule, from a column filled at admission.
//! - [`transfer`]: what a TRANSFER admission checks, and the chain of cases a stay continues.
//! - [`follow_up`]: `ListFollowUps`, `RecordFollowUp` and the overdue deadline.
//! - [`store`]: the tables.

mod convert;
mod discharge;
pub(crate) mod follow_up;
mod minor;
mod store;
mod transfer;

use std::sync::Arc;

use relief_proto::intake::v1 as pb;
use relief_runtime::deadlines::DeadlineHandler;
use relief_runtime::{ApiError, ServiceContext};
use tonic::Request;

pub use minor::turns_16_at;
// Settlement slice: an approved settlement closes a case in the station. Foster feed: the end
// of a placement closes a case in foster care; moving a case in or out of foster care locks its
// deadlines first, as every closing does.
pub(crate) use discharge::{
    FeedDeparture, close_placement_ended, close_settled, lock_case_deadlines,
};
pub use transfer::{check_transfer, transfer_chain};

/// `DischargeCase` (station, own cases).
pub async fn discharge(
    context: &ServiceContext,
    request: Request<pb::DischargeCaseRequest>,
) -> Result<pb::DischargeCaseResponse, ApiError> {
    discharge::discharge(context, request).await
}

/// `ListFollowUps` (civil affairs, within its divisions).
pub async fn list_follow_ups(
    context: &ServiceContext,
    request: Request<pb::ListFollowUpsRequest>,
) -> Result<pb::ListFollowUpsResponse, ApiError> {
    follow_up::list(context, request).await
}

/// `RecordFollowUp` (civil affairs covering the follow-up's division).
pub async fn record_follow_up(
    context: &ServiceContext,
    request: Request<pb::RecordFollowUpRequest>,
) -> Result<pb::RecordFollowUpResponse, ApiError> {
    follow_up::record(context, request).await
}

/// The deadline handlers of departures.
pub fn deadline_handlers() -> Vec<(&'static str, Arc<dyn DeadlineHandler>)> {
    vec![(
        follow_up::FOLLOW_UP_DEADLINE,
        Arc::new(follow_up::FollowUpOverdue),
    )]
}
