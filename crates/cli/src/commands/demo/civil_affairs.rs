//! Civil affairs: before the month, the county bureaus register the institutions they supervise
//! (qualified, government-run) and the stations sign foster agreements with them; every
//! afternoon the bureau covering a case decides the stations' placement proposals, and the
//! origin county's bureau records its follow-ups after returns home (回归稳固).

use chrono::{Datelike, Duration};
use relief_proto::foster::v1 as foster;
use relief_proto::intake::v1 as intake;
use relief_runtime::time::instant;
use relief_runtime::{Caller, CallerKind};
use tonic::Code;

use super::calls::{refused, request_id, rpc, try_rpc};
use super::units;
use super::world::{Institution, World};

/// The institutions the demo places people in: (name, division, kind, for the elderly, beds).
const INSTITUTIONS: [(&str, &str, foster::InstitutionKind, bool, i32); 2] = [
    (
        "盘锦市兴隆台区社会福利中心",
        "211103",
        foster::InstitutionKind::ElderlyCare,
        true,
        120,
    ),
    (
        "盘锦市大洼区社会福利院",
        "211104",
        foster::InstitutionKind::SocialWelfare,
        false,
        80,
    ),
];

/// Registers the institutions (unless registered already), gives each its certificate, and has
/// every station sign an agreement with each that covers the month (unless one does).
pub async fn set_up(world: &mut World) -> anyhow::Result<()> {
    for (name, division, kind, for_elderly, capacity) in INSTITUTIONS {
        let id = match find_institution(world, name, division).await? {
            Some(id) => id,
            None => register_institution(world, name, division, kind, capacity).await?,
        };
        let caller = Caller::new(CallerKind::Foster, division, id.clone())?;
        world.conn.ensure_certificate(&caller)?;
        world.institutions.push(Institution {
            id,
            name,
            for_elderly,
            caller,
        });
    }
    for division in units::DIVISIONS {
        let station = units::station(division);
        for institution in world.institutions.clone() {
            if !agreement_covers_the_month(world, &station, &institution.id).await? {
                sign_agreement(world, &station, &institution.id).await?;
            }
        }
    }
    Ok(())
}

/// The id of the institution called `name` that the county bureau of `division` sees.
async fn find_institution(
    world: &World,
    name: &str,
    division: &str,
) -> anyhow::Result<Option<String>> {
    let bureau = units::civil_affairs(division);
    let listed = rpc!(
        format!("{} lists its institutions", bureau.unit),
        world.conn.foster(&bureau)?,
        list_institutions,
        foster::ListInstitutionsRequest {
            page_size: 500,
            division: division.to_owned(),
            ..Default::default()
        }
    )?;
    Ok(listed
        .institutions
        .into_iter()
        .find(|institution| {
            institution.name == name
                && institution.status == foster::InstitutionStatus::Active as i32
                && !institution.documents_expired
        })
        .map(|institution| institution.institution_id))
}

/// A document valid for years to come.
fn document(number: &str, expires_on: &str) -> Option<foster::Document> {
    Some(foster::Document {
        number: number.to_owned(),
        expires_on: expires_on.to_owned(),
    })
}

/// An adopted internal rule.
fn adopted(reference: &str) -> Option<foster::InternalRule> {
    Some(foster::InternalRule {
        adopted: true,
        document_reference: reference.to_owned(),
    })
}

/// The county bureau registers a qualified, government-run institution of its division.
async fn register_institution(
    world: &mut World,
    name: &str,
    division: &str,
    kind: foster::InstitutionKind,
    capacity: i32,
) -> anyhow::Result<String> {
    let start = world.calendar.start;
    let since = format!("{}-06-01", start.year() - 3);
    let expires = format!("{}-12-31", start.year() + 4);
    let request = foster::RegisterInstitutionRequest {
        request_id: request_id(),
        name: name.to_owned(),
        division: division.to_owned(),
        address: format!("{name}院内1号楼"),
        kind: kind as i32,
        government_run: true,
        capacity,
        approved_for_minors: false,
        qualification: Some(foster::Qualification {
            legal_person: document(&format!("12{division}MB0000{}", capacity / 10), ""),
            service_qualification: document(
                &format!("辽民养字第{}001号", start.year() - 3),
                &expires,
            ),
            fixed_premises: format!(
                "产权证 辽({})盘锦市不动产权第00{division}号",
                start.year() - 4
            ),
            operating_since: since.clone(),
            food_business_licence: document(&format!("JY3{division}0012345"), &expires),
            fire_safety: Some(foster::FireSafety {
                kind: foster::FireSafetyKind::Acceptance as i32,
                reference: format!("盘建消验字〔{}〕第018号", start.year() - 3),
                dated_on: format!("{}-05-20", start.year() - 3),
            }),
            internal_rules: Some(foster::InternalRules {
                management: adopted("管理制度"),
                finance_and_accounting: adopted("财务会计制度"),
                emergencies: adopted("突发事件应急预案"),
                information_reporting: adopted("信息报送制度"),
            }),
        }),
    };
    let bureau = units::civil_affairs(division);
    let response = rpc!(
        format!("{} registers an institution", bureau.unit),
        world.conn.foster(&bureau)?,
        register_institution,
        request
    )?;
    response
        .institution
        .map(|institution| institution.institution_id)
        .ok_or_else(|| anyhow::anyhow!("RegisterInstitution answered no institution"))
}

