//! Identity files through the gRPC API, on SQLite and PostgreSQL: intake's admissions open a file
//! for a person not confirmed (with the 24-hour notice and the 7-working-day filing deadlines),
//! the deadlines fire only for open files and notify the station and its county civil affairs,
//! a station confirms an identity itself (validated, idempotent, audited reads, no personal data
//! in events), a transfer continues the file at the receiving station, and the end of a stay
//! closes the file. The notice and filing deadlines count only acts done by their due time,
//! however late the sweeper runs, and agree with the acts' own on-time flags; a confirmation or
//! an approved settlement while the person is in transit reaches the receiving case.

#![allow(clippy::unwrap_used, reason = "test helpers: a panic is a failed test")]

#[macro_use]
#[path = "common/kit.rs"]
mod kit;

use chrono::Duration;
use kit::*;
use relief_proto::identity::v1 as pb;
use relief_proto::intake::v1 as intake;
use relief_runtime::Caller;
use relief_runtime::time::timestamp;
use tonic::Code;

const OPEN: i32 = pb::IdentityFileStatus::Open as i32;

/// `GetIdentityFile` by file id as `who`.
async fn get(kit: &Kit, who: &Caller, file_id: &str) -> Result<pb::IdentityFile, tonic::Status> {
    kit.identity(who)
        .await
        .get_identity_file(pb::GetIdentityFileRequest {
            file_id: file_id.to_owned(),
            ..Default::default()
        })
        .await
        .map(|response| response.into_inner().file.unwrap())
}

/// `GetIdentityFile` by case id as `who`.
async fn get_by_case(
    kit: &Kit,
    who: &Caller,
    case_id: &str,
) -> Result<pb::IdentityFile, tonic::Status> {
    kit.identity(who)
        .await
        .get_identity_file(pb::GetIdentityFileRequest {
            case_id: case_id.to_owned(),
            ..Default::default()
        })
        .await
        .map(|response| response.into_inner().file.unwrap())
}

fn assert_not_found(result: Result<pb::IdentityFile, tonic::Status>) {
    assert_eq!(result.unwrap_err().code(), Code::NotFound);
}

