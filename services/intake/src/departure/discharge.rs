//! `DischargeCase`: the admitting station closes a case in the station with a departure (离站),
//! in one transaction with the case's status, the departure row, the cancellation of the
//! case's pending deadlines, the follow-up of a return home and `CaseClosed`.
//!
//! Lock order: every closing first locks the case's pending deadlines ([`lock_case_deadlines`]),
//! then reads and updates the case row. The sweeper takes them in that order too (it claims the
//! deadline row, then its handler, e.g. the 10-day flag, updates the case); a closing that
//! updated the case first and cancelled its deadlines after would deadlock with it on
//! PostgreSQL, and one of the two would fail.

use chrono::{DateTime, SubsecRound, Utc};
use relief_proto::intake::v1 as pb;
use relief_runtime::db::Tx;
use relief_runtime::deadlines;
use relief_runtime::events::append;
use relief_runtime::time::timestamp;
use relief_runtime::{ApiError, CallerKind, ServiceContext, caller, idempotency};
use tonic::Request;

use super::convert::{Departure, ReturnHome};
use super::store::{self, DepartureRow};
use super::{follow_up, minor};
use crate::cases::{self, CaseConn, StoredCase};
use crate::flags;

/// The `FAILED_PRECONDITION` reasons of `DischargeCase`.
const CASE_IN_FOSTER_CARE: &str = "CASE_IN_FOSTER_CARE";
const CASE_ALREADY_CLOSED: &str = "CASE_ALREADY_CLOSED";
const CASE_PLACEMENT_PROPOSED: &str = "CASE_PLACEMENT_PROPOSED";
const RELATIVE_ID_NOT_CHECKED: &str = "RELATIVE_ID_NOT_CHECKED";
const MINOR_NEEDS_GUARDIAN_OR_ESCORT: &str = "MINOR_NEEDS_GUARDIAN_OR_ESCORT";

/// `DischargeCase` (station, own cases).
pub async fn discharge(
    context: &ServiceContext,
    request: Request<pb::DischargeCaseRequest>,
) -> Result<pb::DischargeCaseResponse, ApiError> {
    let caller = caller(&request)?.clone();
    let request = request.into_inner();
    let now = context.clock.now();
    let departure = Departure::from_request(context, &caller, &request, now)?;
    idempotency::run(
        context,
        &caller,
        "/relief.intake.v1.IntakeService/DischargeCase",
        &request.request_id,
        &request,
        async |tx| {
            lock_case_deadlines(tx, &departure.case_id).await?;
            let row = cases::fetch_case(CaseConn::Tx(tx), &departure.case_id)
                .await?
                .filter(|row| caller.kind == CallerKind::Station && row.station == caller.unit)
                .ok_or(ApiError::NotFound { what: "case" })?;
            check(&row, &departure)?;
            let follow_up_id = close(context, tx, now, &caller.unit, &row, &departure)
                .await?
                .unwrap_or_default();
            let row = cases::fetch_case(CaseConn::Tx(tx), &departure.case_id)
                .await?
                .ok_or(ApiError::NotFound { what: "case" })?;
            let repeat_of = cases::repeat_of(CaseConn::Tx(tx), &row.id).await?;
            let mut case = cases::case_to_proto(&row, repeat_of);
            case.person_omitted = true;
            Ok(pb::DischargeCaseResponse {
                case: Some(case),
                follow_up_id,
            })
        },
    )
    .await
}

/// The rules that need the case: in the station, no placement proposed, a departure not before the admission, the
/// relatives' ID checked, a person under 16 with a guardian or an escort.
fn check(row: &StoredCase, departure: &Departure) -> Result<(), ApiError> {
    if row.status == pb::CaseStatus::InFosterCare as i32 {
        return Err(ApiError::failed_precondition(
            CASE_IN_FOSTER_CARE,
            "the person is in foster care: the end of the placement closes the case",
        ));
    }
    if row.status != pb::CaseStatus::InStation as i32 {
        return Err(ApiError::failed_precondition(
            CASE_ALREADY_CLOSED,
            "the case is already closed",
        ));
    }
    if let Some(placement_id) = &row.proposed_placement_id {
        // Foster may still approve it: a discharge now would leave a person placed whose case
        // is closed.
        return Err(ApiError::failed_precondition(
            CASE_PLACEMENT_PROPOSED,
            format!(
                "placement {placement_id} is proposed for this person: withdraw it \
                 (WithdrawPlacement) or have it declined before the discharge"
            ),
        ));
    }
    if departure.departed_at < row.admitted_at {
        return Err(ApiError::invalid_field(
            "departed_at",
            "must not be before the admission",
        ));
    }
    if departure.return_home.as_ref().is_some_and(|home| {
        home.mode == pb::ReturnMode::CollectedByRelatives && !home.relative_id_checked
    }) {
        return Err(ApiError::failed_precondition(
            RELATIVE_ID_NOT_CHECKED,
            "relatives collecting a person must have their ID documents checked",
        ));
    }
    // Going missing and death are not releases: no one could have taken the person.
    let is_release = !matches!(
        departure.kind,
        pb::DepartureKind::Missing | pb::DepartureKind::Death
    );
    let minor_flag = flags::from_bits(row.flags).minor;
    if is_release
        && minor::under_16(row.turns_16_at, minor_flag, departure.departed_at)
        && !departure.guardian_present
        && !departure.escorted
    {
        return Err(ApiError::failed_precondition(
            MINOR_NEEDS_GUARDIAN_OR_ESCORT,
            "a person under 16 leaves only with a guardian or an escort",
        ));
    }
    Ok(())
}

