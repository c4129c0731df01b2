//! The legal outcome of a verification request does not depend on when the deadline sweeper
//! runs, through the gRPC API on SQLite and PostgreSQL with the dev clock:
//! - an acknowledgement or a result after the acknowledgement window finds the request deemed
//!   received at the window's end (event and escalation exactly once), the act recorded as a
//!   late acknowledgement, whether the sweeper fired the deemed receipt first, is backing off, or
//!   races the call;
//! - an answer after the due time is overdue exactly once (event and escalation), whether the
//!   sweeper fired the overdue first, is backing off, or races the answer; one on time never is;
//! - events carry the instants the rows store (PostgreSQL keeps microseconds).

#![allow(clippy::unwrap_used, reason = "test helpers: a panic is a failed test")]

#[macro_use]
#[path = "common/kit.rs"]
mod kit;

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use kit::*;
use relief_proto::identity::v1 as pb;
use relief_proto::identity::v1::submit_verification_result_request::Outcome;
use relief_runtime::Caller;

fn local(text: &str) -> DateTime<Utc> {
    kit::at(text).unwrap()
}

fn no_match() -> Outcome {
    Outcome::NoMatch(pb::NoMatch::default())
}

/// Files a request of `method` for `file_id` at the Xinglongtai station to `police_unit`.
async fn filed(
    kit: &Kit,
    file_id: &str,
    method: pb::VerificationMethod,
    police_unit: &str,
) -> pb::VerificationRequest {
    file_verification(kit, &xlt_station(), file_id, &[method], police_unit)
        .await
        .unwrap()
}

/// The subjects of the notifications of `kind` addressed to `who`, each once, asserting no
/// subject was notified twice.
async fn notified_subjects(kit: &Kit, who: &Caller, kind: &str) -> BTreeSet<String> {
    let notes = notifications_of_kind(kit, who, kind).await;
    let subjects: BTreeSet<String> = notes.iter().map(|note| note.subject.clone()).collect();
    assert_eq!(subjects.len(), notes.len(), "{kind} twice to {}", who.unit);
    subjects
}

fn subjects(ids: &[&str]) -> BTreeSet<String> {
    ids.iter().map(|id| format!("verification/{id}")).collect()
}

async fn pending_verification_deadlines(kit: &Kit) -> i64 {
    kit.count(
        "SELECT COUNT(*) FROM deadlines WHERE subject LIKE 'verification/%' \
         AND state = 'pending'",
    )
    .await
}