/// The last day of the drive, as `YYYY-MM-DD`.
fn last_day(world: &World) -> String {
    world
        .calendar
        .day(world.calendar.days)
        .format("%Y-%m-%d")
        .to_string()
}

/// Whether an agreement between `station` and the institution is in force on every day driven.
async fn agreement_covers_the_month(
    world: &World,
    station: &Caller,
    institution_id: &str,
) -> anyhow::Result<bool> {
    let listed = rpc!(
        format!("{} lists its agreements", station.unit),
        world.conn.foster(station)?,
        list_agreements,
        foster::ListAgreementsRequest {
            page_size: 500,
            institution_id: institution_id.to_owned(),
            station: station.unit.clone(),
            ..Default::default()
        }
    )?;
    let first = world.calendar.start.format("%Y-%m-%d").to_string();
    let last = last_day(world);
    Ok(listed.agreements.iter().any(|agreement| {
        agreement.superseded_by.is_empty()
            && agreement.starts_on <= first
            && agreement.ends_on >= last
    }))
}

/// The station signs a foster agreement (托养协议) with the institution, to the end of next year.
async fn sign_agreement(
    world: &World,
    station: &Caller,
    institution_id: &str,
) -> anyhow::Result<()> {
    let start = world.calendar.start;
    let request = foster::SignAgreementRequest {
        request_id: request_id(),
        institution_id: institution_id.to_owned(),
        starts_on: start.format("%Y-%m-%d").to_string(),
        ends_on: format!("{}-12-31", start.year() + 1),
        beds: 10,
        margin_bps: 500,
        reference: format!("托养协议 {}-{}", station.unit, start.format("%Y%m%d")),
    };
    rpc!(
        format!("{} signs an agreement", station.unit),
        world.conn.foster(station)?,
        sign_agreement,
        request
    )?;
    Ok(())
}

/// The bureaus' afternoon: placement decisions and follow-ups.
pub async fn afternoon(world: &mut World) -> anyhow::Result<()> {
    for index in 0..world.people.len() {
        if world.people[index].proposal.is_some() && world.people[index].placement.is_none() {
            decide_placement(world, index).await?;
        }
    }
    record_follow_ups(world).await
}

/// The bureau covering the case approves the proposal into the institution that suits the
/// person (elderly care for the elderly, the welfare institution for the others); a rule that
/// forbids it (beds full, say) makes the bureau decline.
async fn decide_placement(world: &mut World, index: usize) -> anyhow::Result<()> {
    let person = &world.people[index];
    let station = person.plan.station.clone();
    let bureau = units::civil_affairs(&station.division);
    let placement_id = person.proposal.clone().unwrap_or_default();
    let elderly = person.plan.flags.elderly;
    let institution = world
        .institutions
        .iter()
        .position(|institution| institution.for_elderly == elderly)
        .unwrap_or(0);
    let request = foster::ApprovePlacementRequest {
        request_id: request_id(),
        placement_id: placement_id.clone(),
        institution_id: world.institutions[institution].id.clone(),
        justification: String::new(),
    };
    // Until intake has seen the proposal the approval is UNAVAILABLE: retried with the same id.
    match try_rpc!(world.conn.foster(&bureau)?, approve_placement, request) {
        Ok(response) => {
            let placed = response
                .placement
                .map(|placement| placement.placement_id)
                .unwrap_or(placement_id);
            let today = world.today;
            let visit_day =
                (today + 2 + u32::try_from(index % 4).unwrap_or(0)).min(world.month_end_day());
            let stays = world.people[index].stays_unidentified();
            let person = &mut world.people[index];
            person.proposal = None;
            person.placement = Some((placed.clone(), institution));
            person.placed_day = Some(today);
            world.tally.placed += 1;
            world.plan_visit(&placed, &station, visit_day, stays);
            Ok(())
        }
        Err(status) if status.code() == Code::FailedPrecondition => {
            decline_placement(world, index, &bureau, status.message()).await
        }
        Err(status) => Err(refused(
            format!("{} approves a placement", bureau.unit),
            &status,
        )),
    }
}

