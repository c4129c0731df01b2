//! Sightings and encounters through the gRPC API with real mTLS callers (testkit cluster), on
//! SQLite and PostgreSQL: scope, validation, the escort and capacity rules, the handover, and
//! the hospital identification task done in time and overdue (dev clock).

#![allow(clippy::unwrap_used, reason = "test helpers: a panic is a failed test")]

use prost_types::Timestamp;
use relief_proto::intake::v1 as pb;
use relief_proto::intake::v1::intake_service_client::IntakeServiceClient;
use relief_proto::notifications::v1::ListNotificationsRequest;
use relief_proto::notifications::v1::notification_service_client::NotificationServiceClient;
use relief_runtime::{Caller, CallerKind};
use relief_testkit::fixtures::units::{city_grid_center, sz_station, xlt_police, xlt_station};
use relief_testkit::fixtures::{fields, reason, request_id};
use relief_testkit::{Cluster, TestBackend, wait_until};
use tonic::Code;

fn unit(kind: CallerKind, division: &str, id: &str) -> Caller {
    Caller::new(kind, division, id).unwrap()
}

async fn intake(cluster: &Cluster, who: &Caller) -> IntakeServiceClient<tonic::transport::Channel> {
    IntakeServiceClient::new(cluster.channel("intake", who).await)
}

fn ts(instant: chrono::DateTime<chrono::Utc>) -> Option<Timestamp> {
    Some(relief_runtime::time::timestamp(instant))
}

