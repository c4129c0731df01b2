//! `ApprovePlacement` and `DeclinePlacement`: civil affairs covering the case's division (the
//! province reads only; another county: NOT_FOUND) decides a proposed placement;
//! `WithdrawPlacement`: the sending station takes its proposal back (and a settlement does,
//! [`withdraw_in_tx`]). Approval
//! re-reads the case from intake before the transaction, then, holding the placement's
//! deadlines, the placement and the institution, checks the choice ([`super::choice`]) and
//! places the resident at once: the fee, visit and report clocks start (the hooks) and
//! ResidentPlaced tells intake.

use chrono::{DateTime, SubsecRound, Utc};
use relief_proto::foster::v1 as pb;
use relief_runtime::db::{Conn, Tx};
use relief_runtime::events::append;
use relief_runtime::time::timestamp;
use relief_runtime::validate::Violations;
use relief_runtime::{ApiError, Caller, ServiceContext, caller, idempotency};
use tonic::Request;

use super::intake_case::{self, IntakeCase};
use super::store::{self, PlacementRow, status};
use super::{CASE_NOT_IN_STATION, MAX_TEXT, PLACEMENT_NOT_PROPOSED, choice, fetch_visible, sees};
use crate::institutions::store as institution_store;
use crate::institutions::{refuse_read_only, today};

/// `ApprovePlacement` (civil affairs).
pub async fn approve(
    context: &ServiceContext,
    request: Request<pb::ApprovePlacementRequest>,
) -> Result<pb::ApprovePlacementResponse, ApiError> {
    let caller = caller(&request)?.clone();
    refuse_read_only(&caller)?;
    let request = request.into_inner();
    let now = context.clock.now().trunc_subsecs(6);
    let mut check = Violations::new();
    let id = check.required_id("placement_id", &request.placement_id);
    let institution_id = check.required_id("institution_id", &request.institution_id);
    let justification = check.optional_text("justification", &request.justification, MAX_TEXT);
    check.finish()?;
    idempotency::parse_request_id(&request.request_id)?;
    // The case as intake has it now, read before the transaction; judged inside it, so a retry
    // returns the first answer.
    let mut case = Some(case_of_proposal(context, &caller, &id).await);
    idempotency::run(
        context,
        &caller,
        "/relief.foster.v1.FosterSupervisionService/ApprovePlacement",
        &request.request_id,
        &request,
        async |tx| {
            let mut row = lock_proposed(tx, &caller, &id).await?;
            require_in_station(&row, case.take().unwrap_or(Ok(None))?)?;
            institution_store::lock(tx, &institution_id).await?;
            let institution = institution_store::fetch(Conn::Tx(tx), &institution_id)
                .await?
                .ok_or(ApiError::NotFound {
                    what: "institution",
                })?;
            let agreement = choice::check(
                tx,
                now,
                today(now),
                &institution,
                &row,
                &justification,
                None,
            )
            .await?;
            row.status = status::ACTIVE;
            row.institution_id = Some(institution.id.clone());
            row.institution_division = Some(institution.division.clone());
            row.agreement_id = Some(agreement.id.clone());
            row.justification = (!justification.is_empty()).then(|| justification.clone());
            row.decided_by = Some(caller.unit.clone());
            row.decided_at = Some(now);
            row.placed_at = Some(now);
            store::update(tx, &row).await?;
            crate::fees::on_placed(context, tx, now, &row).await?;
            crate::supervision::on_placed(context, tx, now, &row).await?;
            append(
                tx,
                now,
                &pb::PlacementApproved {
                    placement_id: row.id.clone(),
                    case_id: row.case_id.clone(),
                    division: row.division.clone(),
                    institution_id: institution.id.clone(),
                    government_run: institution.government_run,
                    justified: row.justification.is_some(),
                    approved_by: caller.unit.clone(),
                    approved_at: Some(timestamp(now)),
                },
            )
            .await?;
            append(tx, now, &resident_placed(&row)).await?;
            Ok(pb::ApprovePlacementResponse {
                placement: Some(row.to_proto()),
            })
        },
    )
    .await
}

/// `DeclinePlacement` (civil affairs).
pub async fn decline(
    context: &ServiceContext,
    request: Request<pb::DeclinePlacementRequest>,
) -> Result<pb::DeclinePlacementResponse, ApiError> {
    let caller = caller(&request)?.clone();
    refuse_read_only(&caller)?;
    let request = request.into_inner();
    let now = context.clock.now().trunc_subsecs(6);
    let mut check = Violations::new();
    let id = check.required_id("placement_id", &request.placement_id);
    let reason = check.required_text("reason", &request.reason, MAX_TEXT);
    check.finish()?;
    idempotency::run(
        context,
        &caller,
        "/relief.foster.v1.FosterSupervisionService/DeclinePlacement",
        &request.request_id,
        &request,
        async |tx| {
            let mut row = lock_proposed(tx, &caller, &id).await?;
            row.status = status::DECLINED;
            row.decided_by = Some(caller.unit.clone());
            row.decided_at = Some(now);
            row.decline_reason = Some(reason.clone());
            store::update(tx, &row).await?;
            append(
                tx,
                now,
                &pb::PlacementDeclined {
                    placement_id: row.id.clone(),
                    case_id: row.case_id.clone(),
                    division: row.division.clone(),
                    declined_at: Some(timestamp(now)),
                },
            )
            .await?;
            Ok(pb::DeclinePlacementResponse {
                placement: Some(row.to_proto()),
            })
        },
    )
    .await
}

