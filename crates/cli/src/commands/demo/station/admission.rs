//! Arrivals at a station: the written handover accepted, the identification at the hospital,
//! the admission (求助登记) as the person states themselves, and the services given and their
//! costs (据实结算).

use chrono::{DateTime, Duration, Utc};
use relief_proto::common::v1::Money;
use relief_proto::intake::v1 as intake;
use relief_runtime::time::timestamp;

use crate::commands::demo::calls::{request_id, rpc};
use crate::commands::demo::cast::{Route, Stated};
use crate::commands::demo::units;
use crate::commands::demo::world::World;

/// Lodging, per day, in fen.
const LODGING_FEN: i64 = 4_000;
/// Meals, per day, in fen.
const MEALS_FEN: i64 = 3_600;

/// A minute of the hour for the person, so admissions spread out.
pub fn minute_of(index: usize) -> i64 {
    i64::try_from(index % 50).unwrap_or(0)
}

/// The receiving station accepts the written handover.
pub async fn accept_handover(world: &mut World, index: usize) -> anyhow::Result<()> {
    let person = &world.people[index];
    let station = person.plan.station.clone();
    let request = intake::AcceptHandoverRequest {
        request_id: request_id(),
        encounter_id: person.encounter_id.clone().unwrap_or_default(),
        receiving_staff: format!(
            "{}值班员 {}号",
            units::division_name(&station.division),
            20 + index % 7
        ),
    };
    rpc!(
        format!("{} accepts a handover", station.unit),
        world.conn.intake(&station)?,
        accept_handover,
        request
    )?;
    world.tally.handovers += 1;
    Ok(())
}

/// The local station identifies the person at the hospital (甄别), within 24 hours.
pub async fn identify_at_hospital(world: &mut World, index: usize) -> anyhow::Result<()> {
    let person = &world.people[index];
    let station = person.plan.station.clone();
    let request = intake::CompleteHospitalIdentificationRequest {
        request_id: request_id(),
        encounter_id: person.encounter_id.clone().unwrap_or_default(),
        identified_at: Some(timestamp(world.at(10, 0))),
        needs_relief: true,
    };
    rpc!(
        format!("{} identifies a person at the hospital", station.unit),
        world.conn.intake(&station)?,
        complete_hospital_identification,
        request
    )?;
    Ok(())
}

