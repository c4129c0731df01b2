//! The foster institutions' afternoon: in the first days of a month each files its monthly
//! report on every resident for the month before (定期报告), and once in the month one reports
//! an injury of a resident at once (an incident: the station and the county are notified).

use chrono::{Datelike, Duration};
use relief_proto::foster::v1 as foster;
use relief_runtime::time::{instant, timestamp};
use tonic::Code;

use super::calls::{refused, request_id, rpc, try_rpc};
use super::clock::{first_of_month, local};
use super::world::World;

/// The institutions' afternoon of today.
pub async fn afternoon(world: &mut World) -> anyhow::Result<()> {
    file_monthly_reports(world).await?;
    report_an_injury(world).await
}

/// On the 2nd (the first institution) or 3rd (the second) of a month, each institution reports
/// on each resident it had in the month before.
async fn file_monthly_reports(world: &mut World) -> anyhow::Result<()> {
    let date = world.date();
    let month_start = local(first_of_month(date), 0, 0);
    let Some(last_month) = first_of_month(date).pred_opt() else {
        return Ok(());
    };
    let month = format!("{:04}-{:02}", last_month.year(), last_month.month());
    for (number, institution) in world.institutions.clone().into_iter().enumerate() {
        if u32::try_from(number).map_or(true, |number| date.day() != 2 + number) {
            continue;
        }
        let client = world.conn.foster(&institution.caller)?;
        let residents = rpc!(
            format!("{} lists its residents", institution.name),
            client.clone(),
            list_placements,
            foster::ListPlacementsRequest {
                page_size: 500,
                status: foster::PlacementStatus::Active as i32,
                ..Default::default()
            }
        )?;
        for placement in residents.placements {
            let placed_at = instant("placed_at", placement.placed_at.as_ref())
                .map_err(|error| anyhow::anyhow!("a placement without a time: {error}"))?;
            if placed_at >= month_start {
                continue;
            }
            let request = foster::FileReportRequest {
                request_id: request_id(),
                placement_id: placement.placement_id.clone(),
                month: month.clone(),
                condition: "身体状况稳定，饮食睡眠正常，参加院内康复活动".to_owned(),
            };
            match try_rpc!(client.clone(), file_report, request) {
                Ok(_) => world.tally.reports += 1,
                // Filed already (an earlier run), or the resident came later: nothing owed.
                Err(status) if status.code() == Code::FailedPrecondition => {}
                Err(status) => {
                    return Err(refused(
                        format!("{} files a monthly report", institution.name),
                        &status,
                    ));
                }
            }
        }
    }
    Ok(())
}

/// Three days after the month's first placement, its institution reports that the resident fell
/// and was hurt.
async fn report_an_injury(world: &mut World) -> anyhow::Result<()> {
    if world.foster_incident_reported {
        return Ok(());
    }
    let Some(person) = world.people.iter().find(|person| {
        person.placement.is_some() && person.placed_day.is_some_and(|day| world.today >= day + 3)
    }) else {
        return Ok(());
    };
    let Some((placement_id, institution)) = person.placement.clone() else {
        return Ok(());
    };
    let institution = world.institutions[institution].clone();
    let request = foster::ReportFosterIncidentRequest {
        request_id: request_id(),
        placement_id,
        kind: foster::IncidentKind::Injury as i32,
        occurred_at: Some(timestamp(world.at(15, 0) - Duration::hours(9))),
        description: "夜间如厕时跌倒，右手腕擦伤，已送医检查处理，无骨折".to_owned(),
    };
    rpc!(
        format!("{} reports an incident", institution.name),
        world.conn.foster(&institution.caller)?,
        report_foster_incident,
        request
    )?;
    world.foster_incident_reported = true;
    world.tally.incidents += 1;
    Ok(())
}
