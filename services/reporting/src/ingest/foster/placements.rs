//! Placements in foster care (`r_placements`), one row per placement, every column written
//! first-value-wins (each event sets its own columns, so a duplicate changes nothing); the
//! `placement` fact (NEW, or MOVE for a placement continuing another); and the deaths and
//! disappearances of residents as major situations.
//!
//! A death or a disappearance is one situation per case (`DEATH:<case_id>`,
//! `MISSING:<case_id>`), whichever feed reports it first: intake's `CaseClosed` and foster's
//! `PlacementEnded` / `IncidentReported` go through the same writer
//! ([`crate::ingest::major`]), which keeps the earliest instant and the sorted set of
//! the reporting event types. Its division is the case's: the placement's `division`
//! (`IncidentReported.division` is the institution's).

use prost::Name;
use prost_types::Timestamp;
use relief_proto::foster::v1 as pb;
use relief_proto::reporting::v1::MajorSituationKind;
use relief_runtime::db::Tx;
use relief_runtime::{ApiError, with_tx};

use crate::facts::{self, Contribution};
use crate::ingest::intake::{at, non_empty};
use crate::ingest::major::{self, Report};
use crate::time::{day, micros};

/// `PlacementProposed`: the proposal, by the sending station, for a case of its division.
pub async fn proposed(tx: &mut Tx, event: &pb::PlacementProposed) -> Result<(), ApiError> {
    let proposed_at = at("proposed_at", event.proposed_at.as_ref())?;
    with_tx!(tx, |conn| {
        sqlx::query(
            "INSERT INTO r_placements (placement_id, case_id, station, division, proposed_at) \
             VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (placement_id) DO UPDATE SET \
               case_id = COALESCE(r_placements.case_id, excluded.case_id), \
               station = COALESCE(r_placements.station, excluded.station), \
               division = COALESCE(r_placements.division, excluded.division), \
               proposed_at = COALESCE(r_placements.proposed_at, excluded.proposed_at)",
        )
        .bind(&event.placement_id)
        .bind(non_empty(&event.case_id))
        .bind(non_empty(&event.station))
        .bind(non_empty(&event.division))
        .bind(micros(proposed_at))
        .execute(conn)
        .await
        .map(|_| ())
    })?;
    Ok(())
}

/// `PlacementApproved`: civil affairs chose the institution (ResidentPlaced follows).
pub async fn approved(tx: &mut Tx, event: &pb::PlacementApproved) -> Result<(), ApiError> {
    let approved_at = at("approved_at", event.approved_at.as_ref())?;
    with_tx!(tx, |conn| {
        sqlx::query(
            "INSERT INTO r_placements (placement_id, case_id, division, institution_id, \
             approved_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (placement_id) DO UPDATE SET \
               case_id = COALESCE(r_placements.case_id, excluded.case_id), \
               division = COALESCE(r_placements.division, excluded.division), \
               institution_id = COALESCE(r_placements.institution_id, excluded.institution_id), \
               approved_at = COALESCE(r_placements.approved_at, excluded.approved_at)",
        )
        .bind(&event.placement_id)
        .bind(non_empty(&event.case_id))
        .bind(non_empty(&event.division))
        .bind(non_empty(&event.institution_id))
        .bind(micros(approved_at))
        .execute(conn)
        .await
        .map(|_| ())
    })?;
    Ok(())
}

/// `PlacementDeclined` or `PlacementWithdrawn`: the proposal is closed without a placement
/// (`declined_at` holds either).
pub async fn declined(
    tx: &mut Tx,
    placement_id: &str,
    case_id: &str,
    division: &str,
    declined_at: Option<&Timestamp>,
) -> Result<(), ApiError> {
    let declined_at = at("declined_at", declined_at)?;
    with_tx!(tx, |conn| {
        sqlx::query(
            "INSERT INTO r_placements (placement_id, case_id, division, declined_at) \
             VALUES ($1, $2, $3, $4) \
             ON CONFLICT (placement_id) DO UPDATE SET \
               case_id = COALESCE(r_placements.case_id, excluded.case_id), \
               division = COALESCE(r_placements.division, excluded.division), \
               declined_at = COALESCE(r_placements.declined_at, excluded.declined_at)",
        )
        .bind(placement_id)
        .bind(non_empty(case_id))
        .bind(non_empty(division))
        .bind(micros(declined_at))
        .execute(conn)
        .await
        .map(|_| ())
    })?;
    Ok(())
}

