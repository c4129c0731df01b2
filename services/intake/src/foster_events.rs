//! What intake does with the foster service's feed ("Who owns a stay"): intake owns the case,
//! foster the placement; the case follows the placement.
//!
//! - `ResidentPlaced`: the case, in the station, goes into foster care under the placement and
//!   its institution (the institution then sees the case: [`crate::cases::sees`]). For a move,
//!   the case under the previous placement follows it to the new one.
//! - `PlacementEnded` of the case's current placement:
//!   - BACK_TO_STATION: the case is in the station again (placement cleared; a stay already
//!     past its 10-day instant is flagged at the return: [`crate::cases`]'s `stay`);
//!   - MOVED: the case stays in foster care under `next_placement_id` and
//!     `next_institution_id` (foster appends this end, then the new placement's ResidentPlaced,
//!     which completes the institution's division);
//!   - RETURNED_HOME, SETTLED, STATE_SUPPORT, DEATH, MISSING: the case closes with that
//!     departure at `ended_at`, through intake's departure path
//!     ([`crate::departure::close_placement_ended`]: CaseClosed, the case's deadlines cancelled,
//!     the follow-up of a return home for the destination county).
//!
//! - `PlacementProposed`: the case, in the station, records the proposal
//!   (`proposed_placement_id`): the station cannot discharge it while foster may still place it;
//!   foster approves only a proposal intake shows (so a case is never placed after it left).
//!   `PlacementDeclined` and `PlacementWithdrawn` clear it; `ResidentPlaced` and the case's
//!   closing clear it too.
//!
//! Every placement intake learns of is kept with its end (`case_placements`): an event about a
//! placement that ended already, or that is not the case's current one, changes nothing, and
//! the 10-day flag asks where the person was at its instant ([`in_foster_care_at`]). Each
//! handler is idempotent: applied again, it changes nothing more, whichever of a move's two
//! events came first. Every change locks the case's deadlines before reading the case (the
//! departure path's lock order). Every other event of the feed is ignored.

mod store;

use chrono::{DateTime, SubsecRound, Utc};
use relief_proto::foster::v1 as pb;
use relief_proto::intake::v1 as intake;
use relief_runtime::db::Tx;
use relief_runtime::events::consumer::{EventHandler, Prepared, ReceivedEvent};
use relief_runtime::{ApiError, ServiceContext};

use crate::cases::{self, CaseConn, StoredCase};
use crate::departure::{self, FeedDeparture};
use store::{Placed, PlacementRecord};

/// The handler of foster's feed.
#[derive(Debug)]
pub struct FosterEvents {
    context: ServiceContext,
}

impl FosterEvents {
    /// The handler over the service context (clock, rules, units).
    pub fn new(context: &ServiceContext) -> Self {
        FosterEvents {
            context: context.clone(),
        }
    }
}

#[tonic::async_trait]
impl EventHandler for FosterEvents {
    async fn apply(
        &self,
        tx: &mut Tx,
        event: &ReceivedEvent,
        _prepared: Prepared,
    ) -> Result<(), ApiError> {
        let now = self.context.clock.now();
        if let Some(placed) = event.decode::<pb::ResidentPlaced>()? {
            return resident_placed(tx, &placed).await;
        }
        if let Some(ended) = event.decode::<pb::PlacementEnded>()? {
            return placement_ended(&self.context, tx, now, &ended).await;
        }
        if let Some(proposed) = event.decode::<pb::PlacementProposed>()? {
            return proposal(tx, &proposed.case_id, &proposed.placement_id, true).await;
        }
        if let Some(declined) = event.decode::<pb::PlacementDeclined>()? {
            return proposal(tx, &declined.case_id, &declined.placement_id, false).await;
        }
        if let Some(withdrawn) = event.decode::<pb::PlacementWithdrawn>()? {
            return proposal(tx, &withdrawn.case_id, &withdrawn.placement_id, false).await;
        }
        Ok(())
    }
}

/// Whether the person of case `case_id` was in foster care at `instant` (the 10-day flag).
pub(crate) async fn in_foster_care_at(
    tx: &mut Tx,
    case_id: &str,
    instant: DateTime<Utc>,
) -> Result<bool, ApiError> {
    Ok(store::in_care_at(tx, case_id, instant).await?)
}

