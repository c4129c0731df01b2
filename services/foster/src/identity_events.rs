//! What foster does with the identity service's feed ("Who owns a stay"):
//!
//! - `IdentityConfirmed`: the case's active placement (if any) records `identity_confirmed_at`
//!   (the confirmation instant), and the sending station gets a tracked notification
//!   [`IDENTITY_CONFIRMED_NOTIFICATION`]: time to arrange the return home. Once per placement:
//!   a placement that has the instant already changes nothing.
//! - `SettlementDecided`, approved: the case's active placement (if any) ends through
//!   [`crate::placements::end_in_tx`] as SETTLED, or STATE_SUPPORT when state support was
//!   granted, at the decision instant clamped to `max(decided_at, start of the current local
//!   month, placed_at)`, never after now: a decision delivered after its month closed ends the
//!   placement on the 1st 00:00 local of the current month instead of failing (a month closes
//!   at its end, [`crate::placements::END_IN_CLOSED_MONTH`]: its fees and clocks are settled
//!   and never revisited); intake
//!   then closes the case on PlacementEnded. A rejection, or no active placement (the person is
//!   in the station: intake closes the case itself; or the placement ended already: a second
//!   delivery), changes nothing. A placement still proposed is withdrawn
//!   ([`crate::placements::withdraw_in_tx`], PlacementWithdrawn): the person is settled from
//!   the station.
//!
//! Neither event carries the identity, and neither handler needs it: nothing is asked of
//! identity. Every other event of the feed is ignored.

use chrono::{DateTime, SubsecRound, Utc};
use relief_proto::foster::v1 as pb;
use relief_proto::identity::v1 as identity;
use relief_runtime::db::{Conn, Tx};
use relief_runtime::events::consumer::{EventHandler, Prepared, ReceivedEvent};
use relief_runtime::notifications::{self, Tracked};
use relief_runtime::{ApiError, ServiceContext};

use crate::placements::store::{self, PlacementRow};
use crate::placements::{self, Ending};

/// The notification kind the sending station receives when a resident's identity is confirmed.
pub const IDENTITY_CONFIRMED_NOTIFICATION: &str = "IDENTITY_CONFIRMED_IN_FOSTER_CARE";

/// The handler of identity's feed.
#[derive(Debug)]
pub struct IdentityEvents {
    context: ServiceContext,
}

impl IdentityEvents {
    /// The handler over the service context.
    pub fn new(context: &ServiceContext) -> Self {
        IdentityEvents {
            context: context.clone(),
        }
    }
}

#[tonic::async_trait]
impl EventHandler for IdentityEvents {
    async fn apply(
        &self,
        tx: &mut Tx,
        event: &ReceivedEvent,
        _prepared: Prepared,
    ) -> Result<(), ApiError> {
        let now = self.context.clock.now().trunc_subsecs(6);
        if let Some(confirmed) = event.decode::<identity::IdentityConfirmed>()? {
            let at = instant_or(confirmed.confirmed_at.as_ref(), event.occurred_at);
            return identity_confirmed(&self.context, tx, now, &confirmed.case_id, at).await;
        }
        if let Some(decided) = event.decode::<identity::SettlementDecided>()? {
            let at = instant_or(decided.decided_at.as_ref(), event.occurred_at);
            return settlement_decided(&self.context, tx, now, &decided, at).await;
        }
        Ok(())
    }
}

/// The instant `value`, or `fallback` when it is missing, in microseconds.
fn instant_or(value: Option<&prost_types::Timestamp>, fallback: DateTime<Utc>) -> DateTime<Utc> {
    value
        .and_then(|at| relief_runtime::time::instant("at", Some(at)).ok())
        .unwrap_or(fallback)
        .trunc_subsecs(6)
}

