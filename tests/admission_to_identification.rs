//! From admission to identification, across services (issue #5), on both backends:
//!
//! 1. a person admitted earlier with an ID number at the Xinglongtai station, and discharged;
//! 2. the same person comes back unable to say who they are: the station admits them UNKNOWN
//!    through intake, and identity opens a file from intake's feed;
//! 3. the station files a DNA + face verification request to the forensics unit;
//! 4. the unit finds it among its pending requests, acknowledges it, and submits IDENTIFIED;
//! 5. identity confirms the file and tells intake (IdentityConfirmed, no identity in it); intake
//!    asks identity who it is (GetIdentityFile as the intake service, with a purpose: audited
//!    there) and updates the case: CONFIRMED, the name and ID number, the origin division, and
//!    the link to the earlier case (RepeatLinked).

#![allow(clippy::unwrap_used, reason = "test code: a panic is a failed test")]

#[macro_use]
#[path = "common/mod.rs"]
mod common;

use chrono::{DateTime, Duration, Utc};
use common::{Scene, admission, events, timestamp};
use relief_proto::identity::v1 as identity;
use relief_proto::intake::v1 as intake;
use relief_runtime::with_db;
use relief_testkit::fixtures::units::{forensics, xlt_station};
use relief_testkit::fixtures::{request_id, with_purpose};
use relief_testkit::{TestBackend, wait_until};

on_both_backends!(
    an_unknown_person_is_identified_by_the_police_and_linked_to_an_earlier_stay,
    super::an_unknown_person_is_identified_by_the_police
);

/// The purpose intake states when it reads a confirmed identity (its consumer's constant).
const INTAKE_PURPOSE: &str = "update the case with the identity confirmed by the identity service";

/// A valid ID number of a man born 1975-03-08 with his household in Xinglongtai (211103).
fn id_number() -> String {
    relief_testkit::fixtures::id_number("211103", "19750308", "123")
}

/// Step 1: an earlier stay of the person, with the ID number, ended.
async fn earlier_stay(scene: &Scene, at: DateTime<Utc>) -> String {
    let mut intake = scene.intake(&xlt_station()).await;
    let person = intake::Person {
        name: "李四".to_owned(),
        sex: intake::Sex::Male as i32,
        id_number: id_number(),
        ..Default::default()
    };
    let case_id = scene
        .admit(
            &xlt_station(),
            admission(intake::IdentityStatus::Confirmed, person, at),
        )
        .await;
    intake
        .discharge_case(intake::DischargeCaseRequest {
            request_id: request_id(),
            case_id: case_id.clone(),
            kind: intake::DepartureKind::SelfDeparture as i32,
            departed_at: timestamp(at + Duration::days(2)),
            ..Default::default()
        })
        .await
        .unwrap();
    case_id
}

/// Steps 2 and 3: admitted UNKNOWN; identity opens the file; DNA and face requested.
async fn admitted_unknown(scene: &Scene, at: DateTime<Utc>) -> (String, String, String) {
    let case_id = scene.walk_in_unknown(at).await;
    let client = scene.identity(&xlt_station()).await;
    let by_case = identity::GetIdentityFileRequest {
        case_id: case_id.clone(),
        ..Default::default()
    };
    wait_until("identity opens the file of the admitted case", || {
        let (mut client, request) = (client.clone(), by_case.clone());
        async move { client.get_identity_file(request).await.is_ok() }
    })
    .await;
    let file = client
        .clone()
        .get_identity_file(by_case)
        .await
        .unwrap()
        .into_inner()
        .file
        .unwrap();
    assert_eq!(file.status, identity::IdentityFileStatus::Open as i32);
    let verification = client
        .clone()
        .file_verification_request(identity::FileVerificationRequestRequest {
            request_id: request_id(),
            file_id: file.file_id.clone(),
            methods: vec![
                identity::VerificationMethod::Dna as i32,
                identity::VerificationMethod::Face as i32,
            ],
            police_unit: "city-police-forensics".to_owned(),
            note: "请协助 DNA 采集比对及人像比对".to_owned(),
        })
        .await
        .unwrap()
        .into_inner()
        .verification
        .unwrap();
    (case_id, file.file_id, verification.verification_id)
}

