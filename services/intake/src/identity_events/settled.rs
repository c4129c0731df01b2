//! An approved settlement (SettlementDecided) ends the stay of a person in the station: the case
//! closes as settled (安置), or as taken into state support (特困供养) when it was granted, at the
//! decision time, through intake's discharge path (CaseClosed and its effects). A person in
//! foster care stays: foster ends the placement and intake closes the case on PlacementEnded. A
//! closed case (or a second delivery) changes nothing; a rejection changes nothing.

use chrono::{DateTime, Utc};
use relief_proto::identity::v1 as pb;
use relief_proto::intake::v1 as intake;
use relief_runtime::db::Tx;
use relief_runtime::{ApiError, ServiceContext};

use crate::departure::close_settled;

/// Applies `event`; `occurred_at` stands in for a missing decision time.
pub async fn apply(
    context: &ServiceContext,
    tx: &mut Tx,
    event: &pb::SettlementDecided,
    occurred_at: DateTime<Utc>,
) -> Result<(), ApiError> {
    if !event.approved {
        return Ok(());
    }
    let kind = if event.state_support {
        intake::DepartureKind::StateSupport
    } else {
        intake::DepartureKind::Settled
    };
    let decided_at = event
        .decided_at
        .as_ref()
        .and_then(|at| relief_runtime::time::instant("decided_at", Some(at)).ok())
        .unwrap_or(occurred_at);
    let notes = format!(
        "settlement approved by civil affairs (application {})",
        event.application_id
    );
    // Identity learnt every case from this service's feed: a case missing here cannot be
    // settled here either; one not in the station (in foster care, or already closed) is left
    // alone. `close_settled` checks both after locking the case's deadlines.
    close_settled(
        context,
        tx,
        context.clock.now(),
        &event.case_id,
        kind,
        decided_at,
        notes,
    )
    .await?;
    Ok(())
}