async fn sighting_scope_and_validation(backend: TestBackend) {
    let Some(cluster) = Cluster::builder().backend(backend).start().await else {
        return;
    };
    let now = cluster.clock.now();
    let report = pb::ReportSightingRequest {
        request_id: request_id(),
        division: "211103".into(),
        address: "兴隆台区 石油大街 站前广场".into(),
        found_at: ts(now - chrono::Duration::minutes(30)),
        description: "男性，约70岁，衣着单薄".into(),
        flags: Some(pb::VulnerableFlags {
            elderly: true,
            ..Default::default()
        }),
    };
    let mut grid_client = intake(&cluster, &city_grid_center()).await;
    let sighting = grid_client
        .report_sighting(report.clone())
        .await
        .unwrap()
        .into_inner()
        .sighting
        .unwrap();
    let retry = grid_client
        .report_sighting(report.clone())
        .await
        .unwrap()
        .into_inner()
        .sighting
        .unwrap();
    assert_eq!(
        retry.sighting_id, sighting.sighting_id,
        "a retry returns the first sighting"
    );
    assert!(sighting.warnings.is_empty());

    // Who sees it: the reporter, the county station, the city bureau; not another county's
    // station, nor another reporter.
    let get = |id: &str| pb::GetSightingRequest {
        sighting_id: id.to_owned(),
    };
    for who in [
        city_grid_center(),
        xlt_station(),
        unit(CallerKind::CivilAffairs, "211100", "city-civil-affairs"),
    ] {
        let seen = intake(&cluster, &who)
            .await
            .get_sighting(get(&sighting.sighting_id))
            .await;
        assert!(seen.is_ok(), "{who} should see it");
    }
    for who in [
        sz_station(),
        xlt_police(),
        unit(CallerKind::CivilAffairs, "211102", "sz-civil-affairs"),
    ] {
        let status = intake(&cluster, &who)
            .await
            .get_sighting(get(&sighting.sighting_id))
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::NotFound, "{who}");
    }
    let missing = intake(&cluster, &xlt_station())
        .await
        .get_sighting(get("no-such-id"))
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::NotFound);

    // A foster institution may not report sightings at all.
    let foster = unit(CallerKind::Foster, "211103", "inst-1");
    let denied = intake(&cluster, &foster)
        .await
        .report_sighting(report.clone())
        .await
        .unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied);

    // Every bad field is named at once.
    let bad = pb::ReportSightingRequest {
        request_id: request_id(),
        division: "2111".into(),
        address: " ".into(),
        found_at: ts(now + chrono::Duration::days(1)),
        ..report.clone()
    };
    let status = grid_client.report_sighting(bad).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    let mut named = fields(&status);
    named.sort();
    assert_eq!(named, ["address", "division", "found_at"]);

    // A well-formed but unknown division is accepted with a warning.
    let unknown = pb::ReportSightingRequest {
        request_id: request_id(),
        division: "211199".into(),
        ..report.clone()
    };
    let accepted = grid_client
        .report_sighting(unknown)
        .await
        .unwrap()
        .into_inner()
        .sighting
        .unwrap();
    assert_eq!(accepted.warnings, ["UNKNOWN_DIVISION_CODE: division"]);

    // Lists: the county station sees its division's one; the city bureau sees both, page by page.
    let list = |page_token: String| pb::ListSightingsRequest {
        page_size: 1,
        page_token,
        division: String::new(),
    };
    let county = intake(&cluster, &xlt_station())
        .await
        .list_sightings(list(String::new()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(county.sightings.len(), 1);
    assert!(county.next_page_token.is_empty());
    let mut city = intake(
        &cluster,
        &unit(CallerKind::CivilAffairs, "211100", "city-civil-affairs"),
    )
    .await;
    let first = city
        .list_sightings(list(String::new()))
        .await
        .unwrap()
        .into_inner();
    let second = city
        .list_sightings(list(first.next_page_token.clone()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first.sightings.len() + second.sightings.len(), 2);
    assert_ne!(
        first.sightings[0].sighting_id,
        second.sightings[0].sighting_id
    );
    let outside = pb::ListSightingsRequest {
        division: "211102".into(),
        ..list(String::new())
    };
    let refused = intake(&cluster, &xlt_station())
        .await
        .list_sightings(outside)
        .await
        .unwrap_err();
    assert_eq!(fields(&refused), ["division"]);
    cluster.stop().await.unwrap();
}

fn encounter(
    now: chrono::DateTime<chrono::Utc>,
    outcome: pb::EncounterOutcome,
) -> pb::RecordEncounterRequest {
    pb::RecordEncounterRequest {
        request_id: request_id(),
        sighting_id: String::new(),
        division: "211103".into(),
        occurred_at: ts(now - chrono::Duration::minutes(10)),
        outcome: outcome as i32,
        flags: Some(pb::VulnerableFlags::default()),
        estimated_age: 40,
        capacity: pb::CivilCapacity::Unspecified as i32,
        consent_recorded: false,
        handover: None,
        acute_illness: None,
        refusal: None,
    }
}

fn handover(now: chrono::DateTime<chrono::Utc>, station: &str) -> Option<pb::Handover> {
    Some(pb::Handover {
        handing_officer: "警号 021345".into(),
        receiving_station: station.into(),
        handed_over_at: ts(now - chrono::Duration::minutes(5)),
        belongings: vec!["棉被一条".into(), "身份证复印件一张".into()],
    })
}

async fn encounter_rules_and_handover(backend: TestBackend) {
    let Some(cluster) = Cluster::builder().backend(backend).start().await else {
        return;
    };
    let now = cluster.clock.now();
    let mut officer = intake(&cluster, &xlt_police()).await;
    let elderly = Some(pb::VulnerableFlags {
        elderly: true,
        ..Default::default()
    });

    // An elderly person is escorted, not merely informed.
    let informed = pb::RecordEncounterRequest {
        flags: elderly,
        estimated_age: 75,
        ..encounter(now, pb::EncounterOutcome::Informed)
    };
    let status = officer.record_encounter(informed).await.unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert_eq!(reason(&status), "VULNERABLE_PERSON_MUST_BE_ESCORTED");

    // An elderly person with full capacity is escorted only with consent.
    let no_consent = pb::RecordEncounterRequest {
        flags: elderly,
        estimated_age: 75,
        handover: handover(now, "xlt-station"),
        ..encounter(now, pb::EncounterOutcome::Escorted)
    };
    let status = officer
        .record_encounter(no_consent.clone())
        .await
        .unwrap_err();
    assert_eq!(reason(&status), "ESCORT_NEEDS_CONSENT");

    // A 12-year-old cannot refuse; an age under 18 makes a minor whatever the flags say.
    let refused = pb::RecordEncounterRequest {
        estimated_age: 12,
        refusal: Some(pb::Refusal {
            contact_given: true,
            persuasion: "劝导三次".into(),
        }),
        ..encounter(now, pb::EncounterOutcome::Refused)
    };
    let status = officer.record_encounter(refused.clone()).await.unwrap_err();
    assert_eq!(reason(&status), "PERSON_CANNOT_REFUSE");
    // An adult recorded as lacking capacity cannot refuse either; one with capacity can.
    let lacking = pb::RecordEncounterRequest {
        request_id: request_id(),
        estimated_age: 40,
        capacity: pb::CivilCapacity::Lacking as i32,
        ..refused.clone()
    };
    assert_eq!(
        reason(&officer.record_encounter(lacking).await.unwrap_err()),
        "PERSON_CANNOT_REFUSE"
    );
    let adult = pb::RecordEncounterRequest {
        request_id: request_id(),
        estimated_age: 40,
        ..refused.clone()
    };
    officer.record_encounter(adult).await.unwrap();
    // A self-supporting 17-year-old has full capacity and may refuse.
    let seventeen = pb::RecordEncounterRequest {
        request_id: request_id(),
        estimated_age: 17,
        capacity: pb::CivilCapacity::Full as i32,
        ..refused.clone()
    };
    officer.record_encounter(seventeen).await.unwrap();
    // Refusing without the station's contact given is bad input.
    let no_contact = pb::RecordEncounterRequest {
        request_id: request_id(),
        estimated_age: 40,
        refusal: Some(pb::Refusal {
            contact_given: false,
            persuasion: String::new(),
        }),
        ..refused.clone()
    };
    assert_eq!(
        fields(&officer.record_encounter(no_contact).await.unwrap_err()),
        ["refusal.contact_given"]
    );

    // With consent, the escort is recorded; the receiving station alone can accept it.
    let escorted = officer
        .record_encounter(pb::RecordEncounterRequest {
            request_id: request_id(),
            consent_recorded: true,
            ..no_consent
        })
        .await
        .unwrap()
        .into_inner()
        .encounter
        .unwrap();
    assert_eq!(escorted.handover.as_ref().unwrap().belongings.len(), 2);
    let accept = pb::AcceptHandoverRequest {
        request_id: request_id(),
        encounter_id: escorted.encounter_id.clone(),
        receiving_staff: "值班员 李".into(),
    };
    let status = intake(&cluster, &sz_station())
        .await
        .accept_handover(accept.clone())
        .await
        .unwrap_err();
    assert_eq!(
        status.code(),
        Code::NotFound,
        "another station must not see the handover"
    );
    let status = officer.accept_handover(accept.clone()).await.unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    let accepted = intake(&cluster, &xlt_station())
        .await
        .accept_handover(accept)
        .await
        .unwrap()
        .into_inner()
        .encounter
        .unwrap();
    assert!(accepted.handover_accepted_at.is_some());
    assert_eq!(accepted.receiving_staff, "值班员 李");

    // A handover to a unit that is not a station is bad input.
    let wrong_station = pb::RecordEncounterRequest {
        estimated_age: 12,
        handover: handover(now, "city-police"),
        ..encounter(now, pb::EncounterOutcome::Escorted)
    };
    assert_eq!(
        fields(&officer.record_encounter(wrong_station).await.unwrap_err()),
        ["handover.receiving_station"]
    );
    cluster.stop().await.unwrap();
}

async fn notifications_of(cluster: &Cluster, who: &Caller) -> Vec<String> {
    NotificationServiceClient::new(cluster.channel("intake", who).await)
        .list_notifications(ListNotificationsRequest {
            page_size: 100,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .notifications
        .into_iter()
        .map(|n| n.kind)
        .collect()
}

async fn hospital_identification_in_time_and_overdue(backend: TestBackend) {
    let Some(cluster) = Cluster::builder().backend(backend).start().await else {
        return;
    };
    let now = cluster.clock.now();
    let mut officer = intake(&cluster, &xlt_police()).await;
    let acute = |minutes_ago| pb::RecordEncounterRequest {
        occurred_at: ts(now - chrono::Duration::minutes(minutes_ago)),
        acute_illness: Some(pb::AcuteIllness {
            hospital: "city-central-hospital".into(),
            taken_to_hospital: true,
        }),
        ..encounter(now, pb::EncounterOutcome::AcuteIllness)
    };
    let first = officer
        .record_encounter(acute(10))
        .await
        .unwrap()
        .into_inner()
        .encounter
        .unwrap();
    let second = officer
        .record_encounter(acute(5))
        .await
        .unwrap()
        .into_inner()
        .encounter
        .unwrap();
    assert!(first.flags.unwrap().acute_illness);
    assert!(first.identification_due_at.is_some());
    // The local station is asked to identify each person.
    let asked = notifications_of(&cluster, &xlt_station()).await;
    assert_eq!(
        asked
            .iter()
            .filter(|k| *k == "HOSPITAL_IDENTIFICATION_REQUESTED")
            .count(),
        2
    );

    // Only the local station records the identification.
    let identify = |id: &str| pb::CompleteHospitalIdentificationRequest {
        request_id: request_id(),
        encounter_id: id.to_owned(),
        identified_at: ts(cluster.clock.now()),
        needs_relief: true,
    };
    let status = intake(&cluster, &sz_station())
        .await
        .complete_hospital_identification(identify(&first.encounter_id))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    let mut station = intake(&cluster, &xlt_station()).await;
    let done = station
        .complete_hospital_identification(identify(&first.encounter_id))
        .await
        .unwrap()
        .into_inner()
        .encounter
        .unwrap();
    assert!(done.identified_at.is_some() && done.needs_relief);
    let again = station
        .complete_hospital_identification(identify(&first.encounter_id))
        .await
        .unwrap_err();
    assert_eq!(reason(&again), "IDENTIFICATION_ALREADY_RECORDED");

    // The second is not identified within 24 hours: the station and the county bureau hear of it.
    cluster.clock.advance(chrono::Duration::hours(25)).unwrap();
    let county = unit(CallerKind::CivilAffairs, "211103", "xlt-civil-affairs");
    wait_until("the overdue identification to be notified", || async {
        notifications_of(&cluster, &county)
            .await
            .contains(&"HOSPITAL_IDENTIFICATION_OVERDUE".to_owned())
    })
    .await;
    let station_kinds = notifications_of(&cluster, &xlt_station()).await;
    assert_eq!(
        station_kinds
            .iter()
            .filter(|k| *k == "HOSPITAL_IDENTIFICATION_OVERDUE")
            .count(),
        1,
        "only the late one is overdue"
    );
    // A late identification is still recorded.
    station
        .complete_hospital_identification(identify(&second.encounter_id))
        .await
        .unwrap();

    // The hospital reports the admission, then the discharge; only that hospital may.
    let stay = |step: pb::HospitalStayStep| pb::ReportHospitalStayRequest {
        request_id: request_id(),
        encounter_id: first.encounter_id.clone(),
        step: step as i32,
        at: ts(cluster.clock.now()),
    };
    let hospital = unit(CallerKind::Hospital, "211103", "city-central-hospital");
    let other_hospital = unit(CallerKind::Hospital, "211102", "city-mental-hospital");
    let mut reporting_hospital = intake(&cluster, &hospital).await;
    let status = reporting_hospital
        .report_hospital_stay(stay(pb::HospitalStayStep::Discharged))
        .await
        .unwrap_err();
    assert_eq!(reason(&status), "HOSPITAL_ADMISSION_NOT_REPORTED");
    let status = intake(&cluster, &other_hospital)
        .await
        .report_hospital_stay(stay(pb::HospitalStayStep::Admitted))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    let status = officer
        .report_hospital_stay(stay(pb::HospitalStayStep::Admitted))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    let admitted = reporting_hospital
        .report_hospital_stay(stay(pb::HospitalStayStep::Admitted))
        .await
        .unwrap()
        .into_inner()
        .encounter
        .unwrap();
    assert!(admitted.hospital_admitted_at.is_some());
    let status = reporting_hospital
        .report_hospital_stay(stay(pb::HospitalStayStep::Admitted))
        .await
        .unwrap_err();
    assert_eq!(reason(&status), "HOSPITAL_STAY_ALREADY_REPORTED");
    cluster.clock.advance(chrono::Duration::days(3)).unwrap();
    let discharged = reporting_hospital
        .report_hospital_stay(stay(pb::HospitalStayStep::Discharged))
        .await
        .unwrap()
        .into_inner()
        .encounter
        .unwrap();
    assert!(discharged.hospital_discharged_at.is_some());
    cluster.stop().await.unwrap();
}

macro_rules! on_both_backends {
    ($($name:ident => $body:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$body(relief_testkit::TestBackend::Sqlite).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    super::$body(relief_testkit::TestBackend::Postgres).await;
                }
            }
        )*
    };
}

on_both_backends!(
    sightings_are_scoped_validated_and_idempotent => sighting_scope_and_validation,
    encounters_enforce_escort_and_capacity_rules => encounter_rules_and_handover,
    hospital_identification_is_tracked_to_its_deadline => hospital_identification_in_time_and_overdue,
);