/// Step 4: the forensics unit finds the request, acknowledges it and identifies the person.
async fn police_identify(scene: &Scene, verification_id: &str) {
    let mut police = scene.identity(&forensics()).await;
    let pending = police
        .list_pending_verification_requests(identity::ListPendingVerificationRequestsRequest {
            page_size: 20,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .verifications;
    assert_eq!(
        pending
            .iter()
            .map(|v| v.verification_id.as_str())
            .collect::<Vec<_>>(),
        [verification_id]
    );
    police
        .acknowledge_verification_request(identity::AcknowledgeVerificationRequestRequest {
            request_id: request_id(),
            verification_id: verification_id.to_owned(),
        })
        .await
        .unwrap();
    police
        .submit_verification_result(identity::SubmitVerificationResultRequest {
            request_id: request_id(),
            verification_id: verification_id.to_owned(),
            method: identity::VerificationMethod::Dna as i32,
            outcome: Some(
                identity::submit_verification_result_request::Outcome::Identified(
                    identity::Identified {
                        identity: Some(identity::IdentityDetails {
                            name: "李四".to_owned(),
                            id_number: id_number(),
                            household_address: "辽宁省盘锦市兴隆台区石油大街 8 号".to_owned(),
                            household_division: String::new(),
                        }),
                    },
                ),
            ),
        })
        .await
        .unwrap();
}

/// The scenario.
async fn an_unknown_person_is_identified_by_the_police(backend: TestBackend) {
    let Some(scene) = Scene::start(backend, None).await else {
        return;
    };
    let now = scene.cluster.clock.now();
    let earlier_case_id = earlier_stay(&scene, now - Duration::days(60)).await;
    let (case_id, file_id, verification_id) =
        admitted_unknown(&scene, now - Duration::hours(2)).await;
    police_identify(&scene, &verification_id).await;

    // Identity confirmed the file and said so, without the identity.
    let confirmed = events::<identity::IdentityConfirmed>(&scene.identity_db).await;
    assert_eq!(confirmed.len(), 1);
    assert_eq!(
        (confirmed[0].file_id.as_str(), confirmed[0].case_id.as_str()),
        (file_id.as_str(), case_id.as_str())
    );
    assert_eq!(confirmed[0].origin_division, "211103");

    // Intake's case takes the identity, read with a purpose by the station.
    let mut intake = scene.intake(&xlt_station()).await;
    let get = intake::GetCaseRequest {
        case_id: case_id.clone(),
    };
    wait_until("intake records the confirmed identity", || {
        let (mut client, request) = (intake.clone(), get.clone());
        async move {
            client
                .get_case(request)
                .await
                .unwrap()
                .into_inner()
                .case
                .unwrap()
                .identity_status
                == intake::IdentityStatus::Confirmed as i32
        }
    })
    .await;
    let case = intake
        .get_case(with_purpose(get, "核对已确认的受助人员身份"))
        .await
        .unwrap()
        .into_inner()
        .case
        .unwrap();
    let person = case.person.unwrap();
    assert_eq!(
        (person.name.as_str(), person.id_number.as_str()),
        ("李四", id_number().as_str())
    );
    assert_eq!(
        person.household_address,
        "辽宁省盘锦市兴隆台区石油大街 8 号"
    );
    assert_eq!(person.estimated_age, 50, "what intake recorded stays");
    assert_eq!(case.origin_division, "211103");

    // The earlier stay is linked as a repeat, once.
    assert_eq!(
        case.repeat_of_case_ids,
        std::slice::from_ref(&earlier_case_id)
    );
    let linked: Vec<intake::RepeatLinked> = events::<intake::RepeatLinked>(&scene.intake_db)
        .await
        .into_iter()
        .filter(|link| link.case_id == case_id)
        .collect();
    assert_eq!(linked.len(), 1);
    assert_eq!(
        (
            linked[0].earlier_case_id.as_str(),
            linked[0].origin_division.as_str()
        ),
        (earlier_case_id.as_str(), "211103")
    );

    // Intake's read of the identity was audited by identity, with its purpose.
    let audited: i64 = with_db!(&scene.identity_db, |pool| {
        sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE caller_kind = 'service' AND caller_unit = 'intake' \
         AND purpose = $1"
    )
    .bind(INTAKE_PURPOSE)
    .fetch_one(pool)
    .await
    })
    .unwrap();
    assert!(audited >= 1, "intake's read of the identity is audited");
    scene.stop().await;
}
