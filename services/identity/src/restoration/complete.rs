//! `CompleteHouseholdRestoration`: the addressed police unit records the registration restored,
//! and where.
//!
//! Recording it again with the same division (a retry with a new request id, or a second
//! officer) answers the restoration unchanged and writes nothing: the fact is the same. With
//! another division it is RESTORATION_ALREADY_DONE: the first record stands.

use relief_proto::identity::v1 as pb;
use relief_runtime::db::Conn;
use relief_runtime::events::append;
use relief_runtime::time::timestamp;
use relief_runtime::validate::Violations;
use relief_runtime::{ApiError, ServiceContext, caller, idempotency};
use tonic::Request;

use super::store::{self, status};

/// The `FAILED_PRECONDITION` reason of a second completion with another division.
const RESTORATION_ALREADY_DONE: &str = "RESTORATION_ALREADY_DONE";

/// `CompleteHouseholdRestoration` (the addressed police unit).
pub async fn complete(
    context: &ServiceContext,
    request: Request<pb::CompleteHouseholdRestorationRequest>,
) -> Result<pb::CompleteHouseholdRestorationResponse, ApiError> {
    let caller = caller(&request)?.clone();
    let request = request.into_inner();
    let now = context.clock.now();
    let mut check = Violations::new();
    let mut warnings = Vec::new();
    let restoration_id = check.required_id("restoration_id", &request.restoration_id);
    let division = check.division(
        "restored_division",
        &request.restored_division,
        &mut warnings,
    );
    check.finish()?;
    idempotency::run(
        context,
        &caller,
        "/relief.identity.v1.IdentityQueryService/CompleteHouseholdRestoration",
        &request.request_id,
        &request,
        async |tx| {
            let not_found = || ApiError::NotFound {
                what: "household restoration",
            };
            let row = store::fetch(Conn::Tx(tx), &restoration_id)
                .await?
                .filter(|row| row.police_unit == caller.unit)
                .ok_or_else(not_found)?;
            let done = row.status == status::REQUESTED
                && store::complete(tx, &row.id, &division, now, &warnings.join("\n")).await?;
            let row = store::fetch(Conn::Tx(tx), &row.id)
                .await?
                .ok_or_else(not_found)?;
            if !done {
                // Restored before (or by a concurrent call): the same fact, or a conflict.
                if row.restored_division.as_deref() != Some(division.as_str()) {
                    return Err(ApiError::failed_precondition(
                        RESTORATION_ALREADY_DONE,
                        "the registration was already recorded as restored in another division",
                    ));
                }
                return Ok(pb::CompleteHouseholdRestorationResponse {
                    restoration: Some(row.to_proto()),
                });
            }
            append(
                tx,
                now,
                &pb::HouseholdRestored {
                    restoration_id: row.id.clone(),
                    case_id: row.case_id.clone(),
                    division: row.division.clone(),
                    police_unit: row.police_unit.clone(),
                    restored_at: Some(timestamp(now)),
                    restored_division: division.clone(),
                },
            )
            .await?;
            Ok(pb::CompleteHouseholdRestorationResponse {
                restoration: Some(row.to_proto()),
            })
        },
    )
    .await
}
