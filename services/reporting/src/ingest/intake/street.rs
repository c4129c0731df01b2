//! Finding people in the street: sightings and encounters (counted where and when they happened)
//! and the identification at the hospital of a person with an acute illness, which the local
//! station owes within 24 hours (a late item when `HospitalIdentificationOverdue` fires).

use relief_proto::intake::v1 as pb;
use relief_runtime::ApiError;
use relief_runtime::db::Tx;
use relief_runtime::events::consumer::ReceivedEvent;

use super::{at, enum_name};
use crate::facts::{self, Contribution};
use crate::ingest::late::{self, LateItem};
use crate::time::day;

/// `SightingReported`: one `sighting` on the found day, in the division where it was found.
pub async fn sighting(tx: &mut Tx, event: &pb::SightingReported) -> Result<(), ApiError> {
    let found_at = at("found_at", event.found_at.as_ref())?;
    let contribution = Contribution::one(day(found_at), &event.division, "");
    facts::put(tx, "sighting", &event.sighting_id, Some(contribution)).await
}

/// `EncounterRecorded`: one `encounter` under its outcome, on the day it happened.
pub async fn encounter(tx: &mut Tx, event: &pb::EncounterRecorded) -> Result<(), ApiError> {
    let occurred_at = at("occurred_at", event.occurred_at.as_ref())?;
    let outcome = enum_name(event.outcome, |outcome: pb::EncounterOutcome| {
        outcome.as_str_name()
    });
    let contribution = Contribution::one(day(occurred_at), &event.division, &outcome);
    facts::put(tx, "encounter", &event.encounter_id, Some(contribution)).await
}

/// `HospitalIdentificationOverdue`: the identification was not recorded by its due time.
pub async fn identification_overdue(
    tx: &mut Tx,
    event: &ReceivedEvent,
    overdue: &pb::HospitalIdentificationOverdue,
) -> Result<(), ApiError> {
    let due_at = at("due_at", overdue.due_at.as_ref())?;
    late::raise(
        tx,
        &LateItem {
            kind: late::HOSPITAL_IDENTIFICATION,
            subject_id: &overdue.encounter_id,
            division: &overdue.division,
            // The local station of the division: the event does not name it.
            responsible_unit: None,
            due_at,
            late_at: event.occurred_at,
            done_at: None,
        },
    )
    .await
}

/// `HospitalIdentificationCompleted`: a late identification closes its item. One that intake
/// judged on time (identified by the due time, only recorded after the overdue event) withdraws
/// the item: the obligation was met. A late identification recorded before the overdue event
/// fired (the sweeper's lag) raises nothing: the event carries no due time to raise it with.
pub async fn identification_completed(
    tx: &mut Tx,
    event: &pb::HospitalIdentificationCompleted,
) -> Result<(), ApiError> {
    let identified_at = at("identified_at", event.identified_at.as_ref())?;
    let key = late::key(late::HOSPITAL_IDENTIFICATION, &event.encounter_id);
    if event.on_time {
        late::withdraw(tx, &key).await
    } else {
        late::done(tx, &key, identified_at).await
    }
}
