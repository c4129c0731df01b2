//! Encounters (处置): what happened when a person was met, the written handover the receiving
//! station accepts, and the hospital identification the local station owes within 24 hours of
//! an acute-illness encounter (a deadline row; overdue notifies the station and the county
//! civil-affairs bureau).

mod rules;
mod store;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use relief_proto::intake::v1 as pb;
use relief_runtime::db::Tx;
use relief_runtime::deadlines::{self, Deadline, DeadlineHandler};
use relief_runtime::events::append;
use relief_runtime::notifications::{self, NewNotification, unit_ref};
use relief_runtime::time::timestamp;
use relief_runtime::{ApiError, Caller, ServiceContext, caller, idempotency};
use tonic::Request;

use crate::{flags, sightings, units};
use relief_runtime::validate::Violations;

use store::Row;

/// The deadline kind of the hospital identification.
pub const IDENTIFICATION_DEADLINE: &str = "intake.hospital_identification";

/// The notification kind asking the local station to identify a person at the hospital.
pub const IDENTIFICATION_REQUESTED_NOTIFICATION: &str = "HOSPITAL_IDENTIFICATION_REQUESTED";

/// The notification kind of an identification at the hospital not recorded by its due time.
pub const IDENTIFICATION_OVERDUE_NOTIFICATION: &str = "HOSPITAL_IDENTIFICATION_OVERDUE";

/// Hours the local station has to identify a person at the hospital [product].
const IDENTIFICATION_HOURS: u32 = 24;

fn identification_deadline_id(encounter_id: &str) -> String {
    format!("{IDENTIFICATION_DEADLINE}:{encounter_id}")
}

/// The deadline handlers of this module.
pub fn deadline_handlers() -> Vec<(&'static str, Arc<dyn DeadlineHandler>)> {
    vec![(IDENTIFICATION_DEADLINE, Arc::new(IdentificationOverdue))]
}