/// `ResidentPlaced`: the resident is in the institution; one `placement` on the day placed, in
/// the case's division: MOVE when it continues a previous placement, else NEW.
pub async fn placed(tx: &mut Tx, event: &pb::ResidentPlaced) -> Result<(), ApiError> {
    let placed_at = at("placed_at", event.placed_at.as_ref())?;
    let previous = non_empty(&event.previous_placement_id);
    with_tx!(tx, |conn| {
        sqlx::query(
            "INSERT INTO r_placements (placement_id, case_id, station, division, \
             institution_id, placed_at, previous_placement_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (placement_id) DO UPDATE SET \
               case_id = COALESCE(r_placements.case_id, excluded.case_id), \
               station = COALESCE(r_placements.station, excluded.station), \
               division = COALESCE(r_placements.division, excluded.division), \
               institution_id = COALESCE(r_placements.institution_id, excluded.institution_id), \
               placed_at = COALESCE(r_placements.placed_at, excluded.placed_at), \
               previous_placement_id = COALESCE(r_placements.previous_placement_id, \
                 excluded.previous_placement_id)",
        )
        .bind(&event.placement_id)
        .bind(non_empty(&event.case_id))
        .bind(non_empty(&event.station))
        .bind(non_empty(&event.division))
        .bind(non_empty(&event.institution_id))
        .bind(micros(placed_at))
        .bind(previous)
        .execute(conn)
        .await
        .map(|_| ())
    })?;
    let kind = if previous.is_some() { "MOVE" } else { "NEW" };
    facts::put(
        tx,
        "placement",
        &event.placement_id,
        Some(Contribution::one(day(placed_at), &event.division, kind)),
    )
    .await
}

/// `PlacementEnded`: how and when (a MOVED end names the placement that continues it); a death
/// or a disappearance is a major situation of the case.
pub async fn ended(tx: &mut Tx, event: &pb::PlacementEnded) -> Result<(), ApiError> {
    let ended_at = at("ended_at", event.ended_at.as_ref())?;
    with_tx!(tx, |conn| {
        sqlx::query(
            "INSERT INTO r_placements (placement_id, case_id, division, institution_id, \
             ended_at, end_kind, next_placement_id) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (placement_id) DO UPDATE SET \
               case_id = COALESCE(r_placements.case_id, excluded.case_id), \
               division = COALESCE(r_placements.division, excluded.division), \
               institution_id = COALESCE(r_placements.institution_id, excluded.institution_id), \
               ended_at = COALESCE(r_placements.ended_at, excluded.ended_at), \
               end_kind = COALESCE(r_placements.end_kind, excluded.end_kind), \
               next_placement_id = COALESCE(r_placements.next_placement_id, \
                 excluded.next_placement_id)",
        )
        .bind(&event.placement_id)
        .bind(non_empty(&event.case_id))
        .bind(non_empty(&event.division))
        .bind(non_empty(&event.institution_id))
        .bind(micros(ended_at))
        .bind(event.kind)
        .bind(non_empty(&event.next_placement_id))
        .execute(conn)
        .await
        .map(|_| ())
    })?;
    let kind = match pb::PlacementEndKind::try_from(event.kind) {
        Ok(pb::PlacementEndKind::Death) => MajorSituationKind::Death,
        Ok(pb::PlacementEndKind::Missing) => MajorSituationKind::Missing,
        _ => return Ok(()),
    };
    let Some(case_id) = non_empty(&event.case_id) else {
        return Ok(());
    };
    situation(
        tx,
        kind,
        case_id,
        &event.division,
        ended_at,
        &pb::PlacementEnded::full_name(),
    )
    .await
}

/// `IncidentReported`: a death or a disappearance in an institution is a major situation of the
/// case of the placement, in the case's division; an injury is not.
pub async fn incident(tx: &mut Tx, event: &pb::IncidentReported) -> Result<(), ApiError> {
    let kind = match pb::IncidentKind::try_from(event.kind) {
        Ok(pb::IncidentKind::Death) => MajorSituationKind::Death,
        Ok(pb::IncidentKind::Missing) => MajorSituationKind::Missing,
        _ => return Ok(()),
    };
    let occurred_at = at("occurred_at", event.occurred_at.as_ref())?;
    let Some((case_id, division)) = case_of(tx, &event.placement_id).await? else {
        // Cannot happen on the ordered feed (the placement's events came first); without a case
        // there is nothing to deduplicate by.
        tracing::warn!(
            placement_id = %event.placement_id,
            "foster incident of a placement reporting has not seen: not a major situation"
        );
        return Ok(());
    };
    let division = division.unwrap_or_else(|| event.division.clone());
    situation(
        tx,
        kind,
        &case_id,
        &division,
        occurred_at,
        &pb::IncidentReported::full_name(),
    )
    .await
}

/// The case of placement `placement_id` and its division, if the placement was seen.
pub async fn case_of(
    tx: &mut Tx,
    placement_id: &str,
) -> Result<Option<(String, Option<String>)>, ApiError> {
    let row: Option<(Option<String>, Option<String>)> = with_tx!(tx, |conn| {
        sqlx::query_as("SELECT case_id, division FROM r_placements WHERE placement_id = $1")
            .bind(placement_id)
            .fetch_optional(conn)
            .await
    })?;
    Ok(row.and_then(|(case_id, division)| case_id.map(|case_id| (case_id, division))))
}

/// Records one report by the foster feed of a death or a disappearance of case `case_id`.
async fn situation(
    tx: &mut Tx,
    kind: MajorSituationKind,
    case_id: &str,
    division: &str,
    occurred_at: chrono::DateTime<chrono::Utc>,
    source: &str,
) -> Result<(), ApiError> {
    major::record(
        tx,
        &Report {
            kind,
            key: case_id,
            division,
            case_id: Some(case_id),
            subject: format!("case/{case_id}"),
            occurred_at,
            source,
        },
    )
    .await
}
