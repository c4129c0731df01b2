//! The morning round in the street (by 08:30): city-management patrols, grid officers and
//! police officers report the people they find and record what they did (informed, escorted to a
//! station with a written handover, taken to hospital, or refused); the 12345 hotline relays
//! tips from the public.

use chrono::Duration;
use relief_proto::intake::v1 as intake;
use relief_runtime::Caller;
use relief_runtime::time::timestamp;

use super::calls::{request_id, rpc};
use super::cast::Route;
use super::units;
use super::world::World;

/// The morning round of today.
pub async fn morning_round(world: &mut World) -> anyhow::Result<()> {
    for index in 0..world.people.len() {
        if world.people[index].plan.arrival_day != world.today {
            continue;
        }
        match world.people[index].plan.route.clone() {
            Route::WalkIn => {}
            Route::Outreach { tip } => {
                if tip {
                    report_sighting(world, index, &units::hotline()).await?;
                }
            }
            Route::Escorted { by } => {
                report_sighting(world, index, &by).await?;
                escort_to_station(world, index, &by).await?;
            }
            Route::Informed { by } => {
                report_sighting(world, index, &by).await?;
                tell_where_the_station_is(world, index, &by).await?;
            }
            Route::Refused { by } => {
                report_sighting(world, index, &by).await?;
                record_refusal(world, index, &by).await?;
            }
            Route::Hospital { by } => {
                report_sighting(world, index, &by).await?;
                take_to_hospital(world, index, &by).await?;
            }
        }
    }
    Ok(())
}

/// When the person was found today.
fn found_at(world: &World, index: usize) -> chrono::DateTime<chrono::Utc> {
    world.at(6, 30) + Duration::minutes(i64::from(world.people[index].plan.found_minute))
}

/// A patrol, grid officer, police officer or the hotline reports the person found (发现报告).
pub async fn report_sighting(world: &mut World, index: usize, by: &Caller) -> anyhow::Result<()> {
    let plan = &world.people[index].plan;
    let request = intake::ReportSightingRequest {
        request_id: request_id(),
        division: plan.division.to_owned(),
        address: plan.address.to_owned(),
        found_at: Some(timestamp(found_at(world, index))),
        description: plan.description.clone(),
        flags: Some(plan.flags),
    };
    let response = rpc!(
        format!("{} reports a sighting", by.unit),
        world.conn.intake(by)?,
        report_sighting,
        request
    )?;
    world.people[index].sighting_id = response.sighting.map(|sighting| sighting.sighting_id);
    world.tally.sightings += 1;
    Ok(())
}

/// The encounter as `by` records it, with `outcome` and its details filled in by `details`.
async fn record_encounter(
    world: &mut World,
    index: usize,
    by: &Caller,
    outcome: intake::EncounterOutcome,
    details: impl FnOnce(&mut intake::RecordEncounterRequest),
) -> anyhow::Result<()> {
    let plan = &world.people[index].plan;
    let capacity = if plan.lacks_capacity && !plan.flags.minor {
        intake::CivilCapacity::Lacking
    } else {
        intake::CivilCapacity::Unspecified
    };
    let mut request = intake::RecordEncounterRequest {
        request_id: request_id(),
        sighting_id: world.people[index].sighting_id.clone().unwrap_or_default(),
        division: plan.division.to_owned(),
        occurred_at: Some(timestamp(found_at(world, index) + Duration::minutes(15))),
        outcome: outcome as i32,
        flags: Some(plan.flags),
        estimated_age: plan.age,
        capacity: capacity as i32,
        ..Default::default()
    };
    details(&mut request);
    let response = rpc!(
        format!("{} records an encounter", by.unit),
        world.conn.intake(by)?,
        record_encounter,
        request
    )?;
    world.people[index].encounter_id = response.encounter.map(|encounter| encounter.encounter_id);
    world.tally.encounters += 1;
    Ok(())
}

/// The officer escorts the person to the station with a written handover (书面交接); an adult
/// with full capacity consents to it.
pub async fn escort_to_station(world: &mut World, index: usize, by: &Caller) -> anyhow::Result<()> {
    let plan = &world.people[index].plan;
    let consent = !plan.lacks_capacity;
    let handover = intake::Handover {
        handing_officer: format!("{}执勤队员 {}号", short_name(by), 1000 + plan.key),
        receiving_station: plan.station.unit.clone(),
        handed_over_at: Some(timestamp(found_at(world, index) + Duration::minutes(40))),
        belongings: plan
            .belongings
            .iter()
            .map(|item| (*item).to_owned())
            .collect(),
    };
    record_encounter(
        world,
        index,
        by,
        intake::EncounterOutcome::Escorted,
        |request| {
            request.consent_recorded = consent;
            request.handover = Some(handover);
        },
    )
    .await
}

/// The officer tells the person where the station is; the person comes the next day.
async fn tell_where_the_station_is(
    world: &mut World,
    index: usize,
    by: &Caller,
) -> anyhow::Result<()> {
    record_encounter(world, index, by, intake::EncounterOutcome::Informed, |_| {}).await
}

/// The person refuses help; the officer gives the station's contact and tries to persuade.
async fn record_refusal(world: &mut World, index: usize, by: &Caller) -> anyhow::Result<()> {
    record_encounter(
        world,
        index,
        by,
        intake::EncounterOutcome::Refused,
        |request| {
            request.refusal = Some(intake::Refusal {
                contact_given: true,
                persuasion: "告知救助站地址和电话，劝导其入站求助，本人表示不需要".to_owned(),
            });
        },
    )
    .await?;
    world.tally.refusals += 1;
    world.people[index].closed = true;
    Ok(())
}

/// The person is acutely ill: the officer takes them to the designated hospital (the local
/// station is told to identify them there within 24 hours).
async fn take_to_hospital(world: &mut World, index: usize, by: &Caller) -> anyhow::Result<()> {
    record_encounter(
        world,
        index,
        by,
        intake::EncounterOutcome::AcuteIllness,
        |request| {
            request.acute_illness = Some(intake::AcuteIllness {
                hospital: units::central_hospital().unit,
                taken_to_hospital: true,
            });
        },
    )
    .await?;
    world.tally.hospital += 1;
    Ok(())
}

/// How an officer signs a handover: the unit's kind in words.
fn short_name(by: &Caller) -> &'static str {
    match by.kind {
        relief_runtime::CallerKind::Patrol => "城管",
        relief_runtime::CallerKind::Grid => "网格员",
        relief_runtime::CallerKind::Station => "救助站街面巡查",
        _ => "民警",
    }
}
