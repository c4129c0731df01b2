//! `EndPlacement` and [`end_in_tx`], the one way a placement ends (also `MoveResident` and the
//! identity feed's settlement): the placement's deadlines and row are locked, the fee and the
//! visit and report clocks stop (the hooks, with the ENDED row), and PlacementEnded tells
//! intake to close, reopen or (moved) keep the case.

use chrono::{DateTime, SubsecRound, Utc};
use relief_proto::foster::v1 as pb;
use relief_runtime::db::{Conn, Tx};
use relief_runtime::events::append;
use relief_runtime::time::timestamp;
use relief_runtime::validate::Violations;
use relief_runtime::{ApiError, ServiceContext, caller, idempotency};
use tonic::Request;

use super::store::{self, PlacementRow, status};
use super::{END_IN_CLOSED_MONTH, Ending, MAX_TEXT, PLACEMENT_NOT_ACTIVE, fetch_visible};
use crate::institutions::refuse_read_only;

/// Ends the active placement `id` inside `tx` at `now`: locks its deadlines and row, checks it
/// is active (FAILED_PRECONDITION PLACEMENT_NOT_ACTIVE otherwise), that the end is neither
/// before the placement nor after `now` (INVALID_ARGUMENT on `ended_at`) and that it is in the
/// current local month (FAILED_PRECONDITION [`END_IN_CLOSED_MONTH`], see [`refuse_closed_month`]:
/// [product] a month closes at its end, so the outcome depends only on `now`, the recording
/// instant, never on when the sweeper fired the closed month's deadlines), stores the end, stops
/// the fee (the last months are assessed: `crate::fees::on_ended`) and the visit and report
/// clocks (`crate::supervision::on_ended`), and appends PlacementEnded. Returns the ended row.
pub async fn end_in_tx(
    context: &ServiceContext,
    tx: &mut Tx,
    now: DateTime<Utc>,
    id: &str,
    ending: Ending,
) -> Result<PlacementRow, ApiError> {
    super::lock(tx, id).await?;
    let mut row = store::fetch(Conn::Tx(tx), id)
        .await?
        .ok_or(ApiError::NotFound { what: "placement" })?;
    if !row.is_active() {
        return Err(not_active(&row));
    }
    let ended_at = ending.ended_at.trunc_subsecs(6);
    if ended_at > now {
        return Err(ApiError::invalid_field(
            "ended_at",
            "must not be in the future",
        ));
    }
    refuse_closed_month(ended_at, now)?;
    if let Some(placed_at) = row.placed_at
        && ended_at < placed_at
    {
        return Err(ApiError::invalid_field(
            "ended_at",
            format!(
                "must not be before the placement ({})",
                placed_at.to_rfc3339()
            ),
        ));
    }
    let (next_placement_id, next_institution_id) = ending.next.unzip();
    row.status = status::ENDED;
    row.ended_at = Some(ended_at);
    row.end_kind = Some(ending.kind as i32);
    row.destination_division = ending.destination_division;
    row.end_notes = ending.notes.filter(|notes| !notes.is_empty());
    row.next_placement_id = next_placement_id;
    store::update(tx, &row).await?;
    crate::fees::on_ended(context, tx, now, &row).await?;
    crate::supervision::on_ended(context, tx, now, &row).await?;
    append(
        tx,
        now,
        &pb::PlacementEnded {
            placement_id: row.id.clone(),
            case_id: row.case_id.clone(),
            division: row.division.clone(),
            institution_id: row.institution().to_owned(),
            kind: ending.kind as i32,
            ended_at: Some(timestamp(ended_at)),
            destination_division: row.destination_division.clone().unwrap_or_default(),
            next_placement_id: row.next_placement_id.clone().unwrap_or_default(),
            next_institution_id: next_institution_id.unwrap_or_default(),
        },
    )
    .await?;
    Ok(row)
}

