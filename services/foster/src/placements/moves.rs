//! `MoveResident`: civil affairs covering the case's division moves a resident to another
//! institution. The placement ends as MOVED ([`end_in_tx`]) and a new ACTIVE one continues the
//! stay (same case, classification and sending station; `previous_placement_id`), placed at the
//! move; the new institution must pass the rules of [`super::choice`]. Intake keeps the case in
//! foster care: PlacementEnded (MOVED) then ResidentPlaced, in that order. The move is dated in
//! the current local month (FAILED_PRECONDITION [`super::END_IN_CLOSED_MONTH`] otherwise, as
//! every end: the new placement starts in the current month, so no clock of a closed month is
//! scheduled).

use chrono::SubsecRound;
use relief_proto::foster::v1 as pb;
use relief_runtime::db::Conn;
use relief_runtime::events::append;
use relief_runtime::validate::Violations;
use relief_runtime::{ApiError, ServiceContext, caller, idempotency};
use tonic::Request;

use super::approve::resident_placed;
use super::end::{instant_or_now, not_active, refuse_closed_month};
use super::store::{self, PlacementRow, status};
use super::{Ending, MAX_TEXT, SAME_INSTITUTION, choice, end_in_tx, fetch_visible};
use crate::institutions::store as institution_store;
use crate::institutions::{refuse_read_only, today};

/// `MoveResident` (civil affairs).
pub async fn move_resident(
    context: &ServiceContext,
    request: Request<pb::MoveResidentRequest>,
) -> Result<pb::MoveResidentResponse, ApiError> {
    let caller = caller(&request)?.clone();
    refuse_read_only(&caller)?;
    let request = request.into_inner();
    let now = context.clock.now().trunc_subsecs(6);
    let mut check = Violations::new();
    let id = check.required_id("placement_id", &request.placement_id);
    let institution_id = check.required_id("institution_id", &request.institution_id);
    let justification = check.optional_text("justification", &request.justification, MAX_TEXT);
    let moved_at = instant_or_now(&mut check, "moved_at", request.moved_at.as_ref(), now);
    check.finish()?;
    idempotency::run(
        context,
        &caller,
        "/relief.foster.v1.FosterSupervisionService/MoveResident",
        &request.request_id,
        &request,
        async |tx| {
            super::lock(tx, &id).await?;
            let current = fetch_visible(Conn::Tx(tx), &caller, &id).await?;
            if !current.is_active() {
                return Err(not_active(&current));
            }
            if current.institution() == institution_id {
                return Err(ApiError::failed_precondition(
                    SAME_INSTITUTION,
                    "the resident is already in this institution",
                ));
            }
            if current
                .placed_at
                .is_some_and(|placed_at| moved_at < placed_at)
            {
                return Err(ApiError::invalid_field(
                    "moved_at",
                    "must not be before the placement",
                ));
            }
            refuse_closed_month(moved_at, now)?;
            institution_store::lock(tx, &institution_id).await?;
            let institution = institution_store::fetch(Conn::Tx(tx), &institution_id)
                .await?
                .ok_or(ApiError::NotFound {
                    what: "institution",
                })?;
            let agreement = choice::check(
                tx,
                now,
                today(moved_at),
                &institution,
                &current,
                &justification,
                Some(current.institution()),
            )
            .await?;
            let next_id = uuid::Uuid::now_v7().to_string();
            let ended = end_in_tx(
                context,
                tx,
                now,
                &id,
                Ending {
                    kind: pb::PlacementEndKind::Moved,
                    ended_at: moved_at,
                    destination_division: None,
                    notes: None,
                    next: Some((next_id.clone(), institution.id.clone())),
                },
            )
            .await?;
            let placed = PlacementRow {
                id: next_id,
                status: status::ACTIVE,
                institution_id: Some(institution.id.clone()),
                institution_division: Some(institution.division.clone()),
                agreement_id: Some(agreement.id.clone()),
                justification: (!justification.is_empty()).then(|| justification.clone()),
                proposed_by: caller.unit.clone(),
                proposed_at: now,
                decided_by: Some(caller.unit.clone()),
                decided_at: Some(now),
                decline_reason: None,
                placed_at: Some(moved_at),
                ended_at: None,
                end_kind: None,
                destination_division: None,
                end_notes: None,
                next_placement_id: None,
                previous_placement_id: Some(ended.id.clone()),
                ..ended.clone()
            };
            store::insert(tx, &placed).await?;
            crate::fees::on_placed(context, tx, now, &placed).await?;
            crate::supervision::on_placed(context, tx, now, &placed).await?;
            append(tx, now, &resident_placed(&placed)).await?;
            Ok(pb::MoveResidentResponse {
                ended: Some(ended.to_proto()),
                placement: Some(placed.to_proto()),
            })
        },
    )
    .await
}
