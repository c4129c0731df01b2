//! The stranded register through the gRPC API, on SQLite and PostgreSQL, with the cluster's dev
//! clock: a file still open 3 months after its stay began enters it at 24:00 local of the
//! corresponding day (a status duration), with PersonStranded and notifications to the station
//! and the county civil affairs; a confirmed or closed file does not; each missing step is
//! listed and its completion is one StrandedStepCompleted; ListStrandedPersons filters, scopes
//! and pages; a transfer does not reset the 3 months.
//!
//! A stay beginning 2026-03-02 is stranded from 2026-06-03 00:00 +08:00 (the start day not
//! counted: the 3 months end at 24:00 of June 2).

#![allow(clippy::unwrap_used, reason = "test helpers: a panic is a failed test")]

#[macro_use]
#[path = "common/kit.rs"]
mod kit;

use chrono::{DateTime, Duration, Utc};
use kit::*;
use relief_proto::identity::v1 as pb;
use relief_proto::identity::v1::StrandedStep;
use relief_proto::intake::v1 as intake;
use relief_runtime::time::timestamp;
use relief_runtime::{Caller, with_db};
use relief_testkit::wait_until;
use tonic::Code;

/// The instant of an RFC 3339 text.
fn t(text: &str) -> DateTime<Utc> {
    kit::at(text).unwrap()
}

const ALL_STEPS: [i32; 3] = [
    StrandedStep::NoticePublished as i32,
    StrandedStep::DnaRequested as i32,
    StrandedStep::FaceResultReceived as i32,
];

fn list_request(page_size: i32) -> pb::ListStrandedPersonsRequest {
    pb::ListStrandedPersonsRequest {
        page_size,
        ..Default::default()
    }
}

async fn list(
    kit: &Kit,
    who: &Caller,
    request: pb::ListStrandedPersonsRequest,
) -> Result<pb::ListStrandedPersonsResponse, tonic::Status> {
    kit.identity(who)
        .await
        .list_stranded_persons(request)
        .await
        .map(tonic::Response::into_inner)
}

/// The file ids of the whole register as `who` sees it (one page).
async fn listed(kit: &Kit, who: &Caller) -> Vec<String> {
    list(kit, who, list_request(0))
        .await
        .unwrap()
        .persons
        .into_iter()
        .map(|person| person.file_id)
        .collect()
}

/// The subjects of the notifications of `kind` addressed to `who`, sorted.
async fn notified(kit: &Kit, who: &Caller, kind: &str) -> Vec<String> {
    let mut subjects: Vec<String> = notifications_of_kind(kit, who, kind)
        .await
        .into_iter()
        .map(|notification| notification.subject)
        .collect();
    subjects.sort();
    subjects
}

fn subjects(file_ids: &[&str]) -> Vec<String> {
    let mut subjects: Vec<String> = file_ids
        .iter()
        .map(|id| format!("identity-file/{id}"))
        .collect();
    subjects.sort();
    subjects
}

/// `ids` in register order for persons stranded at the same instant (by file id).
fn sorted(ids: &[&str]) -> Vec<String> {
    let mut ids: Vec<String> = ids.iter().map(|id| (*id).to_owned()).collect();
    ids.sort();
    ids
}

async fn deadline_due(kit: &Kit, id: &str) -> Option<DateTime<Utc>> {
    with_db!(&kit.db, |pool| sqlx::query_scalar(
        "SELECT due_at FROM deadlines WHERE id = $1 AND state = 'pending'"
    )
    .bind(id)
    .fetch_optional(pool)
    .await)
    .unwrap()
}

async fn record_notice(kit: &Kit, file_id: &str) -> pb::Notice {
    kit.identity(&xlt_station())
        .await
        .record_notice_publication(pb::RecordNoticePublicationRequest {
            request_id: request_id(),
            file_id: file_id.to_owned(),
            platform: "盘锦日报".to_owned(),
            reference: "2026年第150期".to_owned(),
            published_at: Some(timestamp(kit.now())),
        })
        .await
        .unwrap()
        .into_inner()
        .notice
        .unwrap()
}

async fn discharge(kit: &Kit, station: &Caller, request: intake::DischargeCaseRequest) {
    kit.intake(station)
        .await
        .discharge_case(request)
        .await
        .unwrap();
}

