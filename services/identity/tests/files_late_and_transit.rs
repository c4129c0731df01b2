//! Identity files when acts and the sweeper race, and while a person is in transit: the notice
//! and filing deadlines count only acts recorded before their due instant, whichever runs first;
//! a confirmation or an approved settlement made while a transfer is in transit reaches the
//! receiving case. On SQLite and PostgreSQL, with the dev clock.

#![allow(clippy::unwrap_used, reason = "test helpers: a panic is a failed test")]

#[macro_use]
#[path = "common/kit.rs"]
mod kit;

use chrono::{DateTime, Duration, Utc};
use kit::*;
use relief_proto::identity::v1 as pb;
use relief_proto::intake::v1 as intake;
use relief_runtime::Caller;
use relief_runtime::time::timestamp;

use relief_testkit::wait_until;

/// The state of deadline `id` ('pending', 'fired', 'cancelled').
async fn deadline_state(kit: &Kit, id: &str) -> String {
    relief_runtime::with_db!(&kit.db, |pool| sqlx::query_scalar(
        "SELECT state FROM deadlines WHERE id = $1"
    )
    .bind(id)
    .fetch_one(pool)
    .await)
    .unwrap()
}

/// Holds deadline `id` back as a sweeper that runs late would (a stopped or restarted
/// process): whatever the dev clock says, the row is not claimed until [`release`]. The only
/// write a test makes to the database: no API makes a sweeper late, and the dev clock moving
/// past a due time wakes it at once.
async fn hold(kit: &Kit, id: &str) {
    let done = relief_runtime::with_db!(&kit.db, |pool| sqlx::query(
        "UPDATE deadlines SET run_at = $2 WHERE id = $1 AND state = 'pending'"
    )
    .bind(id)
    .bind(t("2100-01-01T00:00:00+08:00"))
    .execute(pool)
    .await
    .map(|done| done.rows_affected()))
    .unwrap();
    assert_eq!(done, 1, "{id}");
}

/// Lets the sweeper claim deadline `id` again (at its due time, long past) and wakes it.
async fn release(kit: &Kit, id: &str) {
    relief_runtime::with_db!(&kit.db, |pool| sqlx::query(
        "UPDATE deadlines SET run_at = due_at WHERE id = $1"
    )
    .bind(id)
    .execute(pool)
    .await
    .map(|_| ()))
    .unwrap();
    kit.advance(Duration::seconds(1));
}

/// Records a notice of `file_id` published at `published_at`, as `who`.
async fn record_notice(
    kit: &Kit,
    who: &Caller,
    file_id: &str,
    published_at: DateTime<Utc>,
) -> pb::Notice {
    kit.identity(who)
        .await
        .record_notice_publication(pb::RecordNoticePublicationRequest {
            request_id: request_id(),
            file_id: file_id.to_owned(),
            platform: "全国救助寻亲网".to_owned(),
            reference: "https://example.org/xunqin/1".to_owned(),
            published_at: Some(timestamp(published_at)),
        })
        .await
        .unwrap()
        .into_inner()
        .notice
        .unwrap()
}