/// `RecordEncounter`.
pub async fn record(
    context: &ServiceContext,
    request: Request<pb::RecordEncounterRequest>,
) -> Result<pb::RecordEncounterResponse, ApiError> {
    let caller = caller(&request)?.clone();
    let request = request.into_inner();
    let now = context.clock.now();
    let mut check = Violations::new();
    let mut warnings = Vec::new();
    let division = check.division("division", &request.division, &mut warnings);
    let occurred_at = check.past_instant("occurred_at", request.occurred_at.as_ref(), now);
    if !(0..=130).contains(&request.estimated_age) {
        check.add("estimated_age", "must be between 0 (unknown) and 130");
    }
    let outcome = pb::EncounterOutcome::try_from(request.outcome).unwrap_or_default();
    let capacity = pb::CivilCapacity::try_from(request.capacity).unwrap_or_default();
    let mut row = Row {
        id: uuid::Uuid::now_v7().to_string(),
        division: division.clone(),
        occurred_at,
        outcome: outcome as i32,
        estimated_age: request.estimated_age,
        capacity: capacity as i32,
        consent_recorded: request.consent_recorded,
        recorded_by_kind: caller.kind.as_str().to_owned(),
        recorded_by_division: caller.division.clone(),
        recorded_by_unit: caller.unit.clone(),
        recorded_at: now,
        ..Row::default()
    };
    match outcome {
        pb::EncounterOutcome::Unspecified => check.add("outcome", "is required"),
        pb::EncounterOutcome::Informed => {}
        pb::EncounterOutcome::Escorted => match &request.handover {
            None => check.add("handover", "is required for an escorted person"),
            Some(handover) => {
                row.handing_officer = Some(check.required_text(
                    "handover.handing_officer",
                    &handover.handing_officer,
                    100,
                ));
                if units::station(context, &handover.receiving_station).is_none() {
                    check.add(
                        "handover.receiving_station",
                        "must be the unit id of a relief station",
                    );
                }
                row.receiving_station = Some(handover.receiving_station.clone());
                row.handed_over_at = Some(check.past_instant(
                    "handover.handed_over_at",
                    handover.handed_over_at.as_ref(),
                    now,
                ));
                if handover
                    .belongings
                    .iter()
                    .any(|item| item.chars().count() > 200 || item.contains('\n'))
                {
                    check.add(
                        "handover.belongings",
                        "each item must be one line of at most 200 characters",
                    );
                }
                row.belongings = Some(handover.belongings.join("\n"));
            }
        },
        pb::EncounterOutcome::AcuteIllness => match &request.acute_illness {
            None => check.add("acute_illness", "is required for an acute illness"),
            Some(illness) => {
                if units::hospital(context, &illness.hospital).is_none() {
                    check.add(
                        "acute_illness.hospital",
                        "must be the unit id of a hospital",
                    );
                }
                row.hospital = Some(illness.hospital.clone());
                row.taken_to_hospital = Some(illness.taken_to_hospital);
                row.identification_due_at =
                    Some(relief_legal::hours(occurred_at, IDENTIFICATION_HOURS));
            }
        },
        pb::EncounterOutcome::Refused => match &request.refusal {
            None => check.add("refusal", "is required when the person refused"),
            Some(refusal) => {
                if !refusal.contact_given {
                    check.add(
                        "refusal.contact_given",
                        "the station's contact must be given to a person who refuses",
                    );
                }
                row.contact_given = Some(refusal.contact_given);
                row.persuasion =
                    Some(check.optional_text("refusal.persuasion", &refusal.persuasion, 2000));
            }
        },
    }
    let sighting_id = request.sighting_id.trim();
    if !sighting_id.is_empty() {
        if !sightings::is_visible(context, &caller, sighting_id).await? {
            check.add("sighting_id", "is not a sighting this caller can see");
        }
        row.sighting_id = Some(sighting_id.to_owned());
    }
    check.finish()?;

    // An age under 18 makes the person a minor, whatever the flag said.
    let mut person_flags = request.flags.unwrap_or_default();
    if (1..18).contains(&request.estimated_age) {
        person_flags.minor = true;
    }
    // And 60 or more makes them elderly (老年人).
    if request.estimated_age >= 60 {
        person_flags.elderly = true;
    }
    if outcome == pb::EncounterOutcome::AcuteIllness {
        person_flags.acute_illness = true;
    }
    let person = rules::Person {
        flags: &person_flags,
        estimated_age: request.estimated_age,
        capacity,
        consent_recorded: request.consent_recorded,
    };
    rules::check_capacity(&person)?;
    rules::check_outcome(outcome, &person)?;
    row.flags = flags::to_bits(&person_flags);

    idempotency::run(
        context,
        &caller,
        "/relief.intake.v1.IntakeService/RecordEncounter",
        &request.request_id,
        &request,
        async |tx| {
            store::insert(tx, &row).await?;
            if let Some(due) = row.identification_due_at {
                request_identification(context, tx, &row, due).await?;
            }
            append(
                tx,
                now,
                &pb::EncounterRecorded {
                    encounter_id: row.id.clone(),
                    sighting_id: row.sighting_id.clone().unwrap_or_default(),
                    division: row.division.clone(),
                    occurred_at: Some(timestamp(row.occurred_at)),
                    outcome: row.outcome,
                    flags: Some(person_flags),
                    recorded_by: Some(unit_ref(&caller)),
                    receiving_station: row.receiving_station.clone().unwrap_or_default(),
                    identification_due_at: row.identification_due_at.map(timestamp),
                },
            )
            .await?;
            Ok(pb::RecordEncounterResponse {
                encounter: Some(row.to_proto()),
            })
        },
    )
    .await
}

/// Asks the local station to identify the person at the hospital by `due`, and schedules the
/// overdue check.
async fn request_identification(
    context: &ServiceContext,
    tx: &mut Tx,
    row: &Row,
    due: DateTime<Utc>,
) -> Result<(), ApiError> {
    let now = context.clock.now();
    let station = units::local_station(context, &row.division);
    notifications::issue(
        context,
        tx,
        &NewNotification {
            kind: IDENTIFICATION_REQUESTED_NOTIFICATION.to_owned(),
            subject: format!("encounter/{}", row.id),
            division: row.division.clone(),
            summary: "a person with an acute illness is in hospital: identify them there"
                .to_owned(),
            recipients: station.into_iter().collect(),
            acknowledge_by: due,
            escalate_to: Vec::new(),
            escalation_of: None,
        },
    )
    .await?;
    deadlines::schedule(
        tx,
        now,
        &identification_deadline_id(&row.id),
        IDENTIFICATION_DEADLINE,
        &format!("encounter/{}", row.id),
        due,
        row.id.clone().into_bytes(),
    )
    .await?;
    Ok(())
}