/// `WithdrawPlacement` (the sending station).
pub async fn withdraw(
    context: &ServiceContext,
    request: Request<pb::WithdrawPlacementRequest>,
) -> Result<pb::WithdrawPlacementResponse, ApiError> {
    let caller = caller(&request)?.clone();
    let request = request.into_inner();
    let now = context.clock.now().trunc_subsecs(6);
    let mut check = Violations::new();
    let id = check.required_id("placement_id", &request.placement_id);
    let reason = check.required_text("reason", &request.reason, MAX_TEXT);
    check.finish()?;
    idempotency::run(
        context,
        &caller,
        "/relief.foster.v1.FosterSupervisionService/WithdrawPlacement",
        &request.request_id,
        &request,
        async |tx| {
            let mut row = lock_proposed(tx, &caller, &id).await?;
            withdraw_in_tx(tx, now, &mut row, Some(&caller.unit), &reason).await?;
            Ok(pb::WithdrawPlacementResponse {
                placement: Some(row.to_proto()),
            })
        },
    )
    .await
}

/// Withdraws the proposed placement `row`, locked by the caller (its deadlines, then the row):
/// WITHDRAWN by station `by` (`None`: a settlement) for `reason`, and PlacementWithdrawn, on
/// which intake clears the case's proposal.
pub async fn withdraw_in_tx(
    tx: &mut Tx,
    now: DateTime<Utc>,
    row: &mut PlacementRow,
    by: Option<&str>,
    reason: &str,
) -> Result<(), ApiError> {
    row.status = status::WITHDRAWN;
    row.decided_by = by.map(str::to_owned);
    row.decided_at = Some(now);
    row.decline_reason = Some(reason.to_owned());
    store::update(tx, row).await?;
    append(
        tx,
        now,
        &pb::PlacementWithdrawn {
            placement_id: row.id.clone(),
            case_id: row.case_id.clone(),
            division: row.division.clone(),
            withdrawn_by: by.unwrap_or_default().to_owned(),
            reason: reason.to_owned(),
            withdrawn_at: Some(timestamp(now)),
        },
    )
    .await?;
    Ok(())
}

/// ResidentPlaced for the ACTIVE placement `row` (approved or made by a move).
pub(super) fn resident_placed(row: &PlacementRow) -> pb::ResidentPlaced {
    pb::ResidentPlaced {
        placement_id: row.id.clone(),
        case_id: row.case_id.clone(),
        station: row.station.clone(),
        division: row.division.clone(),
        institution_id: row.institution().to_owned(),
        institution_division: row.institution_division.clone().unwrap_or_default(),
        placed_at: row.placed_at.map(timestamp),
        previous_placement_id: row.previous_placement_id.clone().unwrap_or_default(),
        self_care: row.self_care,
        age_group: row.age_group,
        special_group: row.special_group,
    }
}

/// Intake's case of placement `id` if `caller` sees a proposed placement `id` (`None` when
/// there is nothing to decide: the transaction answers that).
async fn case_of_proposal(
    context: &ServiceContext,
    caller: &Caller,
    id: &str,
) -> Result<Option<IntakeCase>, ApiError> {
    match store::fetch(Conn::Db(&context.db), id).await? {
        Some(row) if sees(caller, &row) && row.status == status::PROPOSED => {
            intake_case::of_placement(context, &row).await
        }
        _ => Ok(None),
    }
}

/// Locks placement `id` (its deadlines first) and reads it: NOT_FOUND outside `caller`'s
/// scope, PLACEMENT_NOT_PROPOSED unless proposed.
async fn lock_proposed(tx: &mut Tx, caller: &Caller, id: &str) -> Result<PlacementRow, ApiError> {
    super::lock(tx, id).await?;
    let row = fetch_visible(Conn::Tx(tx), caller, id).await?;
    if row.status != status::PROPOSED {
        return Err(ApiError::failed_precondition(
            PLACEMENT_NOT_PROPOSED,
            format!(
                "the placement is {}, not proposed",
                pb::PlacementStatus::try_from(row.status)
                    .unwrap_or_default()
                    .as_str_name()
            ),
        ));
    }
    Ok(row)
}

/// CASE_NOT_IN_STATION unless intake has the case of `row` in the station, and UNAVAILABLE until
/// intake shows the proposal ([`IntakeCase::require_proposal_of`]).
fn require_in_station(row: &PlacementRow, case: Option<IntakeCase>) -> Result<(), ApiError> {
    match case {
        Some(case) if case.case_id == row.case_id => case.require_proposal_of(&row.id),
        _ => Err(ApiError::failed_precondition(
            CASE_NOT_IN_STATION,
            format!(
                "intake no longer has case {} in the station",
                row.case_number
            ),
        )),
    }
}
