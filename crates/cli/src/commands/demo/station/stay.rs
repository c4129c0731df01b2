//! How a stay goes on or ends: home once the person is known (from the station, or from foster
//! care), a self-departure, a person gone missing (an incident), a foster-care proposal (withdrawn
//! if the person is identified first), weekly lodging and meals, and a long stay justified.

use relief_proto::foster::v1 as foster;
use relief_proto::intake::v1 as intake;
use relief_runtime::time::timestamp;

use super::admission::{record_lodging_and_meals, record_service, weekly_services};
use super::identity::destination;
use crate::commands::demo::calls::{refused, request_id, rpc, try_rpc, wait_for};
use crate::commands::demo::cast::{Leaving, Stated};
use crate::commands::demo::world::World;

/// Today's step of a stay: home once the person is known, or as the plan says; weekly lodging
/// and meals; a long stay justified.
pub async fn end_or_continue_stay(world: &mut World, index: usize) -> anyhow::Result<()> {
    let person = &world.people[index];
    let plan = person.plan.clone();
    let admitted_day = person.admitted_day.unwrap_or(world.today);
    let due = world.today >= admitted_day + plan.leave_after;
    if plan.leaving == Leaving::Missing && due && person.in_station() {
        return went_missing(world, index).await;
    }
    let known_since = match plan.stated {
        Stated::Confirmed => Some(admitted_day),
        _ => person.identified_day,
    };
    if let Some((placement_id, _)) = person.placement.clone() {
        if known_since.is_some() {
            return end_placement_home(world, index, &placement_id).await;
        }
        return Ok(());
    }
    if let Some(since) = known_since {
        // Home a few days after admission, or a day or two after the identification.
        let wait = match plan.stated {
            Stated::Confirmed => plan.leave_after,
            _ => plan.leave_after.clamp(1, 2),
        };
        if world.today < since + wait {
            return weekly_services(world, index).await;
        }
        if let Some(proposal) = world.people[index].proposal.clone() {
            withdraw_proposal(world, index, &proposal).await?;
        }
        return match plan.leaving {
            Leaving::SelfDeparture if plan.stated == Stated::Confirmed => {
                discharge(world, index, intake::DepartureKind::SelfDeparture, None).await
            }
            Leaving::ReturnHome(mode) => discharge_home(world, index, mode).await,
            _ => discharge_home(world, index, intake::ReturnMode::EscortedByStaff).await,
        };
    }
    match plan.leaving {
        Leaving::SelfDeparture if due && world.people[index].proposal.is_none() => {
            return discharge(world, index, intake::DepartureKind::SelfDeparture, None).await;
        }
        Leaving::Foster if due && world.people[index].proposal.is_none() => {
            record_lodging_and_meals(world, index).await?;
            propose_placement(world, index).await?;
        }
        _ => {}
    }
    weekly_services(world, index).await?;
    justify_long_stay(world, index).await
}

/// The station closes the case with a departure, now.
async fn discharge(
    world: &mut World,
    index: usize,
    kind: intake::DepartureKind,
    return_home: Option<intake::ReturnHome>,
) -> anyhow::Result<()> {
    record_lodging_and_meals(world, index).await?;
    let person = &world.people[index];
    let plan = &person.plan;
    let under_16 = plan.age < 16;
    let mode = return_home.as_ref().map(|home| home.mode);
    let request = intake::DischargeCaseRequest {
        request_id: request_id(),
        case_id: person.case_id.clone().unwrap_or_default(),
        kind: kind as i32,
        departed_at: Some(timestamp(world.at(10, 15))),
        return_home,
        transfer_to_station: String::new(),
        guardian_present: under_16 && mode == Some(intake::ReturnMode::CollectedByRelatives as i32),
        escorted: under_16 && mode != Some(intake::ReturnMode::CollectedByRelatives as i32),
        notes: match kind {
            intake::DepartureKind::SelfDeparture => "本人签署自行离站声明".to_owned(),
            intake::DepartureKind::Missing => "外出未归，已报告走失".to_owned(),
            _ => String::new(),
        },
    };
    let station = plan.station.clone();
    rpc!(
        format!("{} discharges a case", station.unit),
        world.conn.intake(&station)?,
        discharge_case,
        request
    )?;
    world.people[index].closed = true;
    match kind {
        intake::DepartureKind::ReturnedHome => world.tally.returns_home += 1,
        intake::DepartureKind::SelfDeparture => world.tally.self_departures += 1,
        intake::DepartureKind::Missing => world.tally.missing += 1,
        _ => {}
    }
    Ok(())
}

/// Home (接送返回): escorted by staff, collected by relatives whose ID is checked, or with a
/// travel voucher.
async fn discharge_home(
    world: &mut World,
    index: usize,
    mode: intake::ReturnMode,
) -> anyhow::Result<()> {
    let destination = destination(world, index).await?;
    if mode == intake::ReturnMode::TravelVoucher {
        let at = world.at(10, 10);
        record_service(
            world,
            index,
            intake::ServiceKind::Other,
            12_600,
            "返乡乘车凭证及途中餐费",
            at,
        )
        .await?;
    }
    let return_home = intake::ReturnHome {
        mode: mode as i32,
        relative_id_checked: mode == intake::ReturnMode::CollectedByRelatives,
        destination_division: destination,
    };
    discharge(
        world,
        index,
        intake::DepartureKind::ReturnedHome,
        Some(return_home),
    )
    .await
}

