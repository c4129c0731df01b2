//! The file follows the stay (DOMAIN.md, "Stranded register" and "Who owns a stay"):
//!
//! - **PersonAdmitted**: every case goes into `stay_cases`. An admission that continues a case
//!   belonging to a file (a transfer) continues that file: same file, same clocks, the
//!   receiving station now holds it. What happened to the file while the person was in transit
//!   (the sending case closed, the receiving one not yet admitted) reached only the closed
//!   case, so it is sent again for the receiving one: a confirmation (IdentityConfirmed, so
//!   intake confirms the new case) and an approved settlement (SettlementDecided, so intake
//!   closes the new case as settled). Otherwise a person not confirmed gets a new file, its
//!   clocks running from the admission.
//! - **CaseClosed**: the case's `closed_at` is set; if it is the current case of an open file,
//!   the stay ended unidentified: the file closes, its deadlines are cancelled and its unanswered
//!   verification requests withdrawn. A TRANSFERRED departure does not end the stay: intake
//!   closes the sending case before the receiving station admits the person, and that admission
//!   continues the file, so the file stays open in between (and if no receiving admission ever
//!   comes, the file stays open and its deadlines keep reminding the sending station).
//!
//! Both are applied once per event by the consumer, but written so that a second application
//! changes nothing.

use chrono::{DateTime, Utc};
use relief_proto::identity::v1 as pb;
use relief_proto::intake::v1 as intake;
use relief_runtime::db::{Conn, Tx};
use relief_runtime::events::append;
use relief_runtime::time::{instant, timestamp, timestamp_opt};
use relief_runtime::{ApiError, ServiceContext, deadlines};

use super::store::{self, FileRow, StayCase};

/// Applies intake's PersonAdmitted at `now`.
pub async fn admitted(
    context: &ServiceContext,
    tx: &mut Tx,
    event: &intake::PersonAdmitted,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let case = StayCase {
        case_id: event.case_id.clone(),
        file_id: None,
        station: event.station.clone(),
        division: event.division.clone(),
        admitted_at: event_instant("admitted_at", event.admitted_at.as_ref())?,
        continues_case_id: event.continues_case_id.clone(),
        closed_at: None,
    };
    if !store::insert_stay_case(tx, &case).await? {
        // Applied before, file and all (one transaction).
        return Ok(());
    }
    if !case.continues_case_id.is_empty()
        && let Some(file) = store::fetch_by_case(Conn::Tx(tx), &case.continues_case_id).await?
    {
        return continue_file(tx, &file.id, &case, now).await;
    }
    let status = intake::IdentityStatus::try_from(event.identity_status)
        .unwrap_or(intake::IdentityStatus::Unspecified);
    if status == intake::IdentityStatus::Confirmed {
        return Ok(());
    }
    open_file(context, tx, &case, status, &event.origin_division, now).await
}

/// Opens a file for the stay that `case` began.
async fn open_file(
    context: &ServiceContext,
    tx: &mut Tx,
    case: &StayCase,
    status: intake::IdentityStatus,
    origin_division: &str,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let rules = &context.config.rules;
    let began = case.admitted_at;
    // The notice is due only when nobody knows who the person is [national].
    let notice_due_at = (status == intake::IdentityStatus::Unknown)
        .then(|| relief_legal::hours(began, rules.notice_hours));
    let request_due = relief_legal::working_days(
        began,
        rules.verification_filing_working_days,
        &context.holidays,
    );
    let warnings: Vec<String> = request_due
        .warnings
        .iter()
        .map(ToString::to_string)
        .collect();
    let file = FileRow {
        id: uuid::Uuid::now_v7().to_string(),
        case_id: case.case_id.clone(),
        station: case.station.clone(),
        division: case.division.clone(),
        stay_began_at: began,
        admitted_as: status as i32,
        status: store::status::OPEN,
        notice_due_at,
        request_due_at: request_due.due,
        stranded_since: None,
        confirmed_at: None,
        confirmation_method: None,
        confirmation_note: None,
        identity: None,
        id_number_index: None,
        origin_division: origin_division.to_owned(),
        closed_at: None,
        warnings: warnings.join("\n"),
        opened_at: now,
    };
    store::insert_file(tx, &file).await?;
    store::set_stay_case_file(tx, &case.case_id, &file.id).await?;
    crate::stranded::schedule(context, tx, &file, now).await?;
    super::deadlines::schedule(tx, now, &file).await?;
    append(
        tx,
        now,
        &pb::IdentityFileOpened {
            file_id: file.id.clone(),
            case_id: file.case_id.clone(),
            station: file.station.clone(),
            division: file.division.clone(),
            stay_began_at: Some(timestamp(began)),
            admitted_as: file.admitted_as,
            notice_due_at: timestamp_opt(file.notice_due_at),
            request_due_at: Some(timestamp(file.request_due_at)),
        },
    )
    .await?;
    Ok(())
}

