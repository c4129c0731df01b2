//! The police identity units' afternoon (at 15:00): the DNA laboratory and the face-comparison
//! centre go through the verification requests addressed to them, acknowledge the new ones
//! (most on the day; now and then one is forgotten and deemed received after 3 working days),
//! and submit their results when the comparison is done (the laboratory is slow: some answers
//! come after the one-month due time).

use chrono::Duration;
use relief_proto::identity::v1 as identity;
use relief_runtime::Caller;
use relief_runtime::time::instant;

use super::calls::{refused, request_id, rpc, try_rpc};
use super::units;
use super::world::World;

/// Days after which an identity unit answers a request the demo did not file (an earlier run's).
const EARLIER_REQUEST_DAYS: i64 = 10;

/// The identity units' afternoon of today.
pub async fn afternoon(world: &mut World) -> anyhow::Result<()> {
    for unit in [units::forensics(), units::face_centre()] {
        for pending in pending_requests(world, &unit).await? {
            match world.request(&pending.verification_id) {
                Some((person, request)) => {
                    work_on(world, &unit, person, request, &pending).await?;
                }
                None => work_on_earlier(world, &unit, &pending).await?,
            }
        }
    }
    Ok(())
}

/// Every request addressed to `unit` and not answered yet, oldest first.
async fn pending_requests(
    world: &World,
    unit: &Caller,
) -> anyhow::Result<Vec<identity::VerificationRequest>> {
    let client = world.conn.identity(unit)?;
    let mut found = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = rpc!(
            format!("{} lists its pending requests", unit.unit),
            client.clone(),
            list_pending_verification_requests,
            identity::ListPendingVerificationRequestsRequest {
                page_size: 200,
                page_token: page_token.clone(),
            }
        )?;
        found.extend(page.verifications);
        if page.next_page_token.is_empty() {
            return Ok(found);
        }
        page_token = page.next_page_token;
    }
}

/// `unit` works on request `request` of person `person`: acknowledges it when it gets round to
/// it, and submits the result when the comparison is done.
async fn work_on(
    world: &mut World,
    unit: &Caller,
    person: usize,
    request: usize,
    pending: &identity::VerificationRequest,
) -> anyhow::Result<()> {
    let plan = world.people[person].plan.clone();
    let filed = world.people[person].requests[request].clone();
    let waited = world.today - filed.filed_day;
    if !filed.acknowledged && plan.ack_days.is_some_and(|days| waited >= days) {
        acknowledge(world, unit, &filed.verification_id).await?;
        world.people[person].requests[request].acknowledged = true;
    }
    let (days, identifies) = match filed.method {
        identity::VerificationMethod::Dna => (plan.dna_days, plan.dna_identifies),
        _ => (plan.face_days, plan.face_identifies),
    };
    if waited < days {
        return Ok(());
    }
    let outcome = if identifies {
        identity::submit_verification_result_request::Outcome::Identified(identity::Identified {
            identity: Some(identity::IdentityDetails {
                name: plan.name.clone(),
                id_number: plan.id_number.clone(),
                household_address: plan.home_address.clone(),
                household_division: plan.home_division.to_owned(),
            }),
        })
    } else {
        identity::submit_verification_result_request::Outcome::NoMatch(identity::NoMatch {
            sample_reference: format!(
                "{}-{}-{:04}",
                if filed.method == identity::VerificationMethod::Dna {
                    "DNA"
                } else {
                    "RX"
                },
                world.date().format("%Y%m%d"),
                person
            ),
        })
    };
    submit(world, unit, &filed.verification_id, filed.method, outcome).await?;
    let due_at = pending
        .due_at
        .as_ref()
        .and_then(|due_at| instant("due_at", Some(due_at)).ok());
    if due_at.is_some_and(|due_at| world.at(15, 0) > due_at) {
        world.tally.late_results += 1;
    }
    let state = &mut world.people[person];
    state.requests[request].answered = true;
    if identifies && state.police_identified_day.is_none() {
        state.police_identified_day = Some(world.today);
        world.tally.police_identified += 1;
    }
    Ok(())
}

/// A request the demo did not file this time (an earlier run's): acknowledged, and after ten
/// days answered with no match.
async fn work_on_earlier(
    world: &mut World,
    unit: &Caller,
    pending: &identity::VerificationRequest,
) -> anyhow::Result<()> {
    if pending.acknowledged_at.is_none() {
        acknowledge(world, unit, &pending.verification_id).await?;
    }
    let filed_at = instant("filed_at", pending.filed_at.as_ref())
        .map_err(|error| anyhow::anyhow!("a pending request without a filing time: {error}"))?;
    if world.at(15, 0) - filed_at < Duration::days(EARLIER_REQUEST_DAYS) {
        return Ok(());
    }
    let method = pending
        .methods
        .first()
        .and_then(|method| identity::VerificationMethod::try_from(*method).ok())
        .unwrap_or(identity::VerificationMethod::Face);
    let outcome =
        identity::submit_verification_result_request::Outcome::NoMatch(identity::NoMatch {
            sample_reference: format!("BD-{}", world.date().format("%Y%m%d")),
        });
    submit(world, unit, &pending.verification_id, method, outcome).await
}

/// The unit acknowledges receipt: the one-month answer period starts.
async fn acknowledge(
    world: &mut World,
    unit: &Caller,
    verification_id: &str,
) -> anyhow::Result<()> {
    rpc!(
        format!("{} acknowledges a verification request", unit.unit),
        world.conn.identity(unit)?,
        acknowledge_verification_request,
        identity::AcknowledgeVerificationRequestRequest {
            request_id: request_id(),
            verification_id: verification_id.to_owned(),
        }
    )?;
    world.tally.acknowledged += 1;
    Ok(())
}

/// The unit submits the result of one method.
async fn submit(
    world: &mut World,
    unit: &Caller,
    verification_id: &str,
    method: identity::VerificationMethod,
    outcome: identity::submit_verification_result_request::Outcome,
) -> anyhow::Result<()> {
    let request = identity::SubmitVerificationResultRequest {
        request_id: request_id(),
        verification_id: verification_id.to_owned(),
        method: method as i32,
        outcome: Some(outcome),
    };
    match try_rpc!(
        world.conn.identity(unit)?,
        submit_verification_result,
        request
    ) {
        Ok(_) => {
            world.tally.results += 1;
            Ok(())
        }
        Err(status) => Err(refused(
            format!("{} submits a verification result", unit.unit),
            &status,
        )),
    }
}