/// The bureau declines a proposal it cannot approve; the person stays in the station.
async fn decline_placement(
    world: &mut World,
    index: usize,
    bureau: &Caller,
    why: &str,
) -> anyhow::Result<()> {
    let request = foster::DeclinePlacementRequest {
        request_id: request_id(),
        placement_id: world.people[index].proposal.clone().unwrap_or_default(),
        reason: format!("暂不能安排托养：{why}"),
    };
    rpc!(
        format!("{} declines a placement", bureau.unit),
        world.conn.foster(bureau)?,
        decline_placement,
        request
    )?;
    let person = &mut world.people[index];
    person.proposal = None;
    person.plan.leaving = super::cast::Leaving::Stay;
    world.tally.declined += 1;
    Ok(())
}

/// Each county bureau records the follow-ups of people who went home to it, about a week after
/// they did (due 30 days after the departure).
async fn record_follow_ups(world: &mut World) -> anyhow::Result<()> {
    let now = world.at(15, 0);
    for division in units::COUNTIES {
        let bureau = units::civil_affairs(division);
        let listed = rpc!(
            format!("{} lists its follow-ups", bureau.unit),
            world.conn.intake(&bureau)?,
            list_follow_ups,
            intake::ListFollowUpsRequest {
                page_size: 500,
                page_token: String::new(),
                pending_only: true,
            }
        )?;
        for follow_up in listed.follow_ups {
            let due_at = instant("due_at", follow_up.due_at.as_ref())
                .map_err(|error| anyhow::anyhow!("a follow-up without a due time: {error}"))?;
            if now < due_at - Duration::days(23) {
                continue;
            }
            let request = intake::RecordFollowUpRequest {
                request_id: request_id(),
                follow_up_id: follow_up.follow_up_id.clone(),
                situation: "已回到户籍地与家人同住，生活稳定".to_owned(),
                support: vec![intake::SupportKind::SocialAssistance as i32],
                guardians_reminded: true,
                guardian_abuse_found: false,
            };
            rpc!(
                format!("{} records a follow-up", bureau.unit),
                world.conn.intake(&bureau)?,
                record_follow_up,
                request
            )?;
            world.tally.follow_ups += 1;
        }
    }
    Ok(())
}

/// At the start of the drive and of each month, every station lists the residents it placed
/// and plans its monthly visit to each.
pub async fn plan_month_visits(world: &mut World) -> anyhow::Result<()> {
    let today = world.today;
    let month_end = world
        .month_end_day()
        .min(world.calendar.days.saturating_sub(1))
        .max(today);
    for division in units::DIVISIONS {
        let station = units::station(division);
        let client = world.conn.foster(&station)?;
        let mut page_token = String::new();
        loop {
            let page = rpc!(
                format!("{} lists its residents", station.unit),
                client.clone(),
                list_placements,
                foster::ListPlacementsRequest {
                    page_size: 500,
                    page_token: page_token.clone(),
                    status: foster::PlacementStatus::Active as i32,
                    ..Default::default()
                }
            )?;
            for placement in page.placements {
                // A day of the month for the visit: from the person's place in the cast (the
                // same for the same seed), or the placement id for an earlier run's resident.
                let spread = month_end - today + 1;
                let person = world.person_of_case(&placement.case_id);
                let offset = match person {
                    Some(person) => u32::try_from(person).unwrap_or(0).wrapping_mul(7),
                    None => placement.placement_id.bytes().fold(0u32, |sum, byte| {
                        sum.wrapping_mul(31).wrapping_add(u32::from(byte))
                    }),
                } % spread;
                let stays = person.is_none_or(|person| world.people[person].stays_unidentified());
                world.plan_visit(&placement.placement_id, &station, today + offset, stays);
            }
            if page.next_page_token.is_empty() {
                break;
            }
            page_token = page.next_page_token;
        }
    }
    Ok(())
}