/// The encounter `id` if `visible` says the caller may act on it; NOT_FOUND otherwise.
async fn fetch_for(tx: &mut Tx, id: &str, visible: impl Fn(&Row) -> bool) -> Result<Row, ApiError> {
    store::fetch(tx, id)
        .await?
        .filter(|row| visible(row))
        .ok_or(ApiError::NotFound { what: "encounter" })
}

/// `AcceptHandover`: only the receiving station sees the handover.
pub async fn accept_handover(
    context: &ServiceContext,
    request: Request<pb::AcceptHandoverRequest>,
) -> Result<pb::AcceptHandoverResponse, ApiError> {
    let caller = caller(&request)?.clone();
    let request = request.into_inner();
    let mut check = Violations::new();
    let encounter_id = check.required_id("encounter_id", &request.encounter_id);
    let staff = check.required_text("receiving_staff", &request.receiving_staff, 100);
    check.finish()?;
    let now = context.clock.now();
    idempotency::run(
        context,
        &caller,
        "/relief.intake.v1.IntakeService/AcceptHandover",
        &request.request_id,
        &request,
        async |tx| {
            let row = fetch_for(tx, &encounter_id, |row| {
                row.outcome() == pb::EncounterOutcome::Escorted
                    && row.receiving_station.as_deref() == Some(caller.unit.as_str())
            })
            .await?;
            if row.handover_accepted_at.is_none() {
                store::accept(tx, &row.id, &staff, now).await?;
                append(
                    tx,
                    now,
                    &pb::HandoverAccepted {
                        encounter_id: row.id.clone(),
                        station: caller.unit.clone(),
                        accepted_at: Some(timestamp(now)),
                    },
                )
                .await?;
            }
            let row = fetch_for(tx, &encounter_id, |_| true).await?;
            Ok(pb::AcceptHandoverResponse {
                encounter: Some(row.to_proto()),
            })
        },
    )
    .await
}

/// Whether `caller` is the local station of `row`'s division.
fn is_local_station(context: &ServiceContext, caller: &Caller, row: &Row) -> bool {
    units::local_station(context, &row.division).is_some_and(|station| station.unit == caller.unit)
}

/// `CompleteHospitalIdentification`: the local station of the encounter's division records it.
pub async fn complete_identification(
    context: &ServiceContext,
    request: Request<pb::CompleteHospitalIdentificationRequest>,
) -> Result<pb::CompleteHospitalIdentificationResponse, ApiError> {
    let caller = caller(&request)?.clone();
    let request = request.into_inner();
    let now = context.clock.now();
    let mut check = Violations::new();
    let encounter_id = check.required_id("encounter_id", &request.encounter_id);
    let identified_at = check.past_instant("identified_at", request.identified_at.as_ref(), now);
    check.finish()?;
    idempotency::run(
        context,
        &caller,
        "/relief.intake.v1.IntakeService/CompleteHospitalIdentification",
        &request.request_id,
        &request,
        async |tx| {
            let row = fetch_for(tx, &encounter_id, |row| {
                row.outcome() == pb::EncounterOutcome::AcuteIllness
                    && is_local_station(context, &caller, row)
            })
            .await?;
            if row.identified_at.is_some() {
                return Err(ApiError::failed_precondition(
                    "IDENTIFICATION_ALREADY_RECORDED",
                    "the identification at the hospital was already recorded for this encounter",
                ));
            }
            if identified_at < row.occurred_at {
                return Err(ApiError::invalid_field(
                    "identified_at",
                    "must not be before the encounter",
                ));
            }
            store::identify(tx, &row.id, identified_at, request.needs_relief).await?;
            deadlines::cancel(tx, now, &identification_deadline_id(&row.id)).await?;
            let on_time = row
                .identification_due_at
                .is_none_or(|due| identified_at <= due);
            append(
                tx,
                now,
                &pb::HospitalIdentificationCompleted {
                    encounter_id: row.id.clone(),
                    division: row.division.clone(),
                    identified_at: Some(timestamp(identified_at)),
                    on_time,
                    needs_relief: request.needs_relief,
                },
            )
            .await?;
            let row = fetch_for(tx, &encounter_id, |_| true).await?;
            Ok(pb::CompleteHospitalIdentificationResponse {
                encounter: Some(row.to_proto()),
            })
        },
    )
    .await
}

