//! The deadlines of a verification request through the gRPC API, on SQLite and PostgreSQL, with
//! the cluster's dev clock: the reminders 7 and 1 days before the answer's due time (to the unit
//! addressed at that moment), the overdue answer escalated to the city police bureau and the city
//! civil affairs, each exactly once across a restart of identity; the deemed receipt 3 working
//! days after filing, escalated, which a later acknowledgement does not undo.

#![allow(clippy::unwrap_used, reason = "test helpers: a panic is a failed test")]

#[macro_use]
#[path = "common/kit.rs"]
mod kit;

use chrono::{DateTime, Duration, Utc};
use kit::*;
use relief_proto::identity::v1 as pb;

fn local(text: &str) -> DateTime<Utc> {
    kit::at(text).unwrap()
}

async fn pending_deadlines(kit: &Kit) -> i64 {
    kit.count(
        "SELECT COUNT(*) FROM deadlines WHERE subject LIKE 'verification/%' \
         AND state = 'pending'",
    )
    .await
}

cluster_tests!(
    reminders_and_the_overdue_answer_fire_once_each_across_a_restart,
    start = kit::at("2026-01-31T10:00:00+08:00"),
    |kit| {
        let file = kit
            .admit_unknown(&xlt_station(), kit.now() - Duration::hours(1))
            .await;
        let filed = file_verification(
            &kit,
            &xlt_station(),
            &file.file_id,
            &[pb::VerificationMethod::Dna],
            "city-police-forensics",
        )
        .await
        .unwrap();
        let id = filed.verification_id.clone();
        let received = acknowledge_verification(&kit, &forensics(), &id)
            .await
            .unwrap();
        let due = local("2026-02-28T16:00:00Z");
        assert_eq!(instant(received.due_at.as_ref()), due);
        // Two reminders and the due time; the deemed receipt is cancelled.
        assert_eq!(pending_deadlines(&kit).await, 3);

        // 7 days before: the addressed unit is reminded.
        kit.set_clock(due - Duration::days(7) + Duration::seconds(1));
        let reminders = kit.wait_events::<pb::VerificationReminderDue>(1).await;
        assert_eq!(reminders[0].days_before, 7);
        assert_eq!(reminders[0].police_unit, "city-police-forensics");
        assert_eq!(reminders[0].due_at, received.due_at);
        assert_eq!(
            notifications_of_kind(&kit, &forensics(), "VERIFICATION_ANSWER_DUE")
                .await
                .len(),
            1
        );

        // The unit forwards it: receipt and due time stay, the next reminder goes to the new
        // unit.
        let forwarded = kit
            .identity(&forensics())
            .await
            .forward_verification_request(pb::ForwardVerificationRequestRequest {
                request_id: request_id(),
                verification_id: id.clone(),
                to_unit: "city-police-face".to_owned(),
                reason: "人像比对更快".to_owned(),
            })
            .await
            .unwrap()
            .into_inner()
            .verification
            .unwrap();
        assert_eq!(forwarded.due_at, received.due_at);
        assert_eq!(forwarded.received_at, received.received_at);

        // Identity stops and starts in the middle: the deadline rows carry on.
        kit.cluster.restart("identity").await;
        kit.set_clock(due - Duration::days(1) + Duration::seconds(1));
        let reminders = kit.wait_events::<pb::VerificationReminderDue>(2).await;
        assert_eq!(reminders[1].days_before, 1);
        assert_eq!(reminders[1].police_unit, "city-police-face");

        // The due time passes: overdue, escalated to the city police bureau and the city civil
        // affairs (牵头).
        kit.set_clock(due + Duration::seconds(1));
        let overdue = kit.wait_events::<pb::VerificationOverdue>(1).await;
        assert_eq!(overdue[0].due_at, received.due_at);
        assert_eq!(overdue[0].police_unit, "city-police-face");
        kit.cluster.restart("identity").await;
        kit.advance(Duration::days(3));
        wait_for_no_pending(&kit).await;

        // Exactly once each.
        assert_eq!(kit.events::<pb::VerificationReminderDue>().await.len(), 2);
        assert_eq!(kit.events::<pb::VerificationOverdue>().await.len(), 1);
        assert_eq!(
            notifications_of_kind(&kit, &forensics(), "VERIFICATION_ANSWER_DUE")
                .await
                .len(),
            1
        );
        assert_eq!(
            notifications_of_kind(&kit, &face_unit(), "VERIFICATION_ANSWER_DUE")
                .await
                .len(),
            1
        );
        for unit in [face_unit(), city_police(), city_civil_affairs()] {
            let notes = notifications_of_kind(&kit, &unit, "VERIFICATION_OVERDUE").await;
            assert_eq!(notes.len(), 1, "{}", unit.unit);
            assert_eq!(notes[0].subject, format!("verification/{id}"));
            assert!(instant(notes[0].acknowledge_by.as_ref()) > due);
        }
        assert!(
            notifications_of_kind(&kit, &forensics(), "VERIFICATION_OVERDUE")
                .await
                .is_empty()
        );

        // The request reads as overdue; a late answer is recorded as late.
        let read = get_verification(&kit, &face_unit(), &id).await.unwrap();
        assert!(read.overdue);
        let answered = submit_verification_result(
            &kit,
            &face_unit(),
            &id,
            pb::VerificationMethod::Dna,
            pb::submit_verification_result_request::Outcome::NoMatch(pb::NoMatch::default()),
        )
        .await
        .unwrap();
        assert_eq!(answered.status, pb::VerificationStatus::Answered as i32);
        assert!(!answered.answered_on_time);
        assert!(!answered.overdue);
        assert!(!answered.results[0].on_time);
        kit.stop().await;
    }
);

