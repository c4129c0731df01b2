//! Who a person is: the identity file identity opens from intake's feed, the family-search
//! notice (寻亲公告), the verification requests to the police (协助核查), relatives who come
//! forward, and news of the police's results.

use relief_proto::identity::v1 as identity;
use relief_runtime::time::timestamp;

use crate::commands::demo::calls::{refused, request_id, rpc, try_rpc, wait_for, with_purpose};
use crate::commands::demo::cast::Stated;
use crate::commands::demo::units;
use crate::commands::demo::world::{Filed, World};

/// The identity file of the person's case, as the station reads it (after identity has opened
/// it from intake's feed).
async fn file(world: &World, index: usize) -> anyhow::Result<identity::IdentityFile> {
    let person = &world.people[index];
    let station = &person.plan.station;
    let client = world.conn.identity(station)?;
    let request = identity::GetIdentityFileRequest {
        case_id: person.case_id.clone().unwrap_or_default(),
        file_id: String::new(),
    };
    wait_for("identity to open the file of an admitted person", || {
        let request = request.clone();
        let client = client.clone();
        async move {
            match try_rpc!(client, get_identity_file, request) {
                Ok(response) => Ok(response.file),
                Err(status) if status.code() == tonic::Code::NotFound => Ok(None),
                Err(status) => Err(refused("read an identity file", &status)),
            }
        }
    })
    .await
}

/// Notice, verification requests, relatives, and news from the police, for a person whose
/// identity the station does not know.
pub async fn follow_identity(world: &mut World, index: usize) -> anyhow::Result<()> {
    let person = &world.people[index];
    let plan = &person.plan;
    if plan.stated == Stated::Confirmed || person.identified_day.is_some() {
        return Ok(());
    }
    let admitted_day = person.admitted_day.unwrap_or(world.today);
    if person.file_id.is_none() {
        let file = file(world, index).await?;
        world.people[index].file_id = Some(file.file_id);
    }
    let person = &world.people[index];
    let plan = &person.plan;
    let notice_day = admitted_day + if plan.notice_late { 2 } else { 0 };
    if plan.stated == Stated::Unknown && !person.notice_recorded && world.today >= notice_day {
        publish_notice(world, index).await?;
    }
    let person = &world.people[index];
    if !person.requests_filed && world.today >= admitted_day + person.plan.request_delay {
        ask_police_to_verify(world, index).await?;
    }
    let person = &world.people[index];
    if let Some(after) = person.plan.relatives_after
        && world.today >= admitted_day + after
        && person.police_identified_day.is_none()
    {
        return relatives_confirm(world, index).await;
    }
    if person.police_identified_day.is_some() {
        // The police answered yesterday afternoon: the file shows who it is.
        let file = file(world, index).await?;
        if file.status == identity::IdentityFileStatus::Confirmed as i32 {
            world.people[index].identified_day = Some(world.today);
        }
    }
    Ok(())
}

/// The station records the family-search notice it published (寻亲公告).
async fn publish_notice(world: &mut World, index: usize) -> anyhow::Result<()> {
    let person = &world.people[index];
    let station = person.plan.station.clone();
    let request = identity::RecordNoticePublicationRequest {
        request_id: request_id(),
        file_id: person.file_id.clone().unwrap_or_default(),
        platform: "全国救助寻亲网".to_owned(),
        reference: format!("寻亲公告 {}-{:04}", world.date().format("%Y%m%d"), index),
        published_at: Some(timestamp(world.at(10, 0))),
    };
    rpc!(
        format!("{} records a family-search notice", station.unit),
        world.conn.identity(&station)?,
        record_notice_publication,
        request
    )?;
    world.people[index].notice_recorded = true;
    world.tally.notices += 1;
    Ok(())
}

/// The station asks the police to verify the identity (协助核查): DNA from the forensics
/// laboratory and a face comparison for a person who cannot say who they are, a face
/// comparison for one who gave a name.
async fn ask_police_to_verify(world: &mut World, index: usize) -> anyhow::Result<()> {
    let mut asks = vec![(
        identity::VerificationMethod::Face,
        units::face_centre(),
        "请协助人像比对",
    )];
    if world.people[index].plan.stated == Stated::Unknown {
        asks.push((
            identity::VerificationMethod::Dna,
            units::forensics(),
            "请协助DNA采集比对",
        ));
    }
    let station = world.people[index].plan.station.clone();
    for (method, unit, note) in asks {
        let request = identity::FileVerificationRequestRequest {
            request_id: request_id(),
            file_id: world.people[index].file_id.clone().unwrap_or_default(),
            methods: vec![method as i32],
            police_unit: unit.unit.clone(),
            note: note.to_owned(),
        };
        let response = rpc!(
            format!("{} files a verification request", station.unit),
            world.conn.identity(&station)?,
            file_verification_request,
            request
        )?;
        let verification_id = response
            .verification
            .map(|verification| verification.verification_id)
            .unwrap_or_default();
        world.people[index].requests.push(Filed {
            verification_id,
            method,
            filed_day: world.today,
            acknowledged: false,
            answered: false,
        });
        world.tally.requests += 1;
    }
    world.people[index].requests_filed = true;
    Ok(())
}

/// Relatives come forward after the notice; the station checks their documents and confirms
/// the identity itself.
async fn relatives_confirm(world: &mut World, index: usize) -> anyhow::Result<()> {
    let person = &world.people[index];
    let plan = &person.plan;
    let station = plan.station.clone();
    let request = identity::ConfirmIdentityRequest {
        request_id: request_id(),
        file_id: person.file_id.clone().unwrap_or_default(),
        method: identity::ConfirmationMethod::Relatives as i32,
        identity: Some(identity::IdentityDetails {
            name: plan.name.clone(),
            id_number: plan.id_number.clone(),
            household_address: plan.home_address.clone(),
            household_division: plan.home_division.to_owned(),
        }),
        note: "亲属看到寻亲公告后来站，经核对户口簿确认".to_owned(),
    };
    rpc!(
        format!("{} confirms an identity", station.unit),
        world.conn.identity(&station)?,
        confirm_identity,
        request
    )?;
    world.people[index].identified_day = Some(world.today);
    world.tally.relatives_confirmed += 1;
    Ok(())
}

/// Where an identified person goes home to: the household division the identification gave,
/// read with a purpose (audited).
pub async fn destination(world: &World, index: usize) -> anyhow::Result<String> {
    let person = &world.people[index];
    if person.plan.stated == Stated::Confirmed {
        return Ok(person.plan.home_division.to_owned());
    }
    let mut client = world.conn.identity(&person.plan.station)?;
    let request = with_purpose(
        identity::GetIdentityFileRequest {
            case_id: person.case_id.clone().unwrap_or_default(),
            file_id: String::new(),
        },
        "安排返乡，核对户籍地",
    )?;
    let file = client
        .get_identity_file(request)
        .await
        .map_err(|status| refused("read an identity for the return home", &status))?
        .into_inner()
        .file;
    Ok(file
        .and_then(|file| file.identity)
        .map(|identity| identity.household_division)
        .filter(|division| !division.is_empty())
        .unwrap_or_else(|| person.plan.home_division.to_owned()))
}