/// `ReportHospitalStay`: the encounter's hospital reports admitting and discharging the person.
pub async fn report_hospital_stay(
    context: &ServiceContext,
    request: Request<pb::ReportHospitalStayRequest>,
) -> Result<pb::ReportHospitalStayResponse, ApiError> {
    let caller = caller(&request)?.clone();
    let request = request.into_inner();
    let now = context.clock.now();
    let mut check = Violations::new();
    let encounter_id = check.required_id("encounter_id", &request.encounter_id);
    let at = check.past_instant("at", request.at.as_ref(), now);
    let step = pb::HospitalStayStep::try_from(request.step).unwrap_or_default();
    if step == pb::HospitalStayStep::Unspecified {
        check.add("step", "is required");
    }
    check.finish()?;
    idempotency::run(
        context,
        &caller,
        "/relief.intake.v1.IntakeService/ReportHospitalStay",
        &request.request_id,
        &request,
        async |tx| {
            let row = fetch_for(tx, &encounter_id, |row| {
                row.outcome() == pb::EncounterOutcome::AcuteIllness
                    && row.hospital.as_deref() == Some(caller.unit.as_str())
            })
            .await?;
            if step == pb::HospitalStayStep::Discharged {
                let Some(admitted_at) = row.hospital_admitted_at else {
                    return Err(ApiError::failed_precondition(
                        "HOSPITAL_ADMISSION_NOT_REPORTED",
                        "report the admission before the discharge",
                    ));
                };
                if at < admitted_at {
                    return Err(ApiError::invalid_field(
                        "at",
                        "must not be before the admission",
                    ));
                }
            } else if at < row.occurred_at {
                return Err(ApiError::invalid_field(
                    "at",
                    "must not be before the encounter",
                ));
            }
            if !store::hospital_step(tx, &row.id, step, at).await? {
                return Err(ApiError::failed_precondition(
                    "HOSPITAL_STAY_ALREADY_REPORTED",
                    "this step of the hospital stay was already reported",
                ));
            }
            append(
                tx,
                now,
                &pb::HospitalStayReported {
                    encounter_id: row.id.clone(),
                    division: row.division.clone(),
                    hospital: caller.unit.clone(),
                    step: step as i32,
                    at: Some(timestamp(at)),
                },
            )
            .await?;
            let row = fetch_for(tx, &encounter_id, |_| true).await?;
            Ok(pb::ReportHospitalStayResponse {
                encounter: Some(row.to_proto()),
            })
        },
    )
    .await
}

/// Fires when the identification is still missing at its due time: an event, and a notice to the
/// local station and the county civil-affairs bureau.
#[derive(Debug, Clone, Copy)]
struct IdentificationOverdue;

#[tonic::async_trait]
impl DeadlineHandler for IdentificationOverdue {
    async fn fire(
        &self,
        context: &ServiceContext,
        tx: &mut Tx,
        deadline: &Deadline,
        now: DateTime<Utc>,
    ) -> Result<(), ApiError> {
        let id = String::from_utf8_lossy(&deadline.payload).into_owned();
        let Some(row) = store::fetch(tx, &id).await? else {
            return Err(ApiError::internal(format!(
                "deadline for a missing encounter {id}"
            )));
        };
        if row.identified_at.is_some() {
            return Ok(());
        }
        let mut recipients: Vec<Caller> = units::local_station(context, &row.division)
            .into_iter()
            .collect();
        recipients.extend(units::with_role_in(
            context,
            "county-civil-affairs",
            &row.division,
        ));
        notifications::issue(
            context,
            tx,
            &NewNotification {
                kind: IDENTIFICATION_OVERDUE_NOTIFICATION.to_owned(),
                subject: format!("encounter/{}", row.id),
                division: row.division.clone(),
                summary: "the identification of a person in hospital is overdue".to_owned(),
                recipients,
                acknowledge_by: now + chrono::Duration::hours(24),
                escalate_to: Vec::new(),
                escalation_of: None,
            },
        )
        .await?;
        append(
            tx,
            now,
            &pb::HospitalIdentificationOverdue {
                encounter_id: row.id.clone(),
                division: row.division.clone(),
                due_at: Some(timestamp(deadline.due_at)),
            },
        )
        .await?;
        Ok(())
    }
}