fn departure(
    case_id: &str,
    kind: intake::DepartureKind,
    at: DateTime<Utc>,
) -> intake::DischargeCaseRequest {
    intake::DischargeCaseRequest {
        request_id: request_id(),
        case_id: case_id.to_owned(),
        kind: kind as i32,
        departed_at: Some(timestamp(at)),
        ..Default::default()
    }
}

cluster_tests!(
    open_files_enter_the_register_with_their_missing_steps,
    start = kit::at("2026-03-02T09:00:00+08:00"),
    |kit| {
        let start = t("2026-03-02T09:00:00+08:00");
        let stranded_since = t("2026-06-03T00:00:00+08:00");
        let unknown = kit.admit_unknown(&xlt_station(), start).await;
        let stated_case = kit
            .admit(
                &xlt_station(),
                intake::IdentityStatus::StatedUnverified,
                start,
            )
            .await;
        let stated = kit.wait_file(&xlt_station(), &stated_case).await;
        let confirmed = kit.admit_unknown(&xlt_station(), start).await;
        let closed = kit.admit_unknown(&xlt_station(), start).await;
        assert_eq!(
            deadline_due(&kit, &format!("identity.stranded:{}", unknown.file_id)).await,
            Some(stranded_since)
        );
        // A stated identity owes refreshed notices from the month it is stranded.
        assert_eq!(
            deadline_due(
                &kit,
                &format!("identity.notice_refresh:{}:3", stated.file_id)
            )
            .await,
            Some(t("2026-07-03T00:00:00+08:00"))
        );

        kit.set_clock(start + Duration::days(1));
        kit.identity(&xlt_station())
            .await
            .confirm_identity(pb::ConfirmIdentityRequest {
                request_id: request_id(),
                file_id: confirmed.file_id.clone(),
                method: pb::ConfirmationMethod::Relatives as i32,
                identity: Some(pb::IdentityDetails {
                    name: "赵六".to_owned(),
                    ..Default::default()
                }),
                note: "家属持户口本来站确认".to_owned(),
            })
            .await
            .unwrap();
        discharge(
            &kit,
            &xlt_station(),
            departure(
                &closed.case_id,
                intake::DepartureKind::SelfDeparture,
                kit.now(),
            ),
        )
        .await;
        wait_until("identity closes the file", || async {
            kit.file(&xlt_station(), &closed.file_id).await.status
                == pb::IdentityFileStatus::Closed as i32
        })
        .await;

        // 24:00 of June 2: the two open files enter the register, the others do not.
        kit.set_clock(stranded_since + Duration::minutes(1));
        let events = kit.wait_events::<pb::PersonStranded>(2).await;
        wait_until("every stranded deadline fired or was cancelled", || async {
            kit.count(
                "SELECT COUNT(*) FROM deadlines WHERE kind = 'identity.stranded' \
                 AND state = 'pending'",
            )
            .await
                == 0
        })
        .await;
        assert_eq!(kit.events::<pb::PersonStranded>().await.len(), 2);
        let mut event_files: Vec<&str> = events.iter().map(|e| e.file_id.as_str()).collect();
        event_files.sort_unstable();
        assert_eq!(event_files, sorted(&[&unknown.file_id, &stated.file_id]));
        for event in &events {
            assert_eq!(instant(event.stranded_since.as_ref()), stranded_since);
            assert_eq!(event.missing, ALL_STEPS);
            assert_eq!(event.division, "211103");
        }

        let register = list(&kit, &xlt_station(), list_request(0)).await.unwrap();
        assert!(register.next_page_token.is_empty());
        let ids: Vec<&str> = register
            .persons
            .iter()
            .map(|p| p.file_id.as_str())
            .collect();
        assert_eq!(ids, sorted(&[&unknown.file_id, &stated.file_id]));
        for person in &register.persons {
            assert_eq!(instant(person.stranded_since.as_ref()), stranded_since);
            assert_eq!(instant(person.stay_began_at.as_ref()), start);
            assert_eq!(person.station, "xlt-station");
            assert_eq!(person.division, "211103");
            assert!(person.done.is_empty());
            assert_eq!(person.missing, ALL_STEPS);
            assert!(person.settlement_application_id.is_empty());
        }
        let person = |id: &str| {
            register
                .persons
                .iter()
                .find(|p| p.file_id == id)
                .unwrap()
                .clone()
        };
        assert_eq!(person(&unknown.file_id).case_id, unknown.case_id);
        assert_eq!(
            instant(
                kit.file(&xlt_station(), &unknown.file_id)
                    .await
                    .stranded_since
                    .as_ref()
            ),
            stranded_since
        );
        let expected = subjects(&[&unknown.file_id, &stated.file_id]);
        assert_eq!(
            notified(&kit, &xlt_station(), "PERSON_STRANDED").await,
            expected
        );
        assert_eq!(
            notified(&kit, &xlt_civil_affairs(), "PERSON_STRANDED").await,
            expected
        );

        // A notice: the step is done, once.
        record_notice(&kit, &unknown.file_id).await;
        record_notice(&kit, &unknown.file_id).await;
        let completed = kit.events::<pb::StrandedStepCompleted>().await;
        assert_eq!(completed.len(), 1);
        assert_eq!(completed[0].file_id, unknown.file_id);
        assert_eq!(completed[0].step, StrandedStep::NoticePublished as i32);
        assert_eq!(completed[0].division, "211103");
        let register = list(&kit, &xlt_station(), list_request(0)).await.unwrap();
        let now_unknown = register
            .persons
            .iter()
            .find(|p| p.file_id == unknown.file_id)
            .unwrap();
        assert_eq!(now_unknown.done, [StrandedStep::NoticePublished as i32]);
        assert_eq!(
            now_unknown.missing,
            [
                StrandedStep::DnaRequested as i32,
                StrandedStep::FaceResultReceived as i32
            ]
        );

        // A request asking for DNA and face: DNA is done, the face result still owed.
        kit.identity(&xlt_station())
            .await
            .file_verification_request(pb::FileVerificationRequestRequest {
                request_id: request_id(),
                file_id: stated.file_id.clone(),
                methods: vec![
                    pb::VerificationMethod::Dna as i32,
                    pb::VerificationMethod::Face as i32,
                ],
                police_unit: "city-police-forensics".to_owned(),
                note: String::new(),
            })
            .await
            .unwrap();
        let completed = kit.events::<pb::StrandedStepCompleted>().await;
        assert_eq!(completed.len(), 2);
        assert_eq!(completed[1].file_id, stated.file_id);
        assert_eq!(completed[1].step, StrandedStep::DnaRequested as i32);
        // A settlement application stands for the person while it is not rejected.
        let application = kit
            .identity(&xlt_station())
            .await
            .file_settlement_application(pb::FileSettlementApplicationRequest {
                request_id: request_id(),
                file_id: unknown.file_id.clone(),
                note: "滞留满三个月，申请落户安置".to_owned(),
            })
            .await
            .unwrap()
            .into_inner()
            .application
            .unwrap();
        let register = list(&kit, &xlt_station(), list_request(0)).await.unwrap();
        let now_stated = register
            .persons
            .iter()
            .find(|p| p.file_id == stated.file_id)
            .unwrap();
        assert_eq!(now_stated.done, [StrandedStep::DnaRequested as i32]);
        assert_eq!(
            now_stated.missing,
            [
                StrandedStep::NoticePublished as i32,
                StrandedStep::FaceResultReceived as i32
            ]
        );
        assert!(now_stated.settlement_application_id.is_empty());
        let now_unknown = register
            .persons
            .iter()
            .find(|p| p.file_id == unknown.file_id)
            .unwrap();
        assert_eq!(
            now_unknown.settlement_application_id,
            application.application_id
        );

        // Filtering by a missing step.
        let missing = |step: StrandedStep| pb::ListStrandedPersonsRequest {
            missing: step as i32,
            ..Default::default()
        };
        let ids = |response: pb::ListStrandedPersonsResponse| -> Vec<String> {
            response.persons.into_iter().map(|p| p.file_id).collect()
        };
        assert_eq!(
            ids(
                list(&kit, &xlt_station(), missing(StrandedStep::NoticePublished))
                    .await
                    .unwrap()
            ),
            [stated.file_id.as_str()]
        );
        assert_eq!(
            ids(
                list(&kit, &xlt_station(), missing(StrandedStep::DnaRequested))
                    .await
                    .unwrap()
            ),
            [unknown.file_id.as_str()]
        );
        let status = list(
            &kit,
            &xlt_station(),
            pb::ListStrandedPersonsRequest {
                missing: 99,
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(fields(&status), ["missing"]);
        kit.stop().await;
    }
);

cluster_tests!(
    the_register_is_scoped_and_paged_longest_stranded_first,
    start = kit::at("2026-03-04T12:00:00+08:00"),
    |kit| {
        let first = kit
            .admit_unknown(&xlt_station(), t("2026-03-02T09:00:00+08:00"))
            .await;
        let second = kit
            .admit_unknown(&xlt_station(), t("2026-03-03T21:00:00+08:00"))
            .await;
        let third = kit
            .admit_unknown(&xlt_station(), t("2026-03-04T08:00:00+08:00"))
            .await;
        let elsewhere = kit
            .admit_unknown(&sz_station(), t("2026-03-02T10:00:00+08:00"))
            .await;
        kit.set_clock(t("2026-06-05T00:01:00+08:00"));
        kit.wait_events::<pb::PersonStranded>(4).await;

        // A station pages through its own, longest stranded first.
        let page = list(&kit, &xlt_station(), list_request(2)).await.unwrap();
        let since: Vec<DateTime<Utc>> = page
            .persons
            .iter()
            .map(|p| instant(p.stranded_since.as_ref()))
            .collect();
        assert_eq!(
            since,
            [
                t("2026-06-03T00:00:00+08:00"),
                t("2026-06-04T00:00:00+08:00")
            ]
        );
        assert_eq!(page.persons[0].file_id, first.file_id);
        assert_eq!(page.persons[1].file_id, second.file_id);
        assert!(!page.next_page_token.is_empty());
        let rest = list(
            &kit,
            &xlt_station(),
            pb::ListStrandedPersonsRequest {
                page_size: 2,
                page_token: page.next_page_token.clone(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(rest.persons.len(), 1);
        assert_eq!(rest.persons[0].file_id, third.file_id);
        assert_eq!(
            instant(rest.persons[0].stranded_since.as_ref()),
            t("2026-06-05T00:00:00+08:00")
        );
        assert!(rest.next_page_token.is_empty());

        // Scope: the other county sees only its own; the city and the province see all.
        let xlt = [
            first.file_id.clone(),
            second.file_id.clone(),
            third.file_id.clone(),
        ];
        assert_eq!(
            listed(&kit, &sz_station()).await,
            [elsewhere.file_id.as_str()]
        );
        assert_eq!(
            listed(&kit, &sz_civil_affairs()).await,
            [elsewhere.file_id.as_str()]
        );
        assert_eq!(listed(&kit, &xlt_civil_affairs()).await, xlt);
        assert_eq!(listed(&kit, &xlt_government()).await, xlt);
        for wide in [city_civil_affairs(), province()] {
            let mut all = listed(&kit, &wide).await;
            assert_eq!(all.len(), 4, "{wide:?}");
            all.sort();
            let mut expected = vec![elsewhere.file_id.clone()];
            expected.extend(xlt.iter().cloned());
            expected.sort();
            assert_eq!(all, expected);
        }
        let in_xlt = |page_size| pb::ListStrandedPersonsRequest {
            page_size,
            division: "211103".to_owned(),
            ..Default::default()
        };
        let ids: Vec<String> = list(&kit, &city_civil_affairs(), in_xlt(0))
            .await
            .unwrap()
            .persons
            .into_iter()
            .map(|p| p.file_id)
            .collect();
        assert_eq!(ids, xlt);
        let status = list(&kit, &sz_civil_affairs(), in_xlt(0))
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(fields(&status), ["division"]);

        // Bad paging; a caller kind the RPC does not serve.
        let status = list(&kit, &xlt_station(), list_request(-1))
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(fields(&status), ["page_size"]);
        let status = list(
            &kit,
            &xlt_station(),
            pb::ListStrandedPersonsRequest {
                page_token: "not-a-token".to_owned(),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
        assert_eq!(fields(&status), ["page_token"]);
        let status = list(&kit, &xlt_police(), list_request(0))
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::PermissionDenied);
        kit.stop().await;
    }
);

cluster_tests!(
    a_transfer_does_not_reset_the_three_months,
    start = kit::at("2026-03-02T09:00:00+08:00"),
    |kit| {
        let start = t("2026-03-02T09:00:00+08:00");
        let file = kit.admit_unknown(&xlt_station(), start).await;

        // Ten days later the person is transferred to the Shuangtaizi station.
        kit.set_clock(t("2026-03-12T10:00:00+08:00"));
        let mut transfer = departure(
            &file.case_id,
            intake::DepartureKind::Transferred,
            t("2026-03-12T09:00:00+08:00"),
        );
        transfer.transfer_to_station = "sz-station".to_owned();
        transfer.escorted = true;
        discharge(&kit, &xlt_station(), transfer).await;
        let mut admission = admission(
            intake::IdentityStatus::Unknown,
            t("2026-03-12T09:30:00+08:00"),
        );
        admission.referral = intake::Referral::Transfer as i32;
        admission.transferred_from_case_id = file.case_id.clone();
        let received = kit
            .intake(&sz_station())
            .await
            .admit_person(admission)
            .await
            .unwrap()
            .into_inner()
            .case
            .unwrap();
        let continued = kit.wait_file(&sz_station(), &received.case_id).await;
        assert_eq!(continued.file_id, file.file_id);

        // Stranded from the first admission's 3 months, not the transfer's.
        let stranded_since = t("2026-06-03T00:00:00+08:00");
        kit.set_clock(stranded_since + Duration::minutes(1));
        let events = kit.wait_events::<pb::PersonStranded>(1).await;
        assert_eq!(events[0].file_id, file.file_id);
        assert_eq!(events[0].case_id, received.case_id);
        assert_eq!(events[0].division, "211102");
        assert_eq!(instant(events[0].stranded_since.as_ref()), stranded_since);
        let register = list(&kit, &sz_station(), list_request(0)).await.unwrap();
        assert_eq!(register.persons.len(), 1);
        assert_eq!(register.persons[0].case_id, received.case_id);
        assert_eq!(register.persons[0].station, "sz-station");
        assert_eq!(instant(register.persons[0].stay_began_at.as_ref()), start);
        assert!(listed(&kit, &xlt_station()).await.is_empty());
        let subject = subjects(&[&file.file_id]);
        assert_eq!(
            notified(&kit, &sz_station(), "PERSON_STRANDED").await,
            subject
        );
        assert_eq!(
            notified(&kit, &sz_civil_affairs(), "PERSON_STRANDED").await,
            subject
        );
        assert!(
            notified(&kit, &xlt_station(), "PERSON_STRANDED")
                .await
                .is_empty()
        );
        kit.stop().await;
    }
);

cluster_tests!(
    an_entry_the_sweeper_fires_late_reports_what_was_missing_at_the_legal_instant,
    start = kit::at("2026-03-02T09:00:00+08:00"),
    |kit| {
        let file = kit.admit_unknown(&xlt_station(), kit.now()).await;
        // The sweeper is behind: the entry, due 2026-06-03 00:00, will not fire on time.
        let deadline = format!("identity.stranded:{}", file.file_id);
        postpone_deadline(&kit, &deadline, t("2027-01-01T00:00:00+08:00")).await;
        kit.set_clock(t("2026-06-03T10:00:00+08:00"));
        // A notice recorded after the legal instant, before the entry is written: no
        // completion yet (the person is not in the register as far as the rows say).
        record_notice(&kit, &file.file_id).await;
        assert!(
            kit.events::<pb::StrandedStepCompleted>().await.is_empty(),
            "no completion before the entry"
        );
        // The sweeper catches up.
        postpone_deadline(&kit, &deadline, t("2026-06-03T10:00:00+08:00")).await;
        kit.advance(Duration::seconds(1));
        let stranded = kit.wait_events::<pb::PersonStranded>(1).await;
        assert_eq!(
            instant(stranded[0].stranded_since.as_ref()),
            t("2026-06-03T00:00:00+08:00"),
            "the legal instant, not the late firing"
        );
        assert_eq!(
            stranded[0].missing, ALL_STEPS,
            "at the legal instant no notice had been recorded"
        );
        let completed = kit.wait_events::<pb::StrandedStepCompleted>(1).await;
        assert_eq!(completed.len(), 1);
        assert_eq!(completed[0].file_id, file.file_id);
        assert_eq!(completed[0].step, StrandedStep::NoticePublished as i32);
        // The register shows the step done.
        let persons = list(&kit, &xlt_station(), list_request(0))
            .await
            .unwrap()
            .persons;
        assert_eq!(persons.len(), 1);
        assert_eq!(persons[0].done, [StrandedStep::NoticePublished as i32]);
        kit.stop().await;
    }
);