/// The instant of a required timestamp of a foster event (foster always sets it; a missing one
/// is a fault, retried until fixed rather than applied wrongly), in microseconds.
fn event_instant(
    field: &str,
    value: Option<&prost_types::Timestamp>,
) -> Result<DateTime<Utc>, ApiError> {
    relief_runtime::time::instant(field, value)
        .map(|at| at.trunc_subsecs(6))
        .map_err(|_| ApiError::internal(format!("foster event without a valid {field}")))
}

/// The case `case_id` with its deadlines locked first; None when intake does not have it (foster
/// read every case it places from intake: nothing to follow).
async fn locked_case(tx: &mut Tx, case_id: &str) -> Result<Option<StoredCase>, ApiError> {
    departure::lock_case_deadlines(tx, case_id).await?;
    Ok(cases::fetch_case(CaseConn::Tx(tx), case_id).await?)
}

fn is_in_foster_care(row: &StoredCase) -> bool {
    row.status == intake::CaseStatus::InFosterCare as i32
}

/// An update of the case that the locks make certain; failing it is a fault (retried).
fn changed(done: bool, case_id: &str) -> Result<(), ApiError> {
    if done {
        Ok(())
    } else {
        Err(ApiError::internal(format!(
            "case {case_id} changed while its deadlines were locked"
        )))
    }
}

/// PlacementProposed (`proposed` true): the case, in the station, records the proposal;
/// PlacementDeclined or PlacementWithdrawn (`proposed` false): the case clears it if it is that
/// one. A case no longer in the station is left as it is, and so is a proposal intake saw
/// placed already (a feed applied again: it is history).
async fn proposal(
    tx: &mut Tx,
    case_id: &str,
    placement_id: &str,
    proposed: bool,
) -> Result<(), ApiError> {
    if locked_case(tx, case_id).await?.is_none() {
        return Ok(());
    }
    if proposed && store::fetch(tx, placement_id).await?.is_some() {
        return Ok(());
    }
    Ok(store::set_proposed(tx, case_id, placement_id, proposed).await?)
}

/// ResidentPlaced: the case goes into (or, for a move, stays in) foster care under the
/// placement.
async fn resident_placed(tx: &mut Tx, event: &pb::ResidentPlaced) -> Result<(), ApiError> {
    let placed_at = event_instant("placed_at", event.placed_at.as_ref())?;
    let Some(row) = locked_case(tx, &event.case_id).await? else {
        return Ok(());
    };
    let known = store::fetch(tx, &event.placement_id).await?;
    store::record(
        tx,
        &PlacementRecord {
            placement_id: event.placement_id.clone(),
            case_id: row.id.clone(),
            institution_id: event.institution_id.clone(),
            institution_division: event.institution_division.clone(),
            placed_at,
            ended_at: None,
            end_kind: None,
        },
    )
    .await?;
    if known.is_some_and(|known| known.ended_at.is_some()) {
        // The placement ended already: this one is late news.
        return Ok(());
    }
    let placed = Placed {
        placement_id: &event.placement_id,
        institution_id: &event.institution_id,
        institution_division: Some(event.institution_division.as_str())
            .filter(|division| !division.is_empty()),
    };
    let current = row.placement_id.as_deref();
    let from = if row.status == intake::CaseStatus::InStation as i32 {
        // Placed from the station.
        (intake::CaseStatus::InStation, None)
    } else if is_in_foster_care(&row)
        && (current == Some(event.placement_id.as_str())
            || (!event.previous_placement_id.is_empty()
                && current == Some(event.previous_placement_id.as_str())))
    {
        // Applied again, a move whose PlacementEnded came first (the division is completed), or
        // a move whose ResidentPlaced comes first: the case follows to this placement.
        (intake::CaseStatus::InFosterCare, current)
    } else {
        // Closed, or in foster care under another placement: not this placement's case any more.
        return Ok(());
    };
    changed(
        store::set_placement(tx, &row.id, from, Some(&placed)).await?,
        &row.id,
    )
}

