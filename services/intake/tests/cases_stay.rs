//! The 10-day relief period through the gRPC API, on SQLite and PostgreSQL, with the cluster's
//! dev clock: an open stay past 10 days is flagged at 24:00 local of the 10th day, with a
//! `StayFlagged` event and a notification to the station; a closed one, or one the rule does not
//! cover, is not. JustifyLongStay: own station only, idempotent, the reason checked.

#![allow(clippy::unwrap_used, reason = "test helpers: a panic is a failed test")]

#[macro_use]
#[path = "common/cases.rs"]
mod kit;

use chrono::{DateTime, Duration, TimeZone, Utc};
use kit::*;
use relief_proto::intake::v1 as pb;
use relief_proto::notifications::v1::ListNotificationsRequest;
use relief_runtime::with_db;
use relief_testkit::wait_until;
use tonic::Code;

fn instant(timestamp: &prost_types::Timestamp) -> DateTime<Utc> {
    Utc.timestamp_opt(timestamp.seconds, u32::try_from(timestamp.nanos).unwrap())
        .single()
        .unwrap()
}

async fn get(kit: &Kit, case_id: &str) -> pb::Case {
    kit.intake(&xlt_station())
        .await
        .get_case(pb::GetCaseRequest {
            case_id: case_id.to_owned(),
        })
        .await
        .unwrap()
        .into_inner()
        .case
        .unwrap()
}

async fn set_status(kit: &Kit, case_id: &str, status: pb::CaseStatus) {
    with_db!(&kit.db, |pool| {
        sqlx::query("UPDATE cases SET status = $2 WHERE id = $1")
            .bind(case_id)
            .bind(status as i32)
            .execute(pool)
            .await
            .map(|_| ())
    })
    .unwrap();
}

fn justify(case_id: &str, reason: &str) -> pb::JustifyLongStayRequest {
    pb::JustifyLongStayRequest {
        request_id: request_id(),
        case_id: case_id.to_owned(),
        reason: reason.to_owned(),
    }
}

cluster_tests!(
    an_open_stay_past_ten_days_is_flagged_and_the_station_notified,
    |kit| {
        let admitted_at = kit.now() - Duration::hours(1);
        let adult = kit
            .admit(&xlt_station(), admission(person("孙八", ""), admitted_at))
            .await;
        let fostered = kit
            .admit(
                &xlt_station(),
                admission(pb::Person::default(), admitted_at),
            )
            .await;
        let closed = kit
            .admit(
                &xlt_station(),
                admission(pb::Person::default(), admitted_at),
            )
            .await;
        let child = kit
            .admit(
                &xlt_station(),
                admission(
                    pb::Person {
                        estimated_age: 12,
                        ..pb::Person::default()
                    },
                    admitted_at,
                ),
            )
            .await;
        assert!(!child.ten_day_rule_applies);
        set_status(&kit, &fostered.case_id, pb::CaseStatus::InFosterCare).await;
        set_status(&kit, &closed.case_id, pb::CaseStatus::Closed).await;

        // 24:00 China time of the 10th day after the admission day.
        let over_since = relief_legal::status_days(instant(&adult.admitted_at.unwrap()), 10);
        assert!(over_since - admitted_at > Duration::days(10));
        assert!(over_since - admitted_at <= Duration::days(11));
        assert!(
            get(&kit, &adult.case_id)
                .await
                .over_ten_days_since
                .is_none()
        );

        // A day short: nothing yet.
        kit.cluster
            .clock
            .set(over_since - Duration::seconds(1))
            .unwrap();
        assert_eq!(
            kit.count(
                "SELECT COUNT(*) FROM deadlines WHERE kind = 'intake.stay_over_10_days' \
             AND state = 'pending'"
            )
            .await,
            3
        );
        assert!(
            get(&kit, &adult.case_id)
                .await
                .over_ten_days_since
                .is_none()
        );

        kit.cluster
            .clock
            .set(over_since + Duration::minutes(1))
            .unwrap();
        wait_until("the stay deadlines fire", || async {
            kit.count(
                "SELECT COUNT(*) FROM deadlines WHERE kind = 'intake.stay_over_10_days' \
             AND state = 'pending'",
            )
            .await
                == 0
        })
        .await;

        let flagged = get(&kit, &adult.case_id).await;
        assert_eq!(instant(&flagged.over_ten_days_since.unwrap()), over_since);
        let in_foster_care = get(&kit, &fostered.case_id).await;
        assert_eq!(
            instant(&in_foster_care.over_ten_days_since.unwrap()),
            over_since
        );
        assert!(
            get(&kit, &closed.case_id)
                .await
                .over_ten_days_since
                .is_none()
        );
        assert!(
            get(&kit, &child.case_id)
                .await
                .over_ten_days_since
                .is_none()
        );

        let events = kit.events::<pb::StayFlagged>().await;
        let mut flagged_ids: Vec<&str> = events.iter().map(|e| e.case_id.as_str()).collect();
        flagged_ids.sort_unstable();
        let mut expected = [adult.case_id.as_str(), fostered.case_id.as_str()];
        expected.sort_unstable();
        assert_eq!(flagged_ids, expected);
        assert!(events.iter().all(
            |e| e.division == "211103" && e.over_since.map(|t| instant(&t)) == Some(over_since)
        ));

        // The station is notified, once per flagged stay, to acknowledge within 24 hours.
        let notifications = kit
            .notifications(&xlt_station())
            .await
            .list_notifications(ListNotificationsRequest::default())
            .await
            .unwrap()
            .into_inner()
            .notifications;
        let mut subjects: Vec<String> = notifications
            .iter()
            .filter(|n| n.kind == "STAY_OVER_10_DAYS")
            .map(|n| n.subject.clone())
            .collect();
        subjects.sort_unstable();
        let mut expected: Vec<String> = [&adult, &fostered]
            .iter()
            .map(|case| format!("case/{}", case.case_id))
            .collect();
        expected.sort_unstable();
        assert_eq!(subjects, expected);
        for notification in &notifications {
            let window = instant(&notification.acknowledge_by.unwrap())
                - instant(&notification.issued_at.unwrap());
            // The handler's "now" and the issue time are read from the running clock moments apart.
            assert!(
                window <= Duration::hours(24)
                    && window > Duration::hours(24) - Duration::seconds(5),
                "{window:?}"
            );
            assert!(!notification.summary.contains("孙八"));
        }
        // Nobody else is.
        let county = kit
            .notifications(&xlt_civil_affairs())
            .await
            .list_notifications(ListNotificationsRequest::default())
            .await
            .unwrap()
            .into_inner()
            .notifications;
        assert!(county.is_empty());
        kit.stop().await;
    }
);