/// FAILED_PRECONDITION [`END_IN_CLOSED_MONTH`] if `at` (an end or a move) is before 00:00 local
/// of the first day of the local month of `now` ([product] a month closes at its end: its
/// month-end deadlines (fees, visits, reports) have fired and are never revisited, and a move's
/// new placement starts in the current month).
pub(super) fn refuse_closed_month(at: DateTime<Utc>, now: DateTime<Utc>) -> Result<(), ApiError> {
    let month_start = relief_legal::calendar_month(now).0;
    if at < month_start {
        return Err(ApiError::failed_precondition(
            END_IN_CLOSED_MONTH,
            format!(
                "the month closed at its end: record the end from the first of this month ({}) \
                 and give the actual time in the notes",
                month_start
                    .with_timezone(&relief_legal::china())
                    .to_rfc3339()
            ),
        ));
    }
    Ok(())
}

/// FAILED_PRECONDITION PLACEMENT_NOT_ACTIVE naming where `row` stands.
pub(super) fn not_active(row: &PlacementRow) -> ApiError {
    ApiError::failed_precondition(
        PLACEMENT_NOT_ACTIVE,
        format!(
            "the placement is {}, not active",
            pb::PlacementStatus::try_from(row.status)
                .unwrap_or_default()
                .as_str_name()
        ),
    )
}

/// A requested instant (`field`), `now` if absent; not in the future.
pub(super) fn instant_or_now(
    check: &mut Violations,
    field: &str,
    value: Option<&prost_types::Timestamp>,
    now: DateTime<Utc>,
) -> DateTime<Utc> {
    let Some(value) = value else {
        return now;
    };
    match relief_runtime::time::instant(field, Some(value)) {
        Ok(instant) if instant.trunc_subsecs(6) > now => {
            check.add(field, "must not be in the future");
            now
        }
        Ok(instant) => instant.trunc_subsecs(6),
        Err(_) => {
            check.add(field, "is not a valid timestamp");
            now
        }
    }
}

/// `EndPlacement` (the sending station, or civil affairs covering the case's division).
pub async fn end(
    context: &ServiceContext,
    request: Request<pb::EndPlacementRequest>,
) -> Result<pb::EndPlacementResponse, ApiError> {
    let caller = caller(&request)?.clone();
    refuse_read_only(&caller)?;
    let request = request.into_inner();
    let now = context.clock.now().trunc_subsecs(6);
    let mut check = Violations::new();
    let id = check.required_id("placement_id", &request.placement_id);
    let kind = check.required_enum("kind", pb::PlacementEndKind::try_from(request.kind));
    if kind == pb::PlacementEndKind::Moved {
        check.add("kind", "MOVED is recorded with MoveResident");
    }
    let destination = request.destination_division.trim();
    let destination_division = if kind == pb::PlacementEndKind::ReturnedHome {
        let mut warnings = Vec::new();
        Some(check.division("destination_division", destination, &mut warnings))
    } else {
        if !destination.is_empty() {
            check.add("destination_division", "is only for RETURNED_HOME");
        }
        None
    };
    let ended_at = instant_or_now(&mut check, "ended_at", request.ended_at.as_ref(), now);
    let notes = check.optional_text("notes", &request.notes, MAX_TEXT);
    check.finish()?;
    idempotency::run(
        context,
        &caller,
        "/relief.foster.v1.FosterSupervisionService/EndPlacement",
        &request.request_id,
        &request,
        async |tx| {
            fetch_visible(Conn::Tx(tx), &caller, &id).await?;
            let row = end_in_tx(
                context,
                tx,
                now,
                &id,
                Ending {
                    kind,
                    ended_at,
                    destination_division: destination_division.clone(),
                    notes: Some(notes.clone()),
                    next: None,
                },
            )
            .await?;
            Ok(pb::EndPlacementResponse {
                placement: Some(row.to_proto()),
            })
        },
    )
    .await
}