cluster_tests!(
    the_notice_and_filing_deadlines_count_only_acts_done_by_their_due_time,
    start = kit::at("2026-03-02T10:00:00+08:00"),
    |kit| {
        let station = xlt_station();
        let admitted_at = t("2026-03-02T09:00:00+08:00");
        // A: its acts come late, and its sweeper later still (held back): recorded before the
        // deadlines fire, they must not stop them. B: its acts come late as the sweeper fires
        // (whoever runs first). D: on time.
        let a = kit.admit_unknown(&station, admitted_at).await;
        let b = kit.admit_unknown(&station, admitted_at).await;
        let d = kit.admit_unknown(&station, admitted_at).await;
        let notice_due = instant(a.notice_due_at.as_ref());
        assert_eq!(notice_due, t("2026-03-03T09:00:00+08:00"));
        let request_due = instant(a.request_due_at.as_ref());
        let notice_deadline = |file: &pb::IdentityFile| format!("identity.notice:{}", file.file_id);
        let filing_deadline =
            |file: &pb::IdentityFile| format!("identity.request_filing:{}", file.file_id);
        hold(&kit, &notice_deadline(&a)).await;
        hold(&kit, &filing_deadline(&a)).await;

        // D publishes, records and files in time.
        let on_time = record_notice(&kit, &station, &d.file_id, kit.now()).await;
        assert!(on_time.initial && on_time.on_time);
        let filed = file_verification(
            &kit,
            &station,
            &d.file_id,
            &[pb::VerificationMethod::Dna],
            "city-police-forensics",
        )
        .await
        .unwrap();
        assert!(filed.filed_on_time);

        // Past the notice due time, in the same breath: B's notice, published before the due
        // time but recorded after it; A's, published and recorded after it.
        kit.set_clock(t("2026-03-03T15:00:00+08:00"));
        let b_notice =
            record_notice(&kit, &station, &b.file_id, t("2026-03-03T08:00:00+08:00")).await;
        let a_notice = record_notice(&kit, &station, &a.file_id, kit.now()).await;
        for notice in [&a_notice, &b_notice] {
            assert!(notice.initial && !notice.on_time, "{notice:?}");
        }
        wait_until("the notice deadlines of B and D fire", || async {
            deadline_state(&kit, &notice_deadline(&b)).await == "fired"
                && deadline_state(&kit, &notice_deadline(&d)).await == "fired"
        })
        .await;
        let overdue = kit.events::<pb::NoticeOverdue>().await;
        assert_eq!(overdue.len(), 1);
        assert_eq!(overdue[0].file_id, b.file_id);
        assert_eq!(instant(overdue[0].due_at.as_ref()), notice_due);
        assert_eq!(deadline_state(&kit, &notice_deadline(&a)).await, "pending");

        // A's sweeper runs late: the notice recorded meanwhile came after the due time.
        release(&kit, &notice_deadline(&a)).await;
        let overdue = kit.wait_events::<pb::NoticeOverdue>(2).await;
        assert_eq!(overdue.len(), 2);
        assert_eq!(
            overdue[1],
            pb::NoticeOverdue {
                file_id: a.file_id.clone(),
                case_id: a.case_id.clone(),
                division: "211103".to_owned(),
                due_at: a.notice_due_at,
                refresh: false,
            }
        );
        assert_eq!(notified(&kit, &station, "NOTICE_OVERDUE").await.len(), 2);
        // The flags tell the same story everywhere: late exactly where overdue was raised.
        let published = kit.events::<pb::NoticePublished>().await;
        assert_eq!(published.len(), 3);
        for event in published {
            assert_eq!(event.on_time, event.file_id == d.file_id, "{event:?}");
        }
        assert_eq!(kit.file(&station, &a.file_id).await.notices, [a_notice]);
        assert_eq!(kit.file(&station, &b.file_id).await.notices, [b_notice]);

        // Past the filing due time, in the same breath: B and A file (late).
        kit.set_clock(request_due + Duration::hours(10));
        for file in [&b, &a] {
            let late = file_verification(
                &kit,
                &station,
                &file.file_id,
                &[pb::VerificationMethod::Face],
                "city-police-face",
            )
            .await
            .unwrap();
            assert!(!late.filed_on_time);
        }
        wait_until("the filing deadlines of B and D fire", || async {
            deadline_state(&kit, &filing_deadline(&b)).await == "fired"
                && deadline_state(&kit, &filing_deadline(&d)).await == "fired"
        })
        .await;
        let overdue = kit.events::<pb::VerificationFilingOverdue>().await;
        assert_eq!(overdue.len(), 1);
        assert_eq!(overdue[0].file_id, b.file_id);
        release(&kit, &filing_deadline(&a)).await;
        let overdue = kit.wait_events::<pb::VerificationFilingOverdue>(2).await;
        assert_eq!(overdue.len(), 2);
        assert_eq!(
            overdue[1],
            pb::VerificationFilingOverdue {
                file_id: a.file_id.clone(),
                case_id: a.case_id.clone(),
                division: "211103".to_owned(),
                due_at: a.request_due_at,
            }
        );
        kit.stop().await;
    }
);

