//! The stations' day (by 10:30, and the afternoon admission from hospital): accept handovers and
//! admit people ([`admission`]), follow up who they are ([`identity`]), end or continue each stay
//! ([`stay`]), and visit the residents they placed.

mod admission;
mod identity;
mod stay;

use chrono::Duration;
use relief_proto::foster::v1 as foster;
use relief_runtime::time::timestamp;

use super::calls::{request_id, rpc, try_rpc};
use super::cast::Route;
use super::street::{escort_to_station, report_sighting};
use super::world::World;

pub use admission::admit_from_hospital;

/// The stations' morning of today.
pub async fn morning(world: &mut World) -> anyhow::Result<()> {
    for index in 0..world.people.len() {
        let plan = &world.people[index].plan;
        if plan.arrival_day == world.today {
            match plan.route {
                Route::Outreach { .. } => {
                    let station = plan.station.clone();
                    if world.people[index].sighting_id.is_none() {
                        report_sighting(world, index, &station).await?;
                    }
                    escort_to_station(world, index, &station).await?;
                }
                Route::Hospital { .. } => admission::identify_at_hospital(world, index).await?,
                _ => {}
            }
        }
        let plan = &world.people[index].plan;
        if plan.admission_day() == Some(world.today)
            && !matches!(plan.route, Route::Hospital { .. })
        {
            if matches!(plan.route, Route::Escorted { .. } | Route::Outreach { .. }) {
                admission::accept_handover(world, index).await?;
            }
            admission::admit(
                world,
                index,
                world.at(9, 0) + Duration::minutes(admission::minute_of(index)),
            )
            .await?;
        }
        if world.people[index].in_care() {
            identity::follow_identity(world, index).await?;
            stay::end_or_continue_stay(world, index).await?;
        }
    }
    visit_residents(world).await
}

/// The stations visit the residents they placed (每月探视), as planned for today.
async fn visit_residents(world: &mut World) -> anyhow::Result<()> {
    for visit in 0..world.visits.len() {
        let planned = world.visits[visit].clone();
        if planned.day != world.today || planned.done {
            continue;
        }
        if planned.missed {
            world.tally.visits_missed += 1;
            world.visits[visit].done = true;
            continue;
        }
        // A resident who left since is not visited.
        let client = world.conn.foster(&planned.station)?;
        let placement = try_rpc!(
            client.clone(),
            get_placement,
            foster::GetPlacementRequest {
                placement_id: planned.placement_id.clone(),
            }
        )
        .map_err(|status| super::calls::refused("read a placement", &status))?
        .placement;
        let active = placement
            .is_some_and(|placement| placement.status == foster::PlacementStatus::Active as i32);
        if !active {
            world.visits[visit].done = true;
            continue;
        }
        let request = foster::RecordVisitRequest {
            request_id: request_id(),
            placement_id: planned.placement_id.clone(),
            visited_at: Some(timestamp(world.at(9, 30))),
            care_conditions: "居室整洁，饮食正常，按时服药，护理到位".to_owned(),
            identity_inquiry: "与本人交谈，询问家乡线索；寻亲公告持续发布".to_owned(),
        };
        rpc!(
            format!("{} records a visit", planned.station.unit),
            client,
            record_visit,
            request
        )?;
        world.visits[visit].done = true;
        world.tally.visits += 1;
    }
    Ok(())
}