/// A transfer admission continues file `file_id` with `case`: the receiving station and its
/// division hold the file from now on; the stay, its clocks and its deadlines stay. A
/// confirmation or an approved settlement of the file is announced again for `case` (see the
/// module doc): the earlier announcement named a case that had closed as TRANSFERRED, which
/// intake can no longer confirm or settle. Sent for any continued file so confirmed or approved
/// (not only in transit): intake applies a repeated confirmation as a no-op, and settles a case
/// only while it is in the station.
async fn continue_file(
    tx: &mut Tx,
    file_id: &str,
    case: &StayCase,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    // Locked before it is read: a confirmation or a settlement decision of the file either
    // committed before (and is seen here) or waits and then names the new case.
    store::lock(tx, file_id).await?;
    store::set_stay_case_file(tx, &case.case_id, file_id).await?;
    store::set_current_case(tx, file_id, &case.case_id, &case.station, &case.division).await?;
    let file = store::fetch(Conn::Tx(tx), file_id)
        .await?
        .ok_or_else(|| ApiError::internal(format!("continued file {file_id} vanished")))?;
    append(
        tx,
        now,
        &pb::IdentityFileContinued {
            file_id: file.id.clone(),
            case_id: case.case_id.clone(),
            previous_case_id: case.continues_case_id.clone(),
            station: case.station.clone(),
            division: case.division.clone(),
            continued_at: Some(timestamp(case.admitted_at)),
        },
    )
    .await?;
    if file.status == store::status::CONFIRMED {
        append(tx, now, &super::confirm::confirmed_event(&file)?).await?;
    }
    crate::settlement::announce_again(tx, &file, now).await
}

/// Applies intake's CaseClosed at `now`.
pub async fn closed(
    context: &ServiceContext,
    tx: &mut Tx,
    event: &intake::CaseClosed,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let departed_at = event_instant("departed_at", event.departed_at.as_ref())?;
    store::close_stay_case(tx, &event.case_id, departed_at).await?;
    if event.kind == intake::DepartureKind::Transferred as i32 {
        // The stay goes on at the receiving station, whose admission continues the file.
        return Ok(());
    }
    let Some(file_id) = store::fetch_by_case(Conn::Tx(tx), &event.case_id)
        .await?
        .map(|file| file.id)
    else {
        return Ok(());
    };
    // Locked (its pending deadlines first), then read: the checks below see the file as it is.
    store::lock_with_deadlines(tx, &file_id).await?;
    let Some(file) = store::fetch(Conn::Tx(tx), &file_id).await? else {
        return Ok(());
    };
    // An earlier case of the stay closing (only by a transfer) ends nothing; a confirmed file
    // keeps its status.
    if file.case_id != event.case_id || !file.is_open() {
        return Ok(());
    }
    if !store::set_closed(tx, &file.id, departed_at).await? {
        return Ok(());
    }
    deadlines::cancel_subject(tx, now, &file.subject()).await?;
    crate::verification::withdraw_open(context, tx, &file.id, now).await?;
    append(
        tx,
        now,
        &pb::IdentityFileClosed {
            file_id: file.id.clone(),
            case_id: file.case_id.clone(),
            division: file.division.clone(),
            closed_at: Some(timestamp(departed_at)),
        },
    )
    .await?;
    Ok(())
}

/// The instant of a required timestamp of an intake event (intake always sets it; a missing one
/// is a fault, retried until fixed rather than applied wrongly).
fn event_instant(
    field: &str,
    value: Option<&prost_types::Timestamp>,
) -> Result<DateTime<Utc>, ApiError> {
    instant(field, value)
        .map_err(|_| ApiError::internal(format!("intake event without a valid {field}")))
}