cluster_tests!(
    an_admission_opens_a_file_unless_the_identity_is_confirmed,
    start = kit::at("2026-09-28T10:00:00+08:00"),
    |kit| {
        // Monday 28 September 2026, two days before the National Day holiday.
        let admitted_at = t("2026-09-28T09:00:00+08:00");
        let unknown = kit.admit_unknown(&xlt_station(), admitted_at).await;
        assert_eq!(unknown.status, OPEN);
        assert_eq!(unknown.admitted_as, intake::IdentityStatus::Unknown as i32);
        assert_eq!(
            (unknown.station.as_str(), unknown.division.as_str()),
            ("xlt-station", "211103")
        );
        assert_eq!(unknown.case_ids, std::slice::from_ref(&unknown.case_id));
        assert_eq!(instant(unknown.stay_began_at.as_ref()), admitted_at);
        // 24 hours, to the minute.
        assert_eq!(
            instant(unknown.notice_due_at.as_ref()),
            t("2026-09-29T09:00:00+08:00")
        );
        // 7 working days after Mon 28 Sep (deploy/holidays.toml, 2026): Tue 29 (1), Wed 30 (2),
        // Oct 1-7 off (National Day and Mid-Autumn), Thu 8 (3), Fri 9 (4), Sat 10 made a working
        // day (5), Sun 11 off, Mon 12 (6), Tue 13 (7): 24:00 local of 13 October.
        assert_eq!(
            instant(unknown.request_due_at.as_ref()),
            t("2026-10-14T00:00:00+08:00")
        );
        assert!(unknown.warnings.is_empty());
        assert!(unknown.identity.is_none() && !unknown.identity_omitted);
        assert!(unknown.notices.is_empty() && unknown.verification_ids.is_empty());
        let opened = kit.wait_events::<pb::IdentityFileOpened>(1).await;
        assert_eq!(
            opened[0],
            pb::IdentityFileOpened {
                file_id: unknown.file_id.clone(),
                case_id: unknown.case_id.clone(),
                station: "xlt-station".to_owned(),
                division: "211103".to_owned(),
                stay_began_at: unknown.stay_began_at,
                admitted_as: intake::IdentityStatus::Unknown as i32,
                notice_due_at: unknown.notice_due_at,
                request_due_at: unknown.request_due_at,
            }
        );

        // A stated identity still needs a police verification, but no notice.
        let stated_case = kit
            .admit(
                &xlt_station(),
                intake::IdentityStatus::StatedUnverified,
                admitted_at,
            )
            .await;
        let stated = kit.wait_file(&xlt_station(), &stated_case).await;
        assert_ne!(stated.file_id, unknown.file_id);
        assert_eq!(
            stated.admitted_as,
            intake::IdentityStatus::StatedUnverified as i32
        );
        assert_eq!(stated.notice_due_at, None);
        assert_eq!(stated.request_due_at, unknown.request_due_at);

        // A confirmed identity gets no file; the case is still known (the feed is in order:
        // the next admission's file proves the confirmed one was applied).
        let confirmed_case = kit
            .admit(
                &xlt_station(),
                intake::IdentityStatus::Confirmed,
                admitted_at,
            )
            .await;
        kit.admit_unknown(&xlt_station(), admitted_at + Duration::minutes(30))
            .await;
        assert_not_found(get_by_case(&kit, &xlt_station(), &confirmed_case).await);
        assert_eq!(kit.count("SELECT COUNT(*) FROM identity_files").await, 3);
        assert_eq!(kit.count("SELECT COUNT(*) FROM stay_cases").await, 4);
        assert_eq!(
            kit.count("SELECT COUNT(*) FROM stay_cases WHERE file_id IS NULL")
                .await,
            1
        );
        // The notice deadline only for the unknown identities; the filing deadline for all.
        assert_eq!(
            kit.count(
                "SELECT COUNT(*) FROM deadlines WHERE kind = 'identity.notice' \
                 AND state = 'pending'"
            )
            .await,
            2
        );
        assert_eq!(
            kit.count(
                "SELECT COUNT(*) FROM deadlines WHERE kind = 'identity.request_filing' \
                 AND state = 'pending'"
            )
            .await,
            3
        );

        // Scope: the holding station, civil affairs and government covering the division, the
        // services; nobody else, as if the file did not exist.
        for who in [
            xlt_civil_affairs(),
            city_civil_affairs(),
            xlt_government(),
            intake_service(),
        ] {
            assert_eq!(
                get(&kit, &who, &unknown.file_id).await.unwrap().file_id,
                unknown.file_id
            );
        }
        for who in [city_station(), sz_station(), sz_civil_affairs()] {
            assert_not_found(get(&kit, &who, &unknown.file_id).await);
            assert_not_found(get_by_case(&kit, &who, &unknown.case_id).await);
        }
        assert_not_found(get(&kit, &xlt_station(), "0190a0f4-0000-7000-8000-000000000000").await);

        // Exactly one of the two ids.
        let mut client = kit.identity(&xlt_station()).await;
        let status = client
            .get_identity_file(pb::GetIdentityFileRequest::default())
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(fields(&status), ["file_id"]);
        let status = client
            .get_identity_file(pb::GetIdentityFileRequest {
                file_id: unknown.file_id.clone(),
                case_id: unknown.case_id.clone(),
            })
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(fields(&status), ["case_id"]);
        kit.stop().await;
    }
);

