//! The designated hospital's afternoon: it reports admitting the people brought in ill in the
//! morning and, two days later, discharging them; the local station then admits them.

use chrono::Duration;
use relief_proto::intake::v1 as intake;
use relief_runtime::time::timestamp;

use super::calls::{request_id, rpc};
use super::cast::Route;
use super::station;
use super::units;
use super::world::World;

/// The hospital's afternoon of today.
pub async fn afternoon(world: &mut World) -> anyhow::Result<()> {
    for index in 0..world.people.len() {
        let plan = &world.people[index].plan;
        if !matches!(plan.route, Route::Hospital { .. }) {
            continue;
        }
        let found = world.at(6, 30) + Duration::minutes(i64::from(plan.found_minute));
        if plan.arrival_day == world.today {
            report_stay(
                world,
                index,
                intake::HospitalStayStep::Admitted,
                found + Duration::hours(1),
            )
            .await?;
        } else if plan.admission_day() == Some(world.today) {
            let at = world.at(14, 15);
            report_stay(world, index, intake::HospitalStayStep::Discharged, at).await?;
            station::admit_from_hospital(world, index).await?;
        }
    }
    Ok(())
}

/// The hospital reports a step of the stay of a person brought by an acute-illness encounter.
async fn report_stay(
    world: &mut World,
    index: usize,
    step: intake::HospitalStayStep,
    at: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<()> {
    let hospital = units::central_hospital();
    let request = intake::ReportHospitalStayRequest {
        request_id: request_id(),
        encounter_id: world.people[index].encounter_id.clone().unwrap_or_default(),
        step: step as i32,
        at: Some(timestamp(at)),
    };
    rpc!(
        format!("{} reports a hospital stay", hospital.unit),
        world.conn.intake(&hospital)?,
        report_hospital_stay,
        request
    )?;
    Ok(())
}
