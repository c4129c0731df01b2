//! The police's answer due time through the gRPC API, on SQLite and PostgreSQL, with the shipped
//! holiday calendar (deploy/holidays.toml, 2019–2026) and the cluster's dev clock: 1 month from
//! the acknowledgement, an act period (start day not counted, a rest-day last day moves to the
//! next working day, 24:00 China time), to the day; a year the calendar does not cover counts
//! weekends only and says so.

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

/// Files a DNA request for `file_id` at `at` and acknowledges it at once; returns the request.
async fn received_at(kit: &Kit, file_id: &str, at: DateTime<Utc>) -> pb::VerificationRequest {
    kit.set_clock(at);
    let filed = file_verification(
        kit,
        &xlt_station(),
        file_id,
        &[pb::VerificationMethod::Dna],
        "city-police-forensics",
    )
    .await
    .unwrap();
    let acknowledged = acknowledge_verification(kit, &forensics(), &filed.verification_id)
        .await
        .unwrap();
    assert_eq!(acknowledged.status, pb::VerificationStatus::Received as i32);
    assert_eq!(acknowledged.receipt, pb::ReceiptKind::Acknowledged as i32);
    let received = instant(acknowledged.received_at.as_ref());
    assert!(received >= at && received - at < Duration::minutes(1));
    assert_eq!(acknowledged.acknowledged_at, acknowledged.received_at);
    acknowledged
}

fn due(request: &pb::VerificationRequest) -> DateTime<Utc> {
    instant(request.due_at.as_ref())
}

cluster_tests!(
    the_answer_is_due_one_month_after_receipt_to_the_day,
    start = kit::at("2026-01-14T10:00:00+08:00"),
    |kit| {
        let admitted_at = kit.now() - Duration::hours(1);
        let mut files = Vec::new();
        for _ in 0..6 {
            files.push(kit.admit_unknown(&xlt_station(), admitted_at).await.file_id);
        }

        // Received Thu 2026-01-15: Feb 15 is in the Spring Festival holiday (Feb 15–23).
        let spring = received_at(&kit, &files[0], local("2026-01-15T10:00:00+08:00")).await;
        assert_eq!(due(&spring), local("2026-02-24T16:00:00Z"));
        // Filed within 7 working days of admission; deemed received after 3 working days
        // (Fri 16, Mon 19, Tue 20) unless acknowledged.
        assert!(spring.filed_on_time);
        assert_eq!(
            instant(spring.acknowledge_by.as_ref()),
            local("2026-01-20T16:00:00Z")
        );
        assert!(spring.warnings.is_empty());

        // Received Sat 2026-01-31: Feb 28, a Saturday made a working day (调休), 24:00.
        let month_end = received_at(&kit, &files[1], local("2026-01-31T10:00:00+08:00")).await;
        assert_eq!(due(&month_end), local("2026-02-28T16:00:00Z"));
        assert!(!month_end.filed_on_time, "filed after 7 working days");

        // The receipt day decides, not its hour: 23:59 and 00:01 the next day are a day apart.
        let late = received_at(&kit, &files[2], local("2026-03-09T23:59:00+08:00")).await;
        let early = received_at(&kit, &files[3], local("2026-03-10T00:01:00+08:00")).await;
        assert_eq!(due(&late), local("2026-04-09T16:00:00Z"));
        assert_eq!(due(&early), local("2026-04-10T16:00:00Z"));

        // Received Thu 2026-09-03: Oct 3 is in the National Day holiday (Oct 1–7); the first
        // working day after it is Thu Oct 8.
        let national = received_at(&kit, &files[4], local("2026-09-03T10:00:00+08:00")).await;
        assert_eq!(due(&national), local("2026-10-08T16:00:00Z"));

        // Received Wed 2026-12-30: the calendar has no 2027, so weekends only: Sat 2027-01-30
        // moves to Mon 2027-02-01, and the request says so.
        let uncovered = received_at(&kit, &files[5], local("2026-12-30T10:00:00+08:00")).await;
        assert_eq!(due(&uncovered), local("2027-02-01T16:00:00Z"));
        assert_eq!(
            uncovered.warnings,
            ["holiday calendar does not cover 2027: weekends only were used"]
        );

        // The feed says the same: one VerificationAcknowledged per receipt with its due time.
        let acknowledged = kit.events::<pb::VerificationAcknowledged>().await;
        assert_eq!(acknowledged.len(), 6);
        let national_event = acknowledged
            .iter()
            .find(|event| event.verification_id == national.verification_id)
            .unwrap();
        assert_eq!(national_event.due_at, national.due_at);
        assert_eq!(national_event.police_unit, "city-police-forensics");
        kit.stop().await;
    }
);