cluster_tests!(
    the_deadlines_of_an_open_file_fire_and_notify_and_a_confirmed_or_closed_file_has_none,
    start = kit::at("2026-09-28T10:00:00+08:00"),
    |kit| {
        // C: the stay ends unidentified (the person leaves on their own).
        let closed = kit
            .admit_unknown(&xlt_station(), t("2026-09-28T07:00:00+08:00"))
            .await;
        let departed_at = t("2026-09-28T09:30:00+08:00");
        discharge(
            &kit,
            &xlt_station(),
            &closed.case_id,
            intake::DepartureKind::SelfDeparture,
            departed_at,
            "",
        )
        .await;
        let closing = kit.wait_events::<pb::IdentityFileClosed>(1).await;
        assert_eq!(
            closing[0],
            pb::IdentityFileClosed {
                file_id: closed.file_id.clone(),
                case_id: closed.case_id.clone(),
                division: "211103".to_owned(),
                closed_at: Some(timestamp(departed_at)),
            }
        );
        let read = get(&kit, &xlt_station(), &closed.file_id).await.unwrap();
        assert_eq!(read.status, pb::IdentityFileStatus::Closed as i32);
        assert_eq!(instant(read.closed_at.as_ref()), departed_at);

        // B: the station confirms the identity.
        let confirmed = kit
            .admit_unknown(&xlt_station(), t("2026-09-28T08:00:00+08:00"))
            .await;
        confirm(
            &kit,
            &xlt_station(),
            confirmation(
                &confirmed.file_id,
                pb::IdentityDetails {
                    name: "赵六".to_owned(),
                    ..Default::default()
                },
            ),
        )
        .await
        .unwrap();
        assert_eq!(
            kit.count(
                "SELECT COUNT(*) FROM deadlines WHERE state = 'pending' AND kind LIKE 'identity.%'"
            )
            .await,
            0
        );

        // A: still unidentified, admitted a day later, so its deadlines fall due after those of
        // B and C would have (the sweeper fires in due order: once A's fire, B's and C's would
        // have).
        kit.set_clock(t("2026-09-29T09:30:00+08:00"));
        let open = kit
            .admit_unknown(&xlt_station(), t("2026-09-29T09:00:00+08:00"))
            .await;
        assert_eq!(
            instant(open.notice_due_at.as_ref()),
            t("2026-09-30T09:00:00+08:00")
        );
        // Wed 30 Sep (1), Oct 1-7 off, Thu 8 (2), Fri 9 (3), Sat 10 (4), Mon 12 (5), Tue 13 (6),
        // Wed 14 (7).
        assert_eq!(
            instant(open.request_due_at.as_ref()),
            t("2026-10-15T00:00:00+08:00")
        );
        assert!(kit.events::<pb::NoticeOverdue>().await.is_empty());

        kit.set_clock(t("2026-09-30T09:30:00+08:00"));
        let overdue = kit.wait_events::<pb::NoticeOverdue>(1).await;
        assert_eq!(
            overdue,
            [pb::NoticeOverdue {
                file_id: open.file_id.clone(),
                case_id: open.case_id.clone(),
                division: "211103".to_owned(),
                due_at: open.notice_due_at,
                refresh: false,
            }]
        );
        let subject = format!("identity-file/{}", open.file_id);
        for who in [xlt_station(), xlt_civil_affairs()] {
            let notices = notified(&kit, &who, "NOTICE_OVERDUE").await;
            assert_eq!(notices.len(), 1, "{who:?}");
            assert_eq!(notices[0].subject, subject);
            assert_eq!(notices[0].source_service, "identity");
            assert!(instant(notices[0].acknowledge_by.as_ref()) >= t("2026-10-01T09:30:00+08:00"));
        }
        assert!(
            kit.events::<pb::VerificationFilingOverdue>()
                .await
                .is_empty()
        );

        kit.set_clock(t("2026-10-15T00:30:00+08:00"));
        let overdue = kit.wait_events::<pb::VerificationFilingOverdue>(1).await;
        assert_eq!(
            overdue,
            [pb::VerificationFilingOverdue {
                file_id: open.file_id.clone(),
                case_id: open.case_id.clone(),
                division: "211103".to_owned(),
                due_at: open.request_due_at,
            }]
        );
        for who in [xlt_station(), xlt_civil_affairs()] {
            let late = notified(&kit, &who, "VERIFICATION_FILING_OVERDUE").await;
            assert_eq!(late.len(), 1, "{who:?}");
            assert_eq!(late[0].subject, subject);
        }
        assert_eq!(kit.events::<pb::NoticeOverdue>().await.len(), 1);
        kit.stop().await;
    }
);