/// The station registers the person (求助登记) as they state themselves, at `admitted_at`.
pub async fn admit(
    world: &mut World,
    index: usize,
    admitted_at: DateTime<Utc>,
) -> anyhow::Result<()> {
    let plan = &world.people[index].plan;
    let mut person = intake::Person {
        sex: plan.sex as i32,
        cause: plan.cause.to_owned(),
        ..Default::default()
    };
    match plan.stated {
        Stated::Confirmed => {
            person.name = plan.name.clone();
            person.id_number = plan.id_number.clone();
            person.household_division = plan.home_division.to_owned();
            person.household_address = plan.home_address.clone();
            person.relatives = "家属联系方式已登记".to_owned();
        }
        Stated::Unverified => {
            person.name = plan.name.clone();
            person.estimated_age = plan.age;
            person.household_division = plan.home_division.to_owned();
        }
        Stated::Unknown => {
            person.estimated_age = plan.age;
            person.cause = "无法说明".to_owned();
        }
    }
    let (referral, referral_encounter_id) = match plan.route {
        Route::Escorted { .. } | Route::Outreach { .. } => (
            intake::Referral::Handover,
            world.people[index].encounter_id.clone().unwrap_or_default(),
        ),
        Route::Hospital { .. } => (
            intake::Referral::Hospital,
            world.people[index].encounter_id.clone().unwrap_or_default(),
        ),
        _ => (intake::Referral::WalkIn, String::new()),
    };
    let identity_status = match plan.stated {
        Stated::Confirmed => intake::IdentityStatus::Confirmed,
        Stated::Unverified => intake::IdentityStatus::StatedUnverified,
        Stated::Unknown => intake::IdentityStatus::Unknown,
    };
    let health_check = if plan.flags.acute_illness {
        "医院出院小结：病情稳定，需按时服药"
    } else {
        "体温36.6℃，神志清楚，无外伤"
    };
    let request = intake::AdmitPersonRequest {
        request_id: request_id(),
        person: Some(person),
        admitted_at: Some(timestamp(admitted_at)),
        referral: referral as i32,
        referral_encounter_id,
        identity_status: identity_status as i32,
        flags: Some(plan.flags),
        belongings: plan
            .belongings
            .iter()
            .map(|item| (*item).to_owned())
            .collect(),
        health_check: health_check.to_owned(),
        transferred_from_case_id: String::new(),
    };
    let station = plan.station.clone();
    let response = rpc!(
        format!("{} admits a person", station.unit),
        world.conn.intake(&station)?,
        admit_person,
        request
    )?;
    let case = response
        .case
        .ok_or_else(|| anyhow::anyhow!("AdmitPerson answered no case"))?;
    let flags = case.flags.unwrap_or_default();
    let tally = &mut world.tally;
    tally.admissions += 1;
    tally.admitted_unknown +=
        u32::from(case.identity_status == intake::IdentityStatus::Unknown as i32);
    tally.admitted_minors += u32::from(flags.minor);
    tally.admitted_elderly += u32::from(flags.elderly);
    tally.admitted_disabled += u32::from(flags.disabled);
    let person = &mut world.people[index];
    person.case_id = Some(case.case_id);
    person.admitted_day = Some(world.today);
    person.admitted_at = Some(admitted_at);
    person.services_through = world.today;
    let plan = person.plan.clone();
    record_service(
        world,
        index,
        intake::ServiceKind::Other,
        3_500,
        "入站洗浴、更换衣物",
        admitted_at + Duration::minutes(20),
    )
    .await?;
    if plan.flags.acute_illness {
        let fen = 80_000 + i64::try_from(plan.key % 17).unwrap_or(0) * 9_150;
        record_service(
            world,
            index,
            intake::ServiceKind::Treatment,
            fen,
            "急病救治：住院治疗费用据实结算",
            admitted_at + Duration::minutes(30),
        )
        .await?;
    }
    Ok(())
}

/// The station records a service given during the stay and its cost.
pub async fn record_service(
    world: &mut World,
    index: usize,
    kind: intake::ServiceKind,
    fen: i64,
    description: &str,
    given_at: DateTime<Utc>,
) -> anyhow::Result<()> {
    let person = &world.people[index];
    let station = person.plan.station.clone();
    let request = intake::RecordServiceRequest {
        request_id: request_id(),
        case_id: person.case_id.clone().unwrap_or_default(),
        kind: kind as i32,
        given_at: Some(timestamp(given_at)),
        cost: Some(Money { fen }),
        description: description.to_owned(),
    };
    rpc!(
        format!("{} records a service", station.unit),
        world.conn.intake(&station)?,
        record_service,
        request
    )?;
    world.tally.services += 1;
    world.tally.service_fen += fen;
    Ok(())
}

/// Lodging and meals since they were last recorded, up to today (weekly, and when the person
/// leaves the station).
pub async fn record_lodging_and_meals(world: &mut World, index: usize) -> anyhow::Result<()> {
    let days = i64::from(
        world
            .today
            .saturating_sub(world.people[index].services_through),
    );
    if days == 0 {
        return Ok(());
    }
    let at = world.at(10, 5);
    record_service(
        world,
        index,
        intake::ServiceKind::Lodging,
        days * LODGING_FEN,
        &format!("住宿 {days} 天"),
        at,
    )
    .await?;
    record_service(
        world,
        index,
        intake::ServiceKind::Meals,
        days * MEALS_FEN,
        &format!("饮食 {days} 天"),
        at,
    )
    .await?;
    world.people[index].services_through = world.today;
    Ok(())
}

/// Lodging and meals every seventh day of a stay in the station.
pub async fn weekly_services(world: &mut World, index: usize) -> anyhow::Result<()> {
    let person = &world.people[index];
    if person.in_station() && world.today >= person.services_through + 7 {
        record_lodging_and_meals(world, index).await?;
    }
    Ok(())
}

/// The afternoon: a person discharged from hospital today is admitted by the local station.
pub async fn admit_from_hospital(world: &mut World, index: usize) -> anyhow::Result<()> {
    let at = world.at(14, 25);
    admit(world, index, at).await
}