/// The subject of a case's deadlines (`case/<id>`).
fn case_subject(case_id: &str) -> String {
    format!("case/{case_id}")
}

/// Locks the pending deadlines of case `case_id` for the rest of `tx`, waiting for a sweeper
/// firing one of them: the first step of every closing, before the case row is read or updated
/// (the module's lock order).
pub(crate) async fn lock_case_deadlines(tx: &mut Tx, case_id: &str) -> Result<(), ApiError> {
    deadlines::lock_subject(tx, &case_subject(case_id)).await?;
    Ok(())
}

/// Who a departure closed by identity's SettlementDecided is recorded by: the identity service.
const SETTLEMENT_RECORDED_BY: &str = "identity";

/// Who a departure closed by foster's PlacementEnded is recorded by: the foster service.
const PLACEMENT_END_RECORDED_BY: &str = "foster";

/// A departure another service's feed records (not a station's `DischargeCase`): no release
/// rules to check (the deciding service checked its own), no transfer.
#[derive(Debug, Clone)]
pub(crate) struct FeedDeparture {
    /// How the person left.
    pub kind: pb::DepartureKind,
    /// When; never recorded before the admission.
    pub departed_at: DateTime<Utc>,
    /// RETURNED_HOME: the destination division, whose civil affairs follows up.
    pub destination_division: Option<String>,
    /// Why, in words without personal data.
    pub notes: String,
}

/// Settlement slice (intake's consumer of identity's feed): closes the case `case_id` if it is
/// in the station, because civil affairs approved the person's settlement: a departure of
/// `kind` (SETTLED, or STATE_SUPPORT) at `decided_at`, through the same path as a discharge
/// (status, departure row, pending deadlines cancelled, `CaseClosed`). A case intake does not
/// have, or not in the station (in foster care: foster ends the placement and
/// [`close_placement_ended`] closes it; or closed already: a second delivery), is left alone.
/// Returns whether it closed the case.
pub(crate) async fn close_settled(
    context: &ServiceContext,
    tx: &mut Tx,
    now: DateTime<Utc>,
    case_id: &str,
    kind: pb::DepartureKind,
    decided_at: DateTime<Utc>,
    notes: String,
) -> Result<bool, ApiError> {
    let departure = FeedDeparture {
        kind,
        departed_at: decided_at,
        destination_division: None,
        notes,
    };
    let in_station = |row: &StoredCase| row.status == pb::CaseStatus::InStation as i32;
    close_from_feed(
        context,
        tx,
        now,
        SETTLEMENT_RECORDED_BY,
        case_id,
        in_station,
        departure,
    )
    .await
}

/// Foster feed (intake's consumer of foster's feed): closes the case `case_id` if it is in
/// foster care under `placement_id`, because that placement ended with a final departure
/// (returned home, settled, state support, death, missing), through the same path as a
/// discharge (status, departure row, pending deadlines cancelled, the follow-up of a return
/// home, `CaseClosed`); the case's placement is cleared. A case intake does not have, one under
/// another placement, in the station or closed (a second delivery) is left alone. Returns
/// whether it closed the case.
pub(crate) async fn close_placement_ended(
    context: &ServiceContext,
    tx: &mut Tx,
    now: DateTime<Utc>,
    case_id: &str,
    placement_id: &str,
    departure: FeedDeparture,
) -> Result<bool, ApiError> {
    let under_placement = |row: &StoredCase| {
        row.status == pb::CaseStatus::InFosterCare as i32
            && row.placement_id.as_deref() == Some(placement_id)
    };
    close_from_feed(
        context,
        tx,
        now,
        PLACEMENT_END_RECORDED_BY,
        case_id,
        under_placement,
        departure,
    )
    .await
}