/// The settlement application of `file_id` filed by `station` and approved by `civil_affairs`
/// with state support; returns the application as decided.
async fn settle(
    kit: &Kit,
    station: &Caller,
    civil_affairs: &Caller,
    file_id: &str,
) -> pb::SettlementApplication {
    let filed = kit
        .identity(station)
        .await
        .file_settlement_application(pb::FileSettlementApplicationRequest {
            request_id: request_id(),
            file_id: file_id.to_owned(),
            note: "入站三个月仍无法查明身份".to_owned(),
        })
        .await
        .unwrap()
        .into_inner()
        .application
        .unwrap();
    kit.identity(civil_affairs)
        .await
        .decide_settlement(pb::DecideSettlementRequest {
            request_id: request_id(),
            application_id: filed.application_id,
            approve: true,
            collective_household: "盘锦市社会福利院集体户".to_owned(),
            meets_state_support_conditions: true,
            central_care_institution: "盘锦市社会福利院".to_owned(),
            reason: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .application
        .unwrap()
}

/// Admits at city-station the person transferred from `case_id` (UNKNOWN: the receiving
/// station does not know who the person is); returns the new case id.
async fn receive(kit: &Kit, case_id: &str) -> String {
    let mut received = admission(intake::IdentityStatus::Unknown, kit.now());
    received.referral = intake::Referral::Transfer as i32;
    received.transferred_from_case_id = case_id.to_owned();
    kit.intake(&city_station())
        .await
        .admit_person(received)
        .await
        .unwrap()
        .into_inner()
        .case
        .unwrap()
        .case_id
}

/// Intake's case `case_id` as `who` reads it with a purpose.
async fn intake_case(kit: &Kit, who: &Caller, case_id: &str) -> intake::Case {
    kit.intake(who)
        .await
        .get_case(with_purpose(
            intake::GetCaseRequest {
                case_id: case_id.to_owned(),
            },
            "transfer follow-up",
        ))
        .await
        .unwrap()
        .into_inner()
        .case
        .unwrap()
}

cluster_tests!(
    a_confirmation_or_an_approval_during_a_transfer_reaches_the_receiving_case,
    start = kit::at("2026-01-15T10:00:00+08:00"),
    |kit| {
        let sending = xlt_station();
        let admitted_at = t("2026-01-15T09:00:00+08:00");
        // A is identified, B settled, each while in transit from xlt-station to city-station
        // (B first stranded 3 months, so it may be settled).
        let a = kit.admit_unknown(&sending, admitted_at).await;
        let b = kit.admit_unknown(&sending, admitted_at).await;
        kit.set_clock(t("2026-04-17T10:00:00+08:00"));
        kit.wait_events::<pb::PersonStranded>(2).await;
        for file in [&a, &b] {
            discharge(
                &kit,
                &sending,
                &file.case_id,
                intake::DepartureKind::Transferred,
                kit.now(),
                "city-station",
            )
            .await;
        }

        // The sending station still holds the files until the receiving admission.
        let id = id_number("211102", "19700303", "017");
        let confirmed = confirm(
            &kit,
            &sending,
            confirmation(
                &a.file_id,
                pb::IdentityDetails {
                    name: "赵六".to_owned(),
                    id_number: id.clone(),
                    ..Default::default()
                },
            ),
        )
        .await
        .unwrap();
        let approved = settle(&kit, &sending, &xlt_civil_affairs(), &b.file_id).await;
        let first_confirmed = kit.wait_events::<pb::IdentityConfirmed>(1).await;
        assert_eq!(first_confirmed[0].case_id, a.case_id);
        let first_decided = kit.wait_events::<pb::SettlementDecided>(1).await;
        assert_eq!(first_decided[0].case_id, b.case_id);

        // The receiving admissions continue the files and hear of both again, for their cases.
        let new_a = receive(&kit, &a.case_id).await;
        let new_b = receive(&kit, &b.case_id).await;
        let again = kit.wait_events::<pb::IdentityConfirmed>(2).await;
        assert_eq!(
            again[1],
            pb::IdentityConfirmed {
                case_id: new_a.clone(),
                division: "211100".to_owned(),
                ..first_confirmed[0].clone()
            }
        );
        assert_eq!(again[1].confirmed_at, confirmed.confirmed_at);
        let again = kit.wait_events::<pb::SettlementDecided>(2).await;
        assert_eq!(
            again[1],
            pb::SettlementDecided {
                case_id: new_b.clone(),
                division: "211100".to_owned(),
                ..first_decided[0].clone()
            }
        );
        assert_eq!(again[1].decided_at, approved.decided_at);
        assert!(again[1].approved && again[1].state_support && again[1].central_care);

        // Intake confirms A's new case with the name, and closes B's new case as taken into
        // state support (and with it, identity closes B's file).
        wait_until("intake confirms the receiving case", || async {
            intake_case(&kit, &city_station(), &new_a)
                .await
                .identity_status
                == intake::IdentityStatus::Confirmed as i32
        })
        .await;
        let case = intake_case(&kit, &city_station(), &new_a).await;
        assert_eq!(case.person.unwrap().name, "赵六");
        wait_until("intake settles the receiving case", || async {
            intake_case(&kit, &city_station(), &new_b).await.status
                == intake::CaseStatus::Closed as i32
        })
        .await;
        let closed: Vec<_> = kit
            .intake_events::<intake::CaseClosed>()
            .await
            .into_iter()
            .filter(|closed| closed.case_id == new_b)
            .collect();
        assert_eq!(closed.len(), 1);
        assert_eq!(closed[0].kind, intake::DepartureKind::StateSupport as i32);
        wait_until("identity closes the settled file", || async {
            kit.file(&city_station(), &b.file_id).await.status
                == pb::IdentityFileStatus::Closed as i32
        })
        .await;
        let file = kit.file(&city_station(), &a.file_id).await;
        assert_eq!(file.status, pb::IdentityFileStatus::Confirmed as i32);
        assert_eq!(file.case_id, new_a);
        kit.stop().await;
    }
);