/// The person went missing (走失): reported as an incident at once, and the case closed.
async fn went_missing(world: &mut World, index: usize) -> anyhow::Result<()> {
    let person = &world.people[index];
    let station = person.plan.station.clone();
    let request = intake::ReportIncidentRequest {
        request_id: request_id(),
        case_id: person.case_id.clone().unwrap_or_default(),
        kind: intake::IncidentKind::Missing as i32,
        occurred_at: Some(timestamp(world.at(7, 0))),
        description: "早饭后外出未归，站内及周边寻找未果，已报警".to_owned(),
    };
    rpc!(
        format!("{} reports an incident", station.unit),
        world.conn.intake(&station)?,
        report_incident,
        request
    )?;
    world.tally.incidents += 1;
    discharge(world, index, intake::DepartureKind::Missing, None).await
}

/// The station cannot care for the person itself: it proposes foster care (civil affairs
/// decides in the afternoon).
async fn propose_placement(world: &mut World, index: usize) -> anyhow::Result<()> {
    let person = &world.people[index];
    let plan = &person.plan;
    let self_care = if plan.flags.mobility_impaired || plan.flags.disabled {
        foster::SelfCare::None
    } else {
        foster::SelfCare::Partial
    };
    let request = foster::ProposePlacementRequest {
        request_id: request_id(),
        case_id: person.case_id.clone().unwrap_or_default(),
        reason: foster::PlacementReason::LacksFacilitiesAndStaff as i32,
        reason_details: "本站无护理床位，缺少专业护理人员".to_owned(),
        self_care: self_care as i32,
    };
    let station = plan.station.clone();
    let response = rpc!(
        format!("{} proposes a placement", station.unit),
        world.conn.foster(&station)?,
        propose_placement,
        request
    )?;
    world.people[index].proposal = response.placement.map(|placement| placement.placement_id);
    world.tally.proposed += 1;
    Ok(())
}

/// The person was identified before civil affairs decided: the station withdraws its proposal.
async fn withdraw_proposal(
    world: &mut World,
    index: usize,
    placement_id: &str,
) -> anyhow::Result<()> {
    let station = world.people[index].plan.station.clone();
    let request = foster::WithdrawPlacementRequest {
        request_id: request_id(),
        placement_id: placement_id.to_owned(),
        reason: "身份已查明，安排返乡".to_owned(),
    };
    rpc!(
        format!("{} withdraws a proposal", station.unit),
        world.conn.foster(&station)?,
        withdraw_placement,
        request
    )?;
    world.people[index].proposal = None;
    // Intake lets the case go once it has seen the withdrawal.
    let case_id = world.people[index].case_id.clone().unwrap_or_default();
    let client = world.conn.intake(&station)?;
    wait_for("intake to see the withdrawn proposal", || {
        let client = client.clone();
        let request = intake::GetCaseRequest {
            case_id: case_id.clone(),
        };
        async move {
            let case = try_rpc!(client, get_case, request)
                .map_err(|status| refused("read a case", &status))?
                .case;
            Ok(case
                .filter(|case| case.proposed_placement_id.is_empty())
                .map(|_| ()))
        }
    })
    .await
}

/// A resident of an institution was identified: the station ends the placement, home.
async fn end_placement_home(
    world: &mut World,
    index: usize,
    placement_id: &str,
) -> anyhow::Result<()> {
    let destination = destination(world, index).await?;
    let station = world.people[index].plan.station.clone();
    let request = foster::EndPlacementRequest {
        request_id: request_id(),
        placement_id: placement_id.to_owned(),
        kind: foster::PlacementEndKind::ReturnedHome as i32,
        ended_at: None,
        destination_division: destination,
        notes: "身份已查明，由站内工作人员护送返乡".to_owned(),
    };
    rpc!(
        format!("{} ends a placement", station.unit),
        world.conn.foster(&station)?,
        end_placement,
        request
    )?;
    let person = &mut world.people[index];
    person.placement = None;
    person.closed = true;
    world.tally.returns_home += 1;
    Ok(())
}

/// A stay past 10 days that the station can explain: it records why.
async fn justify_long_stay(world: &mut World, index: usize) -> anyhow::Result<()> {
    let person = &world.people[index];
    let plan = &person.plan;
    let admitted_day = person.admitted_day.unwrap_or(world.today);
    if !person.in_station()
        || person.justified
        || !plan.justify_long_stay
        || world.today < admitted_day + 11
    {
        return Ok(());
    }
    let station = plan.station.clone();
    let mut client = world.conn.intake(&station)?;
    let case = client
        .get_case(intake::GetCaseRequest {
            case_id: person.case_id.clone().unwrap_or_default(),
        })
        .await
        .map_err(|status| refused("read a case", &status))?
        .into_inner()
        .case;
    if case.is_none_or(|case| case.over_ten_days_since.is_none()) {
        return Ok(());
    }
    let request = intake::JustifyLongStayRequest {
        request_id: request_id(),
        case_id: person.case_id.clone().unwrap_or_default(),
        reason: "身份尚未查明，等待公安DNA比对结果".to_owned(),
    };
    rpc!(
        format!("{} justifies a long stay", station.unit),
        world.conn.intake(&station)?,
        justify_long_stay,
        request
    )?;
    world.people[index].justified = true;
    world.tally.stays_justified += 1;
    Ok(())
}
