//! Placements (托养, plan §二(一)2, "Who owns a stay"): the station proposes, civil affairs
//! selects the institution and approves, the placement ends with a kind; intake's case follows
//! on ResidentPlaced and PlacementEnded.
//!
//! - [`propose`](mod@propose): `ProposePlacement` (the case read from intake: [`intake_case`]).
//! - [`approve`](mod@approve): `ApprovePlacement`, `DeclinePlacement`, `WithdrawPlacement`, with [`choice`] checking the
//!   institution (active, documents valid, agreement in force, beds, minors, the preference for
//!   government-run institutions).
//! - [`end`](mod@end): `EndPlacement` and [`end_in_tx`], the one way a placement ends (also used by
//!   `MoveResident` in [`moves`] and by the identity feed's settlement).
//! - [`reads`](mod@reads): `GetPlacement`, `ListPlacements`, in the caller's scope ([`sees`]).
//! - [`store`]: the table.
//!
//! Every deadline of a placement (visits, reports, fees) has the subject [`subject`]; every
//! change to a placement takes [`lock`]: the subject's deadlines before the placement row (the
//! sweeper's order).

mod approve;
pub mod choice;
mod end;
pub mod intake_case;
mod moves;
mod propose;
mod reads;
pub mod store;

use chrono::{DateTime, Utc};
use relief_proto::foster::v1 as pb;
use relief_runtime::db::{Conn, Tx};
use relief_runtime::deadlines;
use relief_runtime::{ApiError, Caller, CallerKind, scope};

use store::PlacementRow;

pub use approve::{approve, decline, withdraw, withdraw_in_tx};
pub use end::{end, end_in_tx};
pub use moves::move_resident;
pub use propose::propose;
pub use reads::{get, list};

/// The `FAILED_PRECONDITION` reason of a placement decision on a case intake no longer has in
/// the station (placed, closed).
pub const CASE_NOT_IN_STATION: &str = "CASE_NOT_IN_STATION";

/// The `FAILED_PRECONDITION` reason of a proposal for a case that already has a proposed or
/// active placement.
pub const PLACEMENT_ALREADY_OPEN: &str = "PLACEMENT_ALREADY_OPEN";

/// The `FAILED_PRECONDITION` reason of approving or declining a placement that is not proposed.
pub const PLACEMENT_NOT_PROPOSED: &str = "PLACEMENT_NOT_PROPOSED";

/// The `FAILED_PRECONDITION` reason of ending, moving (or visiting, reporting on) a placement
/// that is not active.
pub const PLACEMENT_NOT_ACTIVE: &str = "PLACEMENT_NOT_ACTIVE";

/// The `FAILED_PRECONDITION` reason of an end or move dated before the current local month
/// ([product] a month closes at its end): the month-end deadlines of a closed month (fees,
/// visits, reports) have fired and are never revisited, so an end dated in it would charge and
/// raise overdues twice, and the outcome would depend on when the sweeper ran. An end or move
/// may be dated from 00:00 local of the first day of the month of the recording instant; the
/// actual time of an earlier end goes into the notes.
pub const END_IN_CLOSED_MONTH: &str = "END_IN_CLOSED_MONTH";

/// The `FAILED_PRECONDITION` reason of moving a resident to the institution they are in.
pub const SAME_INSTITUTION: &str = "SAME_INSTITUTION";

/// The longest free text accepted (reason details, justification, decline reason, notes), in
/// characters.
pub const MAX_TEXT: usize = 2000;

/// The deadline and notification subject of placement `id`.
pub fn subject(id: &str) -> String {
    format!("placement/{id}")
}

/// Locks placement `id` for the rest of `tx` in the one lock order of a change to a placement:
/// its pending deadlines first (the sweeper's order: it claims a deadline, then its handler
/// reads the placement), then the row.
pub async fn lock(tx: &mut Tx, id: &str) -> Result<(), ApiError> {
    deadlines::lock_subject(tx, &subject(id)).await?;
    store::lock(tx, id).await?;
    Ok(())
}

/// Whether `caller` sees placement `row`: the institution holding (or having held) the resident;
/// the sending station; civil affairs and governments covering the case's division; services.
/// Anyone else gets NOT_FOUND.
pub fn sees(caller: &Caller, row: &PlacementRow) -> bool {
    match caller.kind {
        CallerKind::Foster => row.institution_id.as_deref() == Some(caller.unit.as_str()),
        CallerKind::Station => caller.unit == row.station,
        CallerKind::CivilAffairs | CallerKind::Government => {
            scope::covers(&caller.division, &row.division)
        }
        CallerKind::Service => true,
        _ => false,
    }
}

/// [`sees`] as a list filter, for every list of placements and of what hangs off them (fees,
/// visits, reports, incidents): the one translation of the rule into columns. Empty text means
/// "no restriction"; `division_pattern` is a `LIKE` pattern on the case's division.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListScope {
    /// Only this institution's (a foster caller).
    pub institution_id: String,
    /// Only those this station sent.
    pub station: String,
    /// Only cases of divisions matching this pattern (`%`: all).
    pub division_pattern: String,
}

impl ListScope {
    /// The scope of `caller` listing `what` (for the PERMISSION_DENIED message of a caller kind
    /// that reads no placements).
    pub fn of(caller: &Caller, what: &str) -> Result<ListScope, ApiError> {
        let mut scope = ListScope {
            institution_id: String::new(),
            station: String::new(),
            division_pattern: "%".to_owned(),
        };
        match caller.kind {
            CallerKind::Foster => scope.institution_id = caller.unit.clone(),
            CallerKind::Station => scope.station = caller.unit.clone(),
            CallerKind::CivilAffairs | CallerKind::Government => {
                scope.division_pattern = scope::like_pattern(&caller.division);
            }
            CallerKind::Service => {}
            other => {
                return Err(ApiError::PermissionDenied {
                    message: format!("a {other} caller may not list {what}"),
                });
            }
        }
        Ok(scope)
    }
}

/// Placement `id` if `caller` sees it; NOT_FOUND otherwise (missing and out of scope answer
/// the same).
pub async fn fetch_visible(
    conn: Conn<'_>,
    caller: &Caller,
    id: &str,
) -> Result<PlacementRow, ApiError> {
    store::fetch(conn, id)
        .await?
        .filter(|row| sees(caller, row))
        .ok_or(ApiError::NotFound { what: "placement" })
}

/// How a placement ends ([`end_in_tx`]).
#[derive(Debug, Clone)]
pub struct Ending {
    /// How (any kind; MOVED only from `MoveResident`).
    pub kind: pb::PlacementEndKind,
    /// When (not before the placement, not before the current local month
    /// ([`END_IN_CLOSED_MONTH`]), not after now).
    pub ended_at: DateTime<Utc>,
    /// For RETURNED_HOME.
    pub destination_division: Option<String>,
    /// Notes.
    pub notes: Option<String>,
    /// For MOVED: the placement that continues the stay, and its institution.
    pub next: Option<(String, String)>,
}
