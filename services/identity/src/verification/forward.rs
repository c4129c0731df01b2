//! `ForwardVerificationRequest`: the addressed unit passes a request to another police unit.
//! Receipt and due time stay (the answer period does not restart); the old unit no longer sees
//! the request.

use chrono::SubsecRound;
use relief_proto::identity::v1 as pb;
use relief_runtime::events::append;
use relief_runtime::time::timestamp;
use relief_runtime::validate::Violations;
use relief_runtime::{ApiError, ServiceContext, caller, idempotency};
use tonic::Request;

use super::store;
use super::{CLOSED, addressed_request, division_now, response_of};
use crate::units;

/// The longest reason accepted, in characters.
const MAX_REASON: usize = 1000;

/// The `FAILED_PRECONDITION` reason of a forwarding to the unit addressed now.
const FORWARD_TO_SAME_UNIT: &str = "FORWARD_TO_SAME_UNIT";

/// `ForwardVerificationRequest`.
pub async fn forward(
    context: &ServiceContext,
    request: Request<pb::ForwardVerificationRequestRequest>,
) -> Result<pb::ForwardVerificationRequestResponse, ApiError> {
    let caller = caller(&request)?.clone();
    let request = request.into_inner();
    // Stored to the microsecond (PostgreSQL): events say what the rows say.
    let now = context.clock.now().trunc_subsecs(6);
    let mut check = Violations::new();
    let id = check.required_id("verification_id", &request.verification_id);
    let to_unit = request.to_unit.trim().to_owned();
    if units::police_unit(context, &to_unit).is_none() {
        check.add("to_unit", "is not a police unit of units.toml");
    }
    let reason = check.optional_text("reason", &request.reason, MAX_REASON);
    check.finish()?;
    idempotency::run(
        context,
        &caller,
        "/relief.identity.v1.IdentityQueryService/ForwardVerificationRequest",
        &request.request_id,
        &request,
        async |tx| {
            let mut row = addressed_request(tx, &caller, &id).await?;
            if row.is_closed() {
                return Err(ApiError::failed_precondition(
                    CLOSED,
                    "the request is answered or withdrawn: there is nothing to forward",
                ));
            }
            if to_unit == row.police_unit {
                return Err(ApiError::failed_precondition(
                    FORWARD_TO_SAME_UNIT,
                    "the request is already addressed to that unit",
                ));
            }
            let from_unit = std::mem::replace(&mut row.police_unit, to_unit.clone());
            store::update(tx, &row).await?;
            store::insert_forwarding(tx, &row.id, &from_unit, &to_unit, now, &reason).await?;
            let division = division_now(tx, &row).await?;
            append(
                tx,
                now,
                &pb::VerificationForwarded {
                    verification_id: row.id.clone(),
                    division,
                    from_unit,
                    to_unit: to_unit.clone(),
                    forwarded_at: Some(timestamp(now)),
                },
            )
            .await?;
            Ok(pb::ForwardVerificationRequestResponse {
                verification: Some(response_of(tx, &row.id, now).await?),
            })
        },
    )
    .await
}