cluster_tests!(
    a_station_confirms_an_identity_once_and_reads_it_only_for_a_purpose,
    |kit| {
        let now = kit.now();
        let file = kit
            .admit_unknown(&xlt_station(), now - Duration::hours(1))
            .await;
        let id = id_number("211102", "19750505", "031");
        let identity = pb::IdentityDetails {
            name: "李四".to_owned(),
            id_number: id.clone(),
            household_address: "辽宁省盘锦市双台子区红旗大街1号".to_owned(),
            household_division: String::new(),
        };

        // Another station: as if the file did not exist.
        let status = confirm(
            &kit,
            &city_station(),
            confirmation(&file.file_id, identity.clone()),
        )
        .await
        .unwrap_err();
        assert_eq!(status.code(), Code::NotFound);
        // A police method is set by a police result only; a bad ID number names its field.
        let mut police = confirmation(&file.file_id, identity.clone());
        police.method = pb::ConfirmationMethod::PoliceDna as i32;
        let status = confirm(&kit, &xlt_station(), police).await.unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(fields(&status), ["method"]);
        let bad = pb::IdentityDetails {
            id_number: with_bad_check(&id),
            ..identity.clone()
        };
        let status = confirm(&kit, &xlt_station(), confirmation(&file.file_id, bad))
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(fields(&status), ["identity.id_number"]);
        assert!(!status.message().contains(&id[..17]));
        let status = confirm(
            &kit,
            &xlt_station(),
            pb::ConfirmIdentityRequest {
                method: 0,
                identity: None,
                ..confirmation(&file.file_id, identity.clone())
            },
        )
        .await
        .unwrap_err();
        assert_eq!(fields(&status), ["method", "identity"]);
        let unchanged = get(&kit, &xlt_station(), &file.file_id).await.unwrap();
        assert_eq!(unchanged.status, OPEN);
        assert!(kit.events::<pb::IdentityConfirmed>().await.is_empty());

        // Confirmed: the response leaves the identity out; a retry answers the same.
        let request = confirmation(&file.file_id, identity.clone());
        let done = confirm(&kit, &xlt_station(), request.clone())
            .await
            .unwrap();
        assert_eq!(done.status, pb::IdentityFileStatus::Confirmed as i32);
        assert_eq!(
            done.confirmation_method,
            pb::ConfirmationMethod::Documents as i32
        );
        assert!(done.confirmed_at.is_some());
        assert!(done.identity.is_none() && done.identity_omitted);
        let again = confirm(&kit, &xlt_station(), request).await.unwrap();
        assert_eq!(again, done);
        let events = kit.events::<pb::IdentityConfirmed>().await;
        assert_eq!(events.len(), 1);
        let event = &events[0];
        assert_eq!(event.file_id, file.file_id);
        assert_eq!(event.case_id, file.case_id);
        assert_eq!(event.division, "211103");
        assert_eq!(event.method, pb::ConfirmationMethod::Documents as i32);
        assert_eq!(event.confirmed_at, done.confirmed_at);
        // The origin is the ID number's division when no household division is given.
        assert_eq!(event.origin_division, "211102");
        assert!(!event.person_key.is_empty());
        assert!(!event.person_key.contains(&id[..17]));
        for payload in kit.raw_events().await {
            let text = String::from_utf8_lossy(&payload);
            for secret in ["李四", &id[..17], "红旗大街"] {
                assert!(!text.contains(secret), "personal data in an event");
            }
        }
        // Its deadlines are gone; a second confirmation is refused.
        assert_eq!(
            kit.count(
                "SELECT COUNT(*) FROM deadlines WHERE state = 'pending' AND kind LIKE 'identity.%'"
            )
            .await,
            0
        );
        let status = confirm(
            &kit,
            &xlt_station(),
            confirmation(&file.file_id, identity.clone()),
        )
        .await
        .unwrap_err();
        assert_eq!(status.code(), Code::FailedPrecondition);
        assert_eq!(reason(&status), "FILE_NOT_OPEN");

        // Without a purpose the identity is left out; with one it is returned and every field
        // read is audited.
        let plain = get(&kit, &xlt_station(), &file.file_id).await.unwrap();
        assert!(plain.identity.is_none() && plain.identity_omitted);
        let subject = format!("identity-file/{}", file.file_id);
        let station_reads = |entries: Vec<relief_runtime::personal_data::AuditEntry>| {
            entries
                .into_iter()
                .filter(|entry| entry.caller_unit == "xlt-station")
                .map(|entry| (entry.field, entry.purpose))
                .collect::<Vec<_>>()
        };
        let audited = relief_runtime::personal_data::reads_of(&kit.db, &subject)
            .await
            .unwrap();
        assert!(station_reads(audited).is_empty());
        let read = kit
            .identity(&xlt_station())
            .await
            .get_identity_file(with_purpose(
                pb::GetIdentityFileRequest {
                    file_id: file.file_id.clone(),
                    ..Default::default()
                },
                "return home planning",
            ))
            .await
            .unwrap()
            .into_inner()
            .file
            .unwrap();
        assert_eq!(
            read.identity,
            Some(pb::IdentityDetails {
                household_division: "211102".to_owned(),
                ..identity.clone()
            })
        );
        assert!(!read.identity_omitted);
        let audited = relief_runtime::personal_data::reads_of(&kit.db, &subject)
            .await
            .unwrap();
        let purpose = "return home planning".to_owned();
        assert_eq!(
            station_reads(audited),
            [
                ("identity.name".to_owned(), purpose.clone()),
                ("identity.id_number".to_owned(), purpose.clone()),
                ("identity.household_address".to_owned(), purpose.clone()),
                ("identity.household_division".to_owned(), purpose),
            ]
        );
        // A service (intake, after IdentityConfirmed) reads it by case, with a purpose.
        let by_service = kit
            .identity(&intake_service())
            .await
            .get_identity_file(with_purpose(
                pb::GetIdentityFileRequest {
                    case_id: file.case_id.clone(),
                    ..Default::default()
                },
                "identity confirmed",
            ))
            .await
            .unwrap()
            .into_inner()
            .file
            .unwrap();
        assert_eq!(by_service.identity, read.identity);
        kit.stop().await;
    }
);

