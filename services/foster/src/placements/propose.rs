//! `ProposePlacement`: the station proposes placing the person of its own case, in the station,
//! in foster care. The case is read from intake before the transaction (never an RPC inside
//! one); its answer is judged inside the idempotent call, so a retry returns the first answer
//! whatever the case has become since.

use chrono::SubsecRound;
use relief_proto::foster::v1 as pb;
use relief_runtime::db::Conn;
use relief_runtime::events::append;
use relief_runtime::time::timestamp;
use relief_runtime::validate::Violations;
use relief_runtime::{ApiError, ServiceContext, caller, idempotency};
use tonic::Request;

use super::store::{self, PlacementRow, status};
use super::{MAX_TEXT, PLACEMENT_ALREADY_OPEN, intake_case};

/// `ProposePlacement` (station).
pub async fn propose(
    context: &ServiceContext,
    request: Request<pb::ProposePlacementRequest>,
) -> Result<pb::ProposePlacementResponse, ApiError> {
    let caller = caller(&request)?.clone();
    let request = request.into_inner();
    let now = context.clock.now().trunc_subsecs(6);
    let mut check = Violations::new();
    let case_id = check.required_id("case_id", &request.case_id);
    let reason = check.required_enum("reason", pb::PlacementReason::try_from(request.reason));
    let reason_details = check.required_text("reason_details", &request.reason_details, MAX_TEXT);
    let self_care = check.required_enum("self_care", pb::SelfCare::try_from(request.self_care));
    check.finish()?;
    idempotency::parse_request_id(&request.request_id)?;
    let mut case = Some(intake_case::fetch(context, &case_id).await);
    idempotency::run(
        context,
        &caller,
        "/relief.foster.v1.FosterSupervisionService/ProposePlacement",
        &request.request_id,
        &request,
        async |tx| {
            // Another station's case is as unknown as a missing one.
            let case = case
                .take()
                .unwrap_or(Ok(None))?
                .filter(|case| case.station == caller.unit)
                .ok_or(ApiError::NotFound { what: "case" })?;
            case.require_in_station()?;
            if store::open_of_case(Conn::Tx(tx), &case.case_id)
                .await?
                .is_some()
            {
                return Err(already_open());
            }
            let row = PlacementRow {
                id: uuid::Uuid::now_v7().to_string(),
                case_id: case.case_id.clone(),
                case_number: case.case_number.clone(),
                station: case.station.clone(),
                division: case.division.clone(),
                status: status::PROPOSED,
                reason: reason as i32,
                reason_details: reason_details.clone(),
                self_care: self_care as i32,
                age_group: case.age_group(),
                special_group: case.special_group(),
                institution_id: None,
                institution_division: None,
                agreement_id: None,
                justification: None,
                proposed_by: caller.unit.clone(),
                proposed_at: now,
                decided_by: None,
                decided_at: None,
                decline_reason: None,
                placed_at: None,
                ended_at: None,
                end_kind: None,
                destination_division: None,
                end_notes: None,
                next_placement_id: None,
                previous_placement_id: None,
                identity_confirmed_at: None,
            };
            store::insert(tx, &row).await.map_err(|error| {
                // The partial unique index caught a concurrent proposal the read could not see.
                if matches!(&error, sqlx::Error::Database(db) if db.is_unique_violation()) {
                    already_open()
                } else {
                    error.into()
                }
            })?;
            append(
                tx,
                now,
                &pb::PlacementProposed {
                    placement_id: row.id.clone(),
                    case_id: row.case_id.clone(),
                    station: row.station.clone(),
                    division: row.division.clone(),
                    reason: row.reason,
                    proposed_at: Some(timestamp(now)),
                },
            )
            .await?;
            Ok(pb::ProposePlacementResponse {
                placement: Some(row.to_proto()),
            })
        },
    )
    .await
}

fn already_open() -> ApiError {
    ApiError::failed_precondition(
        PLACEMENT_ALREADY_OPEN,
        "the case already has a proposed or active placement",
    )
}