/// Waits until every deadline of verification requests has fired (or was cancelled).
async fn wait_for_no_pending(kit: &Kit) {
    relief_testkit::wait_until("the verification deadlines have fired", || async {
        pending_deadlines(kit).await == 0
    })
    .await;
}

cluster_tests!(
    an_unacknowledged_request_is_deemed_received_and_escalated,
    start = kit::at("2026-03-10T10:00:00+08:00"),
    |kit| {
        let file = kit
            .admit_unknown(&xlt_station(), kit.now() - Duration::hours(1))
            .await;
        let filed = file_verification(
            &kit,
            &xlt_station(),
            &file.file_id,
            &[pb::VerificationMethod::Dna, pb::VerificationMethod::Face],
            "city-police-forensics",
        )
        .await
        .unwrap();
        let id = filed.verification_id.clone();
        // Filed Tue 2026-03-10: 3 working days end Fri 2026-03-13 24:00.
        let acknowledge_by = local("2026-03-13T16:00:00Z");
        assert_eq!(instant(filed.acknowledge_by.as_ref()), acknowledge_by);
        assert_eq!(filed.status, pb::VerificationStatus::AwaitingReceipt as i32);

        // Listing is not receipt.
        let pending = kit
            .identity(&forensics())
            .await
            .list_pending_verification_requests(
                pb::ListPendingVerificationRequestsRequest::default(),
            )
            .await
            .unwrap()
            .into_inner()
            .verifications;
        assert_eq!(pending.len(), 1);
        assert_eq!(pending[0].receipt, pb::ReceiptKind::Unspecified as i32);

        // A second short of the end: still awaiting receipt.
        kit.set_clock(acknowledge_by - Duration::seconds(1));
        assert_eq!(
            get_verification(&kit, &forensics(), &id)
                .await
                .unwrap()
                .status,
            pb::VerificationStatus::AwaitingReceipt as i32
        );

        // The weekend goes by, the sweeper runs late: receipt is the legal instant all the same.
        kit.set_clock(local("2026-03-16T09:00:00+08:00"));
        let deemed = kit.wait_events::<pb::VerificationDeemedReceived>(1).await;
        assert_eq!(deemed[0].verification_id, id);
        assert_eq!(instant(deemed[0].received_at.as_ref()), acknowledge_by);
        // The receipt day (Fri Mar 13) is not counted: Mon Apr 13 24:00.
        let due = local("2026-04-13T16:00:00Z");
        assert_eq!(instant(deemed[0].due_at.as_ref()), due);
        let read = get_verification(&kit, &xlt_station(), &id).await.unwrap();
        assert_eq!(read.status, pb::VerificationStatus::Received as i32);
        assert_eq!(read.receipt, pb::ReceiptKind::Deemed as i32);
        assert_eq!(instant(read.received_at.as_ref()), acknowledge_by);
        assert_eq!(instant(read.due_at.as_ref()), due);
        assert!(read.acknowledged_at.is_none());
        for unit in [forensics(), city_police(), city_civil_affairs()] {
            let notes = notifications_of_kind(&kit, &unit, "VERIFICATION_NOT_ACKNOWLEDGED").await;
            assert_eq!(notes.len(), 1, "{}", unit.unit);
            assert_eq!(notes[0].subject, format!("verification/{id}"));
            assert!(instant(notes[0].acknowledge_by.as_ref()) > kit.now());
        }
        assert!(
            kit.events::<pb::VerificationAcknowledged>()
                .await
                .is_empty()
        );

        // A late acknowledgement is recorded; the receipt stays deemed, the due time stays.
        let acknowledged = acknowledge_verification(&kit, &forensics(), &id)
            .await
            .unwrap();
        assert_eq!(acknowledged.receipt, pb::ReceiptKind::Deemed as i32);
        assert_eq!(instant(acknowledged.received_at.as_ref()), acknowledge_by);
        assert_eq!(instant(acknowledged.due_at.as_ref()), due);
        let acknowledged_at = instant(acknowledged.acknowledged_at.as_ref());
        assert!(acknowledged_at > acknowledge_by);
        // A repeat changes nothing.
        kit.advance(Duration::hours(1));
        let again = acknowledge_verification(&kit, &forensics(), &id)
            .await
            .unwrap();
        assert_eq!(instant(again.acknowledged_at.as_ref()), acknowledged_at);
        assert!(
            kit.events::<pb::VerificationAcknowledged>()
                .await
                .is_empty()
        );
        assert_eq!(
            kit.events::<pb::VerificationDeemedReceived>().await.len(),
            1
        );
        // Reminders and the overdue deadline run from the deemed receipt.
        assert_eq!(pending_deadlines(&kit).await, 3);
        kit.stop().await;
    }
);