cluster_tests!(
    a_transfer_continues_the_file_at_the_receiving_station,
    |kit| {
        let now = kit.now();
        let file = kit
            .admit_unknown(&xlt_station(), now - Duration::hours(3))
            .await;
        discharge(
            &kit,
            &xlt_station(),
            &file.case_id,
            intake::DepartureKind::Transferred,
            now - Duration::hours(2),
            "city-station",
        )
        .await;
        let mut received = admission(intake::IdentityStatus::Unknown, now - Duration::hours(1));
        received.referral = intake::Referral::Transfer as i32;
        received.transferred_from_case_id = file.case_id.clone();
        let new_case = kit
            .intake(&city_station())
            .await
            .admit_person(received)
            .await
            .unwrap()
            .into_inner()
            .case
            .unwrap();
        let (new_case, received_at) = (new_case.case_id, new_case.admitted_at);
        let continued = kit.wait_events::<pb::IdentityFileContinued>(1).await;
        assert_eq!(
            continued[0],
            pb::IdentityFileContinued {
                file_id: file.file_id.clone(),
                case_id: new_case.clone(),
                previous_case_id: file.case_id.clone(),
                station: "city-station".to_owned(),
                division: "211100".to_owned(),
                continued_at: received_at,
            }
        );

        // The same file, still open (the transfer did not end the stay), its clocks unchanged.
        let moved = get(&kit, &city_station(), &file.file_id).await.unwrap();
        assert_eq!(moved.status, OPEN);
        assert_eq!(moved.case_id, new_case);
        assert_eq!(moved.case_ids, [file.case_id.clone(), new_case.clone()]);
        assert_eq!(
            (moved.station.as_str(), moved.division.as_str()),
            ("city-station", "211100")
        );
        assert_eq!(moved.stay_began_at, file.stay_began_at);
        assert_eq!(moved.notice_due_at, file.notice_due_at);
        assert_eq!(moved.request_due_at, file.request_due_at);
        assert_eq!(kit.events::<pb::IdentityFileOpened>().await.len(), 1);
        assert!(kit.events::<pb::IdentityFileClosed>().await.is_empty());
        // Any case of the stay finds it, for its holder only.
        assert_eq!(
            get_by_case(&kit, &city_station(), &file.case_id)
                .await
                .unwrap()
                .file_id,
            file.file_id
        );
        assert_not_found(get(&kit, &xlt_station(), &file.file_id).await);
        assert_not_found(get_by_case(&kit, &xlt_station(), &file.case_id).await);
        assert_not_found(get(&kit, &xlt_civil_affairs(), &file.file_id).await);

        // The notice is still due 24 hours after the first admission, and the receiving
        // station and its civil affairs (the city bureau for the city's own division) hear of it.
        kit.advance(Duration::hours(22));
        let overdue = kit.wait_events::<pb::NoticeOverdue>(1).await;
        assert_eq!(overdue[0].case_id, new_case);
        assert_eq!(overdue[0].division, "211100");
        assert_eq!(overdue[0].due_at, file.notice_due_at);
        for who in [city_station(), city_civil_affairs()] {
            assert_eq!(
                notified(&kit, &who, "NOTICE_OVERDUE").await.len(),
                1,
                "{who:?}"
            );
        }
        assert!(
            notified(&kit, &xlt_station(), "NOTICE_OVERDUE")
                .await
                .is_empty()
        );
        kit.stop().await;
    }
);
