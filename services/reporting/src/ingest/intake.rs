//! The events of the intake feed that reporting reads, one module per idea:
//!
//! - [`cases`]: `PersonAdmitted`, `StayFlagged`, `StayJustified`, `CaseClosed` → `r_cases`, the
//!   `admission`, `admission.<group>`, `identification` (AT_ADMISSION) and `departure` facts, and
//!   the "stay over 10 days" late item;
//! - [`repeat`]: `RepeatLinked` / `RepeatSplit` → `r_repeat_links` and the `repeat` fact, counted
//!   per origin county ([`origin`] maps a historical code to its current successor);
//! - [`street`]: `SightingReported`, `EncounterRecorded` and the identification at the hospital
//!   (`HospitalIdentificationOverdue` / `…Completed`, a late item);
//! - [`care`]: `ServiceRecorded` (`cost_fen`), `IncidentReported` and `AbuseSuspected` (major
//!   situations);
//! - [`follow_up`]: `FollowUpOverdue` / `FollowUpRecorded` (a late item; guardian abuse found is a
//!   major situation);
//! - [`late`] and [`major`]: the writers of `r_late_items` and `r_major_situations` (public, so the
//!   other feeds can use the same rules).
//!
//! Every other intake event (handovers, hospital stays, refusals) changes nothing here. The intake
//! feed is ordered: a case's `PersonAdmitted` always precedes its other events, so where an event
//! lacks the case's division it is read from `r_cases`; the writers still work when it is missing
//! (see [`repeat::refresh`]), which only another feed's order could cause.

pub mod care;
pub mod cases;
pub mod flags;
pub mod follow_up;
pub mod origin;
pub mod repeat;
pub mod street;

use chrono::{DateTime, Utc};
use relief_proto::intake::v1 as pb;
use relief_runtime::ApiError;
use relief_runtime::db::Tx;
use relief_runtime::events::consumer::ReceivedEvent;

/// Applies one event of the intake feed to the read models; other events change nothing.
pub async fn apply(tx: &mut Tx, event: &ReceivedEvent) -> Result<(), ApiError> {
    if let Some(admitted) = event.decode::<pb::PersonAdmitted>()? {
        return cases::admitted(tx, &admitted).await;
    }
    if let Some(flagged) = event.decode::<pb::StayFlagged>()? {
        return cases::stay_flagged(tx, event, &flagged).await;
    }
    if let Some(justified) = event.decode::<pb::StayJustified>()? {
        return cases::stay_justified(tx, &justified).await;
    }
    if let Some(closed) = event.decode::<pb::CaseClosed>()? {
        return cases::closed(tx, &closed).await;
    }
    if let Some(linked) = event.decode::<pb::RepeatLinked>()? {
        return repeat::linked(tx, &linked).await;
    }
    if let Some(split) = event.decode::<pb::RepeatSplit>()? {
        return repeat::split(tx, &split).await;
    }
    if let Some(sighting) = event.decode::<pb::SightingReported>()? {
        return street::sighting(tx, &sighting).await;
    }
    if let Some(encounter) = event.decode::<pb::EncounterRecorded>()? {
        return street::encounter(tx, &encounter).await;
    }
    if let Some(overdue) = event.decode::<pb::HospitalIdentificationOverdue>()? {
        return street::identification_overdue(tx, event, &overdue).await;
    }
    if let Some(completed) = event.decode::<pb::HospitalIdentificationCompleted>()? {
        return street::identification_completed(tx, &completed).await;
    }
    if let Some(service) = event.decode::<pb::ServiceRecorded>()? {
        return care::service(tx, event, &service).await;
    }
    if let Some(incident) = event.decode::<pb::IncidentReported>()? {
        return care::incident(tx, &incident).await;
    }
    if let Some(abuse) = event.decode::<pb::AbuseSuspected>()? {
        return care::abuse(tx, &abuse).await;
    }
    if let Some(overdue) = event.decode::<pb::FollowUpOverdue>()? {
        return follow_up::overdue(tx, event, &overdue).await;
    }
    if let Some(recorded) = event.decode::<pb::FollowUpRecorded>()? {
        return follow_up::recorded(tx, &recorded).await;
    }
    Ok(())
}

/// The instant of a timestamp field of a feed event. Producers always set them; a missing or
/// invalid one is a fault of the producer, retried (the feed stalls visibly) rather than applied
/// on a guessed day.
pub fn at(field: &str, value: Option<&prost_types::Timestamp>) -> Result<DateTime<Utc>, ApiError> {
    relief_runtime::time::instant(field, value)
        .map_err(|_| ApiError::internal(format!("event without a valid {field}")))
}

/// The name a dimension stores for a proto enum value: its `as_str_name()` (e.g.
/// `ENCOUNTER_OUTCOME_ESCORTED`), or the number itself for a value this build does not know
/// (a newer producer), so nothing is silently merged into another value.
pub fn enum_name<E: TryFrom<i32>>(value: i32, name: impl Fn(E) -> &'static str) -> String {
    E::try_from(value).map_or_else(|_| value.to_string(), |known| name(known).to_owned())
}

/// `Some(text)` unless it is empty (optional text fields of events are empty when unknown).
pub fn non_empty(text: &str) -> Option<&str> {
    (!text.is_empty()).then_some(text)
}