/// The active placement of case `case_id`, if the person is in an institution now.
async fn active_placement(tx: &mut Tx, case_id: &str) -> Result<Option<PlacementRow>, ApiError> {
    Ok(store::open_of_case(Conn::Tx(tx), case_id)
        .await?
        .filter(PlacementRow::is_active))
}

/// IdentityConfirmed for case `case_id` at `confirmed_at`.
async fn identity_confirmed(
    context: &ServiceContext,
    tx: &mut Tx,
    now: DateTime<Utc>,
    case_id: &str,
    confirmed_at: DateTime<Utc>,
) -> Result<(), ApiError> {
    let Some(found) = active_placement(tx, case_id).await? else {
        return Ok(());
    };
    // Locked, then read again: a concurrent end or move is either seen here or waits.
    store::lock(tx, &found.id).await?;
    let Some(mut row) = store::fetch(Conn::Tx(tx), &found.id)
        .await?
        .filter(|row| row.is_active() && row.identity_confirmed_at.is_none())
    else {
        return Ok(());
    };
    // Recorded during the placement: not before it began (a confirmation that crossed the
    // approval), never after now.
    let placed_at = row.placed_at.unwrap_or(confirmed_at);
    row.identity_confirmed_at = Some(confirmed_at.min(now).max(placed_at));
    store::update(tx, &row).await?;
    let recipients = context
        .units
        .get(&row.station)
        .map(|unit| unit.caller())
        .into_iter()
        .collect();
    notifications::tracked(
        context,
        tx,
        now,
        Tracked {
            kind: IDENTITY_CONFIRMED_NOTIFICATION.to_owned(),
            subject: placements::subject(&row.id),
            division: row.division.clone(),
            summary: format!(
                "the identity of the resident of case {} (placement {}, institution {}) was \
                 confirmed: arrange the return home",
                row.case_number,
                row.id,
                row.institution()
            ),
            recipients,
        },
    )
    .await
}

/// A settlement approved while placement `id` was proposed: the proposal is withdrawn (intake
/// closes the case itself, the person being in the station).
async fn withdraw_proposal(
    tx: &mut Tx,
    now: DateTime<Utc>,
    id: &str,
    application_id: &str,
) -> Result<(), ApiError> {
    placements::lock(tx, id).await?;
    let Some(mut row) = store::fetch(Conn::Tx(tx), id)
        .await?
        .filter(|row| row.status == store::status::PROPOSED)
    else {
        return Ok(());
    };
    let reason = format!("settlement approved by civil affairs (application {application_id})");
    placements::withdraw_in_tx(tx, now, &mut row, None, &reason).await
}

/// SettlementDecided for its case, decided at `decided_at`.
async fn settlement_decided(
    context: &ServiceContext,
    tx: &mut Tx,
    now: DateTime<Utc>,
    event: &identity::SettlementDecided,
    decided_at: DateTime<Utc>,
) -> Result<(), ApiError> {
    if !event.approved {
        return Ok(());
    }
    let Some(row) = store::open_of_case(Conn::Tx(tx), &event.case_id).await? else {
        return Ok(());
    };
    if row.status == store::status::PROPOSED {
        return withdraw_proposal(tx, now, &row.id, &event.application_id).await;
    }
    let kind = if event.state_support {
        pb::PlacementEndKind::StateSupport
    } else {
        pb::PlacementEndKind::Settled
    };
    let placed_at = row.placed_at.unwrap_or(decided_at);
    // Not in a closed month (its fees and clocks are settled: END_IN_CLOSED_MONTH), not before
    // the placement (settled while in care), never after now (the month start and `placed_at`
    // are not after now either).
    let month_start = relief_legal::calendar_month(now).0;
    let ending = Ending {
        kind,
        ended_at: decided_at.min(now).max(month_start).max(placed_at),
        destination_division: None,
        notes: Some(format!(
            "settlement approved by civil affairs (application {})",
            event.application_id
        )),
        next: None,
    };
    placements::end_in_tx(context, tx, now, &row.id, ending).await?;
    Ok(())
}
