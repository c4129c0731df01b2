//! Care in the station: the cost of each service (`cost_fen`, by service kind: treatment is the
//! "medical costs" line of the funds report, the others "other relief costs"), and incidents and
//! abuse reports as major situations.

use prost::Name;
use relief_proto::intake::v1 as pb;
use relief_proto::reporting::v1::MajorSituationKind;
use relief_runtime::ApiError;
use relief_runtime::db::Tx;
use relief_runtime::events::consumer::ReceivedEvent;

use super::cases::record_case_situation;
use super::{at, enum_name, non_empty};
use crate::facts::{self, Contribution};
use crate::ingest::major::{self, Report};
use crate::time::day;

/// `ServiceRecorded`: its cost in fen on the day it was given, in the case's division. The event
/// has no service id, so the fact is keyed by the envelope's event id (stable across deliveries
/// and rebuilds; docs/reporting-design.md §1.5 proposes `service_id` for audit).
pub async fn service(
    tx: &mut Tx,
    event: &ReceivedEvent,
    service: &pb::ServiceRecorded,
) -> Result<(), ApiError> {
    let given_at = at("given_at", service.given_at.as_ref())?;
    let contribution = Contribution {
        day: day(given_at),
        division: service.division.clone(),
        dim: enum_name(service.kind, |kind: pb::ServiceKind| kind.as_str_name()),
        value: service.cost_fen,
    };
    facts::put(tx, "cost_fen", &event.event_id, Some(contribution)).await
}

/// `IncidentReported`: a death or a disappearance is the case's major situation (the same one
/// its `CaseClosed` reports); an injury is not a major situation.
pub async fn incident(tx: &mut Tx, event: &pb::IncidentReported) -> Result<(), ApiError> {
    let kind = match pb::IncidentKind::try_from(event.kind) {
        Ok(pb::IncidentKind::Death) => MajorSituationKind::Death,
        Ok(pb::IncidentKind::Missing) => MajorSituationKind::Missing,
        _ => return Ok(()),
    };
    let occurred_at = at("occurred_at", event.occurred_at.as_ref())?;
    record_case_situation(
        tx,
        kind,
        &event.case_id,
        &event.division,
        occurred_at,
        &pb::IncidentReported::full_name(),
    )
    .await
}

/// `AbuseSuspected`: one ABUSE situation per report, in the division where the person is (the
/// case's, or the institution's for a resident in foster care, as intake notifies the police).
pub async fn abuse(tx: &mut Tx, event: &pb::AbuseSuspected) -> Result<(), ApiError> {
    let reported_at = at("reported_at", event.reported_at.as_ref())?;
    major::record(
        tx,
        &Report {
            kind: MajorSituationKind::Abuse,
            key: &event.report_id,
            division: &event.division,
            case_id: non_empty(&event.case_id),
            subject: format!("abuse-report/{}", event.report_id),
            occurred_at: reported_at,
            source: &pb::AbuseSuspected::full_name(),
        },
    )
    .await
}