cluster_tests!(
    an_act_after_the_window_finds_the_request_deemed_received_whatever_the_sweeper_did,
    start = kit::at("2026-03-10T10:00:00+08:00"),
    |kit| {
        use pb::VerificationMethod::{Dna, Face};
        let admitted_at = kit.now() - Duration::hours(1);
        let one = kit.admit_unknown(&xlt_station(), admitted_at).await.file_id;
        let two = kit.admit_unknown(&xlt_station(), admitted_at).await.file_id;
        // Filed Tue 2026-03-10: 3 working days end Fri 2026-03-13 24:00.
        let acknowledge_by = local("2026-03-13T16:00:00Z");
        let acknowledged = filed(&kit, &one, Dna, "city-police-forensics").await;
        let answered = filed(&kit, &one, Face, "city-police-face").await;
        let raced = filed(&kit, &two, Dna, "city-police-forensics").await;
        for request in [&acknowledged, &answered, &raced] {
            assert_eq!(instant(request.acknowledge_by.as_ref()), acknowledge_by);
        }
        let (a, b, c) = (
            acknowledged.verification_id.as_str(),
            answered.verification_id.as_str(),
            raced.verification_id.as_str(),
        );
        // The sweeper is backing off the deemed receipts of the first two: they will not fire
        // before the unit acts.
        for id in [a, b] {
            postpone_deadline(
                &kit,
                &format!("verification.deemed_receipt:{id}"),
                acknowledge_by + Duration::days(1),
            )
            .await;
        }
        let mut forensics_client = kit.identity(&forensics()).await;
        let mut face_client = kit.identity(&face_unit()).await;

        // Saturday morning, after the window: the third request races the sweeper (woken by
        // the clock), the other two find it behind.
        kit.set_clock(acknowledge_by + Duration::hours(2));
        let raced_ack = forensics_client
            .acknowledge_verification_request(pb::AcknowledgeVerificationRequestRequest {
                request_id: request_id(),
                verification_id: c.to_owned(),
            })
            .await
            .unwrap()
            .into_inner()
            .verification
            .unwrap();
        let late_ack = forensics_client
            .acknowledge_verification_request(pb::AcknowledgeVerificationRequestRequest {
                request_id: request_id(),
                verification_id: a.to_owned(),
            })
            .await
            .unwrap()
            .into_inner()
            .verification
            .unwrap();
        let late_result = face_client
            .submit_verification_result(pb::SubmitVerificationResultRequest {
                request_id: request_id(),
                verification_id: b.to_owned(),
                method: Face as i32,
                outcome: Some(no_match()),
            })
            .await
            .unwrap()
            .into_inner()
            .verification
            .unwrap();

        // Each: deemed received at the window's end, the answer due a month from that day
        // (Mar 13 not counted: Mon Apr 13 24:00), the act a late acknowledgement.
        let due = local("2026-04-13T16:00:00Z");
        for (response, reader) in [
            (&raced_ack, forensics()),
            (&late_ack, forensics()),
            (&late_result, face_unit()),
        ] {
            let id = &response.verification_id;
            let read = get_verification(&kit, &reader, id).await.unwrap();
            assert_eq!(read.receipt, pb::ReceiptKind::Deemed as i32, "{id}");
            assert_eq!(instant(read.received_at.as_ref()), acknowledge_by, "{id}");
            assert_eq!(instant(read.due_at.as_ref()), due, "{id}");
            let acknowledged_at = instant(read.acknowledged_at.as_ref());
            assert!(acknowledged_at > acknowledge_by, "{id}");
            assert_eq!(read.acknowledged_at, response.acknowledged_at, "{id}");
            assert_eq!(read.received_at, response.received_at, "{id}");
        }
        let read = get_verification(&kit, &forensics(), a).await.unwrap();
        assert_eq!(read.status, pb::VerificationStatus::Received as i32);
        let read = get_verification(&kit, &face_unit(), b).await.unwrap();
        assert_eq!(read.status, pb::VerificationStatus::Answered as i32);
        assert!(read.answered_on_time);

        // Exactly one deemed receipt each, at the legal instant; no acknowledgement receipt.
        let deemed = kit.events::<pb::VerificationDeemedReceived>().await;
        let mut deemed_ids: Vec<&str> = deemed.iter().map(|e| e.verification_id.as_str()).collect();
        deemed_ids.sort_unstable();
        let mut expected = vec![a, b, c];
        expected.sort_unstable();
        assert_eq!(deemed_ids, expected);
        for event in &deemed {
            assert_eq!(instant(event.received_at.as_ref()), acknowledge_by);
            assert_eq!(instant(event.due_at.as_ref()), due);
        }
        assert!(
            kit.events::<pb::VerificationAcknowledged>()
                .await
                .is_empty()
        );
        // The escalation exactly once each, to the addressed unit, the city police bureau and
        // the city civil affairs.
        let kind = "VERIFICATION_NOT_ACKNOWLEDGED";
        assert_eq!(
            notified_subjects(&kit, &forensics(), kind).await,
            subjects(&[a, c])
        );
        assert_eq!(
            notified_subjects(&kit, &face_unit(), kind).await,
            subjects(&[b])
        );
        for unit in [city_police(), city_civil_affairs()] {
            assert_eq!(
                notified_subjects(&kit, &unit, kind).await,
                subjects(&[a, b, c])
            );
        }
        // No deemed receipt is left to fire again once the sweeper catches up.
        assert_eq!(
            kit.count(
                "SELECT COUNT(*) FROM deadlines WHERE kind = 'verification.deemed_receipt' \
                 AND state = 'pending'"
            )
            .await,
            0
        );

        // Events carry the instants the rows store.
        let requested = kit.events::<pb::VerificationRequested>().await;
        for event in &requested {
            let read = get_verification(&kit, &xlt_station(), &event.verification_id)
                .await
                .unwrap();
            assert_eq!(event.filed_at, read.filed_at);
        }
        let answers = kit.events::<pb::VerificationAnswered>().await;
        assert_eq!(answers.len(), 1);
        assert_eq!(answers[0].answered_at, late_result.answered_at);
        assert_eq!(answers[0].received_at, late_result.received_at);
        kit.stop().await;
    }
);