cluster_tests!(a_long_stay_is_justified_by_its_own_station_only, |kit| {
    let now = kit.now();
    let adult = kit
        .admit(
            &xlt_station(),
            admission(person("孙八", ""), now - Duration::days(12)),
        )
        .await;
    let child = kit
        .admit(
            &xlt_station(),
            admission(
                pb::Person {
                    estimated_age: 10,
                    ..pb::Person::default()
                },
                now,
            ),
        )
        .await;
    // Admitted 12 days ago: the deadline is due at once.
    wait_until("the stay is flagged", || async {
        get(&kit, &adult.case_id)
            .await
            .over_ten_days_since
            .is_some()
    })
    .await;

    let mut xlt = kit.intake(&xlt_station()).await;
    let request = justify(&adult.case_id, "等待家属接回，已联系其兄");
    let justified = xlt
        .justify_long_stay(request.clone())
        .await
        .unwrap()
        .into_inner()
        .case
        .unwrap();
    assert_eq!(justified.long_stay_reason, "等待家属接回，已联系其兄");
    assert!(
        justified.over_ten_days_since.is_some(),
        "still counted as over 10 days"
    );
    assert!(justified.person.is_none() && justified.person_omitted);
    let retry = xlt
        .justify_long_stay(request)
        .await
        .unwrap()
        .into_inner()
        .case
        .unwrap();
    assert_eq!(retry, justified);
    let events = kit.events::<pb::StayJustified>().await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].case_id, adult.case_id);
    assert_eq!(events[0].division, "211103");
    assert_eq!(
        get(&kit, &adult.case_id).await.long_stay_reason,
        "等待家属接回，已联系其兄"
    );

    // Another station: as if the case did not exist. Other kinds: refused outright.
    let status = kit
        .intake(&sz_station())
        .await
        .justify_long_stay(justify(&adult.case_id, "x"))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    let status = kit
        .intake(&xlt_civil_affairs())
        .await
        .justify_long_stay(justify(&adult.case_id, "x"))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);

    // The rule does not apply to a child.
    let status = xlt
        .justify_long_stay(justify(&child.case_id, "x"))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert_eq!(reason(&status), "TEN_DAY_RULE_DOES_NOT_APPLY");

    // The reason is required, at most 1000 characters.
    for bad in [String::new(), "  ".to_owned(), "理".repeat(1001)] {
        let status = xlt
            .justify_long_stay(justify(&adult.case_id, &bad))
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(fields(&status), ["reason"]);
    }
    // A later reason replaces the first; the stay is still justified once (one event).
    xlt.justify_long_stay(justify(&adult.case_id, &"理".repeat(1000)))
        .await
        .unwrap();
    assert_eq!(
        get(&kit, &adult.case_id).await.long_stay_reason,
        "理".repeat(1000)
    );
    assert_eq!(kit.events::<pb::StayJustified>().await.len(), 1);
    kit.stop().await;
});