/// PlacementEnded: the case follows the end of its current placement.
async fn placement_ended(
    context: &ServiceContext,
    tx: &mut Tx,
    now: DateTime<Utc>,
    event: &pb::PlacementEnded,
) -> Result<(), ApiError> {
    let ended_at = event_instant("ended_at", event.ended_at.as_ref())?;
    let kind = pb::PlacementEndKind::try_from(event.kind)
        .map_err(|_| ApiError::internal("PlacementEnded with an unknown kind"))?;
    let Some(row) = locked_case(tx, &event.case_id).await? else {
        return Ok(());
    };
    store::end(tx, &event.placement_id, ended_at, kind as i32).await?;
    if !is_in_foster_care(&row) || row.placement_id.as_deref() != Some(event.placement_id.as_str())
    {
        // Not the case's current placement (applied before, or a move's new placement is
        // current already): nothing follows.
        return Ok(());
    }
    let current = (
        intake::CaseStatus::InFosterCare,
        Some(event.placement_id.as_str()),
    );
    let departure = |kind: intake::DepartureKind, destination: Option<String>| FeedDeparture {
        kind,
        departed_at: ended_at,
        destination_division: destination,
        notes: format!("placement {} ended", event.placement_id),
    };
    let departure = match kind {
        pb::PlacementEndKind::Moved => return moved(tx, &row, event, ended_at, current).await,
        pb::PlacementEndKind::BackToStation => {
            changed(
                store::set_placement(tx, &row.id, current, None).await?,
                &row.id,
            )?;
            return cases::schedule_after_foster_care(tx, now, &row, &event.placement_id, ended_at)
                .await;
        }
        pb::PlacementEndKind::ReturnedHome => {
            // The follow-up goes to the destination county; foster requires it, the case's
            // origin stands in for a missing one.
            let destination = [
                event.destination_division.trim(),
                row.origin_division.as_str(),
                row.division.as_str(),
            ]
            .into_iter()
            .find(|division| !division.is_empty())
            .unwrap_or_default()
            .to_owned();
            departure(intake::DepartureKind::ReturnedHome, Some(destination))
        }
        pb::PlacementEndKind::Settled => departure(intake::DepartureKind::Settled, None),
        pb::PlacementEndKind::StateSupport => departure(intake::DepartureKind::StateSupport, None),
        pb::PlacementEndKind::Death => departure(intake::DepartureKind::Death, None),
        pb::PlacementEndKind::Missing => departure(intake::DepartureKind::Missing, None),
        pb::PlacementEndKind::Unspecified => {
            return Err(ApiError::internal("PlacementEnded without a kind"));
        }
    };
    departure::close_placement_ended(context, tx, now, &row.id, &event.placement_id, departure)
        .await?;
    Ok(())
}

/// MOVED: the case stays in foster care under the next placement, placed at the move.
async fn moved(
    tx: &mut Tx,
    row: &StoredCase,
    event: &pb::PlacementEnded,
    ended_at: DateTime<Utc>,
    current: (intake::CaseStatus, Option<&str>),
) -> Result<(), ApiError> {
    if event.next_placement_id.is_empty() || event.next_institution_id.is_empty() {
        return Err(ApiError::internal(
            "PlacementEnded MOVED without the next placement",
        ));
    }
    // Its ResidentPlaced follows with the institution's division (and changes nothing else).
    store::record(
        tx,
        &PlacementRecord {
            placement_id: event.next_placement_id.clone(),
            case_id: row.id.clone(),
            institution_id: event.next_institution_id.clone(),
            institution_division: String::new(),
            placed_at: ended_at,
            ended_at: None,
            end_kind: None,
        },
    )
    .await?;
    let next = store::fetch(tx, &event.next_placement_id).await?;
    let division = next
        .as_ref()
        .map(|next| next.institution_division.as_str())
        .filter(|division| !division.is_empty());
    let placed = Placed {
        placement_id: &event.next_placement_id,
        institution_id: &event.next_institution_id,
        institution_division: division,
    };
    changed(
        store::set_placement(tx, &row.id, current, Some(&placed)).await?,
        &row.id,
    )
}