cluster_tests!(
    an_answer_after_the_due_time_is_overdue_exactly_once_whoever_runs_first,
    start = kit::at("2026-01-31T10:00:00+08:00"),
    |kit| {
        use pb::VerificationMethod::{Dna, Face};
        let admitted_at = kit.now() - Duration::hours(1);
        let one = kit.admit_unknown(&xlt_station(), admitted_at).await.file_id;
        let two = kit.admit_unknown(&xlt_station(), admitted_at).await.file_id;
        let late = filed(&kit, &one, Dna, "city-police-forensics").await;
        let on_time = filed(&kit, &one, Face, "city-police-face").await;
        let raced = filed(&kit, &two, Dna, "city-police-forensics").await;
        let (a, e, c) = (
            late.verification_id.as_str(),
            on_time.verification_id.as_str(),
            raced.verification_id.as_str(),
        );
        let due = local("2026-02-28T16:00:00Z");
        for (who, id) in [(forensics(), a), (face_unit(), e), (forensics(), c)] {
            let received = acknowledge_verification(&kit, &who, id).await.unwrap();
            assert_eq!(instant(received.due_at.as_ref()), due);
        }
        // Answered on time: never overdue.
        let answered = submit_verification_result(&kit, &face_unit(), e, Face, no_match())
            .await
            .unwrap();
        assert!(answered.answered_on_time);
        // The sweeper is backing off the first request's overdue deadline.
        postpone_deadline(
            &kit,
            &format!("verification.overdue:{a}"),
            due + Duration::days(1),
        )
        .await;
        let mut client = kit.identity(&forensics()).await;

        // An hour after the due time: the third request's answer races the sweeper, the first
        // finds it behind.
        kit.set_clock(due + Duration::hours(1));
        let mut answer = async |id: &str| {
            client
                .submit_verification_result(pb::SubmitVerificationResultRequest {
                    request_id: request_id(),
                    verification_id: id.to_owned(),
                    method: Dna as i32,
                    outcome: Some(no_match()),
                })
                .await
                .unwrap()
                .into_inner()
                .verification
                .unwrap()
        };
        let raced_answer = answer(c).await;
        let late_answer = answer(a).await;
        for answered in [&raced_answer, &late_answer] {
            assert_eq!(answered.status, pb::VerificationStatus::Answered as i32);
            assert!(!answered.answered_on_time);
            assert!(!answered.overdue);
        }
        kit.wait_events::<pb::VerificationOverdue>(2).await;
        relief_testkit::wait_until("the verification deadlines have fired", || async {
            pending_verification_deadlines(&kit).await == 0
        })
        .await;

        // Exactly one overdue each for the late answers, at the due time; none for the answer
        // on time.
        let overdue = kit.events::<pb::VerificationOverdue>().await;
        let mut overdue_ids: Vec<&str> =
            overdue.iter().map(|e| e.verification_id.as_str()).collect();
        overdue_ids.sort_unstable();
        let mut expected = vec![a, c];
        expected.sort_unstable();
        assert_eq!(overdue_ids, expected);
        for event in &overdue {
            assert_eq!(instant(event.due_at.as_ref()), due);
            assert_eq!(event.police_unit, "city-police-forensics");
            assert_eq!(event.division, "211103");
        }
        let kind = "VERIFICATION_OVERDUE";
        for unit in [forensics(), city_police(), city_civil_affairs()] {
            assert_eq!(
                notified_subjects(&kit, &unit, kind).await,
                subjects(&[a, c])
            );
        }
        assert!(notified_subjects(&kit, &face_unit(), kind).await.is_empty());

        // Events carry the instants the rows store.
        for event in kit.events::<pb::VerificationAnswered>().await {
            let read = get_verification(&kit, &xlt_station(), &event.verification_id)
                .await
                .unwrap();
            assert_eq!(event.answered_at, read.answered_at);
            assert_eq!(event.answered_at, read.results[0].submitted_at);
        }
        kit.stop().await;
    }
);