/// Closes the case `case_id` with `departure`, recorded by `recorded_by`, if `open_as_expected`
/// holds for it once its deadlines are locked (the module's lock order); returns whether it
/// did.
async fn close_from_feed(
    context: &ServiceContext,
    tx: &mut Tx,
    now: DateTime<Utc>,
    recorded_by: &str,
    case_id: &str,
    open_as_expected: impl Fn(&StoredCase) -> bool,
    departure: FeedDeparture,
) -> Result<bool, ApiError> {
    lock_case_deadlines(tx, case_id).await?;
    let Some(row) = cases::fetch_case(CaseConn::Tx(tx), case_id).await? else {
        return Ok(false);
    };
    if !open_as_expected(&row) {
        return Ok(false);
    }
    let destination_division = departure
        .destination_division
        .filter(|_| departure.kind == pb::DepartureKind::ReturnedHome);
    let departure = Departure {
        case_id: row.id.clone(),
        kind: departure.kind,
        // Microseconds, as both backends store them; never before the admission.
        departed_at: departure.departed_at.trunc_subsecs(6).max(row.admitted_at),
        // How the person travelled is the deciding service's record, not intake's.
        return_home: destination_division.map(|destination_division| ReturnHome {
            mode: pb::ReturnMode::Unspecified,
            relative_id_checked: false,
            destination_division,
        }),
        transfer_to_station: None,
        guardian_present: false,
        escorted: false,
        notes: departure.notes,
        warnings: Vec::new(),
    };
    close(context, tx, now, recorded_by, &row, &departure).await?;
    Ok(true)
}

/// Closes the case `row` (checked: in the station, or in foster care for the end of its
/// placement) with `departure`, recorded by the unit or service `recorded_by`: status (the
/// current placement cleared), departure row, its pending deadlines cancelled, the follow-up of
/// a return home, `CaseClosed`. Returns the follow-up id of a return home. The caller locked
/// the case's deadlines before reading `row` ([`lock_case_deadlines`]).
async fn close(
    context: &ServiceContext,
    tx: &mut Tx,
    now: DateTime<Utc>,
    recorded_by: &str,
    row: &StoredCase,
    departure: &Departure,
) -> Result<Option<String>, ApiError> {
    let warnings = row
        .warnings
        .split('\n')
        .filter(|line| !line.is_empty())
        .chain(departure.warnings.iter().map(String::as_str))
        .collect::<Vec<_>>()
        .join("\n");
    let closed = store::close_case(
        tx,
        &row.id,
        row.status,
        pb::CaseStatus::Closed as i32,
        &warnings,
    )
    .await?;
    if !closed {
        // Another transaction changed the case since it was read.
        return Err(ApiError::failed_precondition(
            CASE_ALREADY_CLOSED,
            "the case changed since it was read: it is no longer open as it was",
        ));
    }
    let home = departure.return_home.as_ref();
    store::insert_departure(
        tx,
        &DepartureRow {
            case_id: row.id.clone(),
            kind: departure.kind as i32,
            departed_at: departure.departed_at,
            return_mode: home.map_or(0, |home| home.mode as i32),
            relative_id_checked: home.is_some_and(|home| home.relative_id_checked),
            destination_division: home.map(|home| home.destination_division.clone()),
            transfer_to_station: departure.transfer_to_station.clone(),
            guardian_present: departure.guardian_present,
            escorted: departure.escorted,
            notes: departure.notes.clone(),
            recorded_by: recorded_by.to_owned(),
            recorded_at: now,
        },
    )
    .await?;
    deadlines::cancel_subject(tx, now, &case_subject(&row.id)).await?;
    let follow_up_id = match home {
        Some(home) => Some(
            follow_up::open(
                context,
                tx,
                now,
                &row.id,
                &home.destination_division,
                departure.departed_at,
            )
            .await?,
        ),
        None => None,
    };
    append(
        tx,
        now,
        &pb::CaseClosed {
            case_id: row.id.clone(),
            division: row.division.clone(),
            kind: departure.kind as i32,
            departed_at: Some(timestamp(departure.departed_at)),
            destination_division: home
                .map(|home| home.destination_division.clone())
                .unwrap_or_default(),
            transfer_to_station: departure.transfer_to_station.clone().unwrap_or_default(),
            origin_division: row.origin_division.clone(),
        },
    )
    .await?;
    Ok(follow_up_id)
}
