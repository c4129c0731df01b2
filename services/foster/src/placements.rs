//! Placements (托养, plan §二(一)2, "Who owns a stay"): the station proposes, civil affairs
//! selects the institution and approves, the placement ends with a kind; intake's case follows
//! on ResidentPlaced and PlacementEnded.
//!
//! - [`propose`]: `ProposePlacement` (the case read from intake: [`intake_case`]).
//! - [`approve`]: `ApprovePlacement`, `DeclinePlacement`, with [`choice`] checking the
//!   institution (active, documents valid, agreement in force, beds, minors, the preference for
//!   government-run institutions).
//! - [`end`]: `EndPlacement` and [`end_in_tx`], the one way a placement ends (also used by
//!   `MoveResident` in [`moves`] and by the identity feed's settlement).
//! - [`reads`]: `GetPlacement`, `ListPlacements`, in the caller's scope ([`sees`]).
//! - [`store`]: the table.
//!
//! Every deadline of a placement (visits, reports, fees) has the subject [`subject`]; a change
//! that ends a placement locks the subject's deadlines before the placement row (the sweeper's
//! order).

pub mod store;

use chrono::{DateTime, Utc};
use relief_proto::foster::v1 as pb;
use relief_runtime::db::{Conn, Tx};
use relief_runtime::{ApiError, Caller, CallerKind, ServiceContext, scope};
use tonic::Request;

use store::PlacementRow;

/// The deadline and notification subject of placement `id`.
pub fn subject(id: &str) -> String {
    format!("placement/{id}")
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
    /// When (not before the placement, not after now).
    pub ended_at: DateTime<Utc>,
    /// For RETURNED_HOME.
    pub destination_division: Option<String>,
    /// Notes.
    pub notes: Option<String>,
    /// For MOVED: the placement that continues the stay, and its institution.
    pub next: Option<(String, String)>,
}

/// Ends the active placement `id` inside `tx` at `now`: locks its deadlines and row, checks it
/// is active (FAILED_PRECONDITION PLACEMENT_NOT_ACTIVE otherwise), stores the end, stops the
/// fee (the last months are assessed: `crate::fees::on_ended`) and the visit and report
/// clocks (`crate::supervision::on_ended`), and appends PlacementEnded. Returns the ended row.
pub async fn end_in_tx(
    context: &ServiceContext,
    tx: &mut Tx,
    now: DateTime<Utc>,
    id: &str,
    ending: Ending,
) -> Result<PlacementRow, ApiError> {
    let _ = (context, tx, now, id, ending);
    Err(unimplemented("end_in_tx"))
}

fn unimplemented(what: &str) -> ApiError {
    ApiError::Unimplemented {
        message: format!("{what} is not built yet"),
    }
}

/// `ProposePlacement`.
pub async fn propose(
    context: &ServiceContext,
    request: Request<pb::ProposePlacementRequest>,
) -> Result<pb::ProposePlacementResponse, ApiError> {
    let _ = (context, request);
    Err(unimplemented("ProposePlacement"))
}

/// `ApprovePlacement`.
pub async fn approve(
    context: &ServiceContext,
    request: Request<pb::ApprovePlacementRequest>,
) -> Result<pb::ApprovePlacementResponse, ApiError> {
    let _ = (context, request);
    Err(unimplemented("ApprovePlacement"))
}

/// `DeclinePlacement`.
pub async fn decline(
    context: &ServiceContext,
    request: Request<pb::DeclinePlacementRequest>,
) -> Result<pb::DeclinePlacementResponse, ApiError> {
    let _ = (context, request);
    Err(unimplemented("DeclinePlacement"))
}

/// `MoveResident`.
pub async fn move_resident(
    context: &ServiceContext,
    request: Request<pb::MoveResidentRequest>,
) -> Result<pb::MoveResidentResponse, ApiError> {
    let _ = (context, request);
    Err(unimplemented("MoveResident"))
}

/// `EndPlacement`.
pub async fn end(
    context: &ServiceContext,
    request: Request<pb::EndPlacementRequest>,
) -> Result<pb::EndPlacementResponse, ApiError> {
    let _ = (context, request);
    Err(unimplemented("EndPlacement"))
}

/// `GetPlacement`.
pub async fn get(
    context: &ServiceContext,
    request: Request<pb::GetPlacementRequest>,
) -> Result<pb::GetPlacementResponse, ApiError> {
    let _ = (context, request);
    Err(unimplemented("GetPlacement"))
}

/// `ListPlacements`.
pub async fn list(
    context: &ServiceContext,
    request: Request<pb::ListPlacementsRequest>,
) -> Result<pb::ListPlacementsResponse, ApiError> {
    let _ = (context, request);
    Err(unimplemented("ListPlacements"))
}
