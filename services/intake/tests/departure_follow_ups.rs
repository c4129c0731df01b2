//! Return follow-ups through the gRPC API, on SQLite and PostgreSQL, with the cluster's dev
//! clock: a return home opens a follow-up for the destination county, due 30 days after the
//! departure (24:00 China time); its civil-affairs bureau lists and records it (once,
//! idempotently; others get NOT_FOUND); unrecorded at the due time it is overdue and the county
//! bureau is told; abuse by a guardian notifies the police, escalating to the city bureaus.

#![allow(clippy::unwrap_used, reason = "test helpers: a panic is a failed test")]

#[macro_use]
#[path = "common/cases.rs"]
mod kit;

use chrono::{DateTime, Duration, TimeZone, Utc};
use kit::*;
use relief_proto::intake::v1 as pb;
use relief_proto::notifications::v1::{ListNotificationsRequest, Notification};
use relief_runtime::Caller;
use relief_runtime::time::timestamp;
use relief_testkit::wait_until;
use tonic::Code;

fn instant(timestamp: &prost_types::Timestamp) -> DateTime<Utc> {
    Utc.timestamp_opt(timestamp.seconds, u32::try_from(timestamp.nanos).unwrap())
        .single()
        .unwrap()
}

/// Admits an adult at the Xinglongtai station and returns them home to `division` at `at`;
/// gives the follow-up id.
async fn returned_home(kit: &Kit, division: &str, at: DateTime<Utc>) -> String {
    let case = kit
        .admit(
            &xlt_station(),
            admission(person("陈四", ""), at - Duration::hours(2)),
        )
        .await;
    kit.intake(&xlt_station())
        .await
        .discharge_case(pb::DischargeCaseRequest {
            request_id: request_id(),
            case_id: case.case_id,
            kind: pb::DepartureKind::ReturnedHome as i32,
            departed_at: Some(timestamp(at)),
            return_home: Some(pb::ReturnHome {
                mode: pb::ReturnMode::TravelVoucher as i32,
                relative_id_checked: false,
                destination_division: division.to_owned(),
            }),
            ..pb::DischargeCaseRequest::default()
        })
        .await
        .unwrap()
        .into_inner()
        .follow_up_id
}

async fn list(
    kit: &Kit,
    who: &Caller,
    request: pb::ListFollowUpsRequest,
) -> Result<pb::ListFollowUpsResponse, tonic::Status> {
    kit.intake(who)
        .await
        .list_follow_ups(request)
        .await
        .map(tonic::Response::into_inner)
}

async fn ids_seen_by(kit: &Kit, who: &Caller) -> Vec<String> {
    list(kit, who, pb::ListFollowUpsRequest::default())
        .await
        .unwrap()
        .follow_ups
        .into_iter()
        .map(|follow_up| follow_up.follow_up_id)
        .collect()
}

fn record_request(follow_up_id: &str) -> pb::RecordFollowUpRequest {
    pb::RecordFollowUpRequest {
        request_id: request_id(),
        follow_up_id: follow_up_id.to_owned(),
        situation: "已返乡，与家人同住，生活稳定".to_owned(),
        support: vec![
            pb::SupportKind::SocialAssistance as i32,
            pb::SupportKind::SocialInsurance as i32,
        ],
        guardians_reminded: true,
        guardian_abuse_found: false,
    }
}

async fn record(
    kit: &Kit,
    who: &Caller,
    request: pb::RecordFollowUpRequest,
) -> Result<pb::FollowUp, tonic::Status> {
    kit.intake(who)
        .await
        .record_follow_up(request)
        .await
        .map(|response| response.into_inner().follow_up.unwrap())
}

async fn notifications_of(kit: &Kit, who: &Caller) -> Vec<Notification> {
    kit.notifications(who)
        .await
        .list_notifications(ListNotificationsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .notifications
}

async fn pending_follow_up_deadlines(kit: &Kit) -> i64 {
    kit.count(
        "SELECT COUNT(*) FROM deadlines WHERE kind = 'intake.follow_up' AND state = 'pending'",
    )
    .await
}

cluster_tests!(
    a_follow_up_recorded_in_time_by_the_destination_county,
    |kit| {
        let now = kit.now();
        let departed_at = now - Duration::hours(1);
        let follow_up_id = returned_home(&kit, "211102", departed_at).await;
        assert!(!follow_up_id.is_empty());
        assert_eq!(pending_follow_up_deadlines(&kit).await, 1);

        // Due at 24:00 China time of the 30th day after the departure.
        let listed = list(
            &kit,
            &sz_civil_affairs(),
            pb::ListFollowUpsRequest::default(),
        )
        .await
        .unwrap()
        .follow_ups;
        assert_eq!(listed.len(), 1);
        let pending = &listed[0];
        assert_eq!(pending.follow_up_id, follow_up_id);
        assert_eq!(pending.division, "211102");
        assert!(pending.recorded_at.is_none() && !pending.on_time);
        assert_eq!(
            instant(&pending.due_at.unwrap()),
            relief_legal::status_days(departed_at, 30)
        );
        // The city bureau and the province see it; another county does not.
        assert_eq!(
            ids_seen_by(&kit, &city_civil_affairs()).await,
            [follow_up_id.as_str()]
        );
        assert_eq!(
            ids_seen_by(&kit, &province()).await,
            [follow_up_id.as_str()]
        );
        assert!(ids_seen_by(&kit, &xlt_civil_affairs()).await.is_empty());

        // Others: NOT_FOUND (another county), PERMISSION_DENIED (not civil affairs; the province
        // reads only).
        let status = record(&kit, &xlt_civil_affairs(), record_request(&follow_up_id))
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::NotFound);
        let status = record(
            &kit,
            &sz_civil_affairs(),
            record_request("0190a0f4-0000-7000-8000-000000000000"),
        )
        .await
        .unwrap_err();
        assert_eq!(status.code(), Code::NotFound);
        for who in [xlt_station(), xlt_government(), xlt_police()] {
            let status = record(&kit, &who, record_request(&follow_up_id))
                .await
                .unwrap_err();
            assert_eq!(status.code(), Code::PermissionDenied, "{who:?}");
            let status = list(&kit, &who, pb::ListFollowUpsRequest::default())
                .await
                .unwrap_err();
            assert_eq!(status.code(), Code::PermissionDenied, "{who:?}");
        }
        let status = record(&kit, &province(), record_request(&follow_up_id))
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::PermissionDenied);

        // Bad fields, all at once.
        let mut bad = record_request("");
        bad.situation = "  ".to_owned();
        bad.support = vec![pb::SupportKind::SocialWelfare as i32, 0];
        let status = record(&kit, &sz_civil_affairs(), bad).await.unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument);
        let mut got = fields(&status);
        got.sort_unstable();
        assert_eq!(got, ["follow_up_id", "situation", "support"]);
        let mut unknown_support = record_request(&follow_up_id);
        unknown_support.support = vec![42];
        let status = record(&kit, &sz_civil_affairs(), unknown_support)
            .await
            .unwrap_err();
        assert_eq!(fields(&status), ["support"]);
        assert_eq!(pending_follow_up_deadlines(&kit).await, 1);

        // In time: recorded once, the deadline cancelled, an event.
        let request = record_request(&follow_up_id);
        let before = kit.now();
        let recorded = record(&kit, &sz_civil_affairs(), request.clone())
            .await
            .unwrap();
        assert!(recorded.on_time);
        let recorded_at = instant(&recorded.recorded_at.unwrap());
        assert!(before <= recorded_at && recorded_at <= kit.now());
        assert_eq!(recorded.situation, "已返乡，与家人同住，生活稳定");
        assert_eq!(
            recorded.support,
            [
                pb::SupportKind::SocialAssistance as i32,
                pb::SupportKind::SocialInsurance as i32
            ]
        );
        assert!(recorded.guardians_reminded && !recorded.guardian_abuse_found);
        let retry = record(&kit, &sz_civil_affairs(), request).await.unwrap();
        assert_eq!(retry, recorded);
        let status = record(&kit, &sz_civil_affairs(), record_request(&follow_up_id))
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::FailedPrecondition);
        assert_eq!(reason(&status), "FOLLOW_UP_ALREADY_RECORDED");
        assert_eq!(pending_follow_up_deadlines(&kit).await, 0);
        let events = kit.events::<pb::FollowUpRecorded>().await;
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].follow_up_id, follow_up_id);
        assert_eq!(events[0].division, "211102");
        assert!(events[0].on_time && !events[0].guardian_abuse_found);
        for payload in kit.raw_events().await {
            assert!(!String::from_utf8_lossy(&payload).contains("与家人同住"));
        }

        // Passing the due time later changes nothing: no overdue.
        kit.cluster.clock.advance(Duration::days(31)).unwrap();
        assert!(kit.events::<pb::FollowUpOverdue>().await.is_empty());
        assert!(notifications_of(&kit, &sz_civil_affairs()).await.is_empty());
        kit.stop().await;
    }
);

cluster_tests!(follow_ups_are_listed_earliest_due_first_in_pages, |kit| {
    let now = kit.now();
    let latest = returned_home(&kit, "211103", now - Duration::hours(1)).await;
    let earliest = returned_home(&kit, "211103", now - Duration::days(20)).await;
    let middle = returned_home(&kit, "211103", now - Duration::days(10)).await;
    let elsewhere = returned_home(&kit, "211102", now - Duration::days(15)).await;

    let first = list(
        &kit,
        &xlt_civil_affairs(),
        pb::ListFollowUpsRequest {
            page_size: 2,
            ..pb::ListFollowUpsRequest::default()
        },
    )
    .await
    .unwrap();
    let ids: Vec<&str> = first
        .follow_ups
        .iter()
        .map(|f| f.follow_up_id.as_str())
        .collect();
    assert_eq!(ids, [earliest.as_str(), middle.as_str()]);
    assert!(!first.next_page_token.is_empty());
    let second = list(
        &kit,
        &xlt_civil_affairs(),
        pb::ListFollowUpsRequest {
            page_size: 2,
            page_token: first.next_page_token.clone(),
            ..pb::ListFollowUpsRequest::default()
        },
    )
    .await
    .unwrap();
    let ids: Vec<&str> = second
        .follow_ups
        .iter()
        .map(|f| f.follow_up_id.as_str())
        .collect();
    assert_eq!(ids, [latest.as_str()]);
    assert!(second.next_page_token.is_empty());

    // The city bureau sees all four, in due order.
    assert_eq!(
        ids_seen_by(&kit, &city_civil_affairs()).await,
        [
            earliest.clone(),
            elsewhere.clone(),
            middle.clone(),
            latest.clone()
        ]
    );

    // pending_only leaves out a recorded one.
    record(&kit, &xlt_civil_affairs(), record_request(&middle))
        .await
        .unwrap();
    let pending = list(
        &kit,
        &xlt_civil_affairs(),
        pb::ListFollowUpsRequest {
            pending_only: true,
            ..pb::ListFollowUpsRequest::default()
        },
    )
    .await
    .unwrap();
    let ids: Vec<&str> = pending
        .follow_ups
        .iter()
        .map(|f| f.follow_up_id.as_str())
        .collect();
    assert_eq!(ids, [earliest.as_str(), latest.as_str()]);
    assert_eq!(ids_seen_by(&kit, &xlt_civil_affairs()).await.len(), 3);

    // Bad paging.
    for request in [
        pb::ListFollowUpsRequest {
            page_size: -1,
            ..pb::ListFollowUpsRequest::default()
        },
        pb::ListFollowUpsRequest {
            page_token: "not a token".to_owned(),
            ..pb::ListFollowUpsRequest::default()
        },
    ] {
        let status = list(&kit, &xlt_civil_affairs(), request).await.unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument);
    }
    kit.stop().await;
});

cluster_tests!(
    an_unrecorded_follow_up_is_overdue_and_the_county_bureau_told,
    |kit| {
        let now = kit.now();
        let follow_up_id = returned_home(&kit, "211103", now).await;
        // A destination without a county bureau in units.toml: the city bureau answers for it.
        let beijing = returned_home(&kit, "110101", now).await;
        assert_eq!(ids_seen_by(&kit, &city_civil_affairs()).await.len(), 2);
        assert!(
            !ids_seen_by(&kit, &xlt_civil_affairs())
                .await
                .contains(&beijing)
        );

        // A day short of the due time: nothing.
        let due = relief_legal::status_days(now, 30);
        kit.cluster.clock.set(due - Duration::days(1)).unwrap();
        assert_eq!(pending_follow_up_deadlines(&kit).await, 2);
        assert!(kit.events::<pb::FollowUpOverdue>().await.is_empty());

        // 31 days after the departure: overdue.
        kit.cluster.clock.set(now + Duration::days(31)).unwrap();
        wait_until(
            "the county bureau is told of the overdue follow-up",
            || async {
                notifications_of(&kit, &xlt_civil_affairs())
                    .await
                    .iter()
                    .any(|n| n.kind == "FOLLOW_UP_OVERDUE")
            },
        )
        .await;
        wait_until("both follow-ups are overdue", || async {
            pending_follow_up_deadlines(&kit).await == 0
        })
        .await;
        let county = notifications_of(&kit, &xlt_civil_affairs()).await;
        assert_eq!(county.len(), 1);
        assert_eq!(county[0].subject, format!("follow-up/{follow_up_id}"));
        let window =
            instant(&county[0].acknowledge_by.unwrap()) - instant(&county[0].issued_at.unwrap());
        assert!(
            window <= Duration::hours(24) && window > Duration::hours(24) - Duration::seconds(5)
        );
        assert!(county[0].escalated_at.is_none());
        let city = notifications_of(&kit, &city_civil_affairs()).await;
        assert_eq!(city.len(), 1);
        assert_eq!(city[0].subject, format!("follow-up/{beijing}"));
        assert_eq!(city[0].kind, "FOLLOW_UP_OVERDUE");
        // No escalation is watched.
        assert_eq!(
            kit.count("SELECT COUNT(*) FROM deadlines WHERE kind = 'notification.ack'")
                .await,
            0
        );
        let mut overdue = kit.events::<pb::FollowUpOverdue>().await;
        overdue.sort_by(|a, b| a.follow_up_id.cmp(&b.follow_up_id));
        assert_eq!(overdue.len(), 2);
        assert!(overdue.iter().all(|e| instant(&e.due_at.unwrap()) == due));
        assert!(
            overdue
                .iter()
                .any(|e| e.follow_up_id == follow_up_id && e.division == "211103")
        );

        // A late record is still taken, marked late.
        let late = record(&kit, &xlt_civil_affairs(), record_request(&follow_up_id))
            .await
            .unwrap();
        assert!(!late.on_time);
        let city_record = record(&kit, &city_civil_affairs(), record_request(&beijing))
            .await
            .unwrap();
        assert!(!city_record.on_time);
        let events = kit.events::<pb::FollowUpRecorded>().await;
        assert_eq!(events.len(), 2);
        assert!(events.iter().all(|e| !e.on_time));
        kit.stop().await;
    }
);

cluster_tests!(
    abuse_by_a_guardian_notifies_the_police_of_the_division,
    |kit| {
        let now = kit.now();
        let follow_up_id = returned_home(&kit, "211103", now).await;
        let mut request = record_request(&follow_up_id);
        request.guardian_abuse_found = true;
        let recorded = record(&kit, &xlt_civil_affairs(), request).await.unwrap();
        assert!(recorded.guardian_abuse_found);
        let events = kit.events::<pb::FollowUpRecorded>().await;
        assert!(events[0].guardian_abuse_found);

        // The police of the division, to acknowledge within 24 hours.
        let police = notifications_of(&kit, &xlt_police()).await;
        assert_eq!(police.len(), 1);
        assert_eq!(police[0].kind, "GUARDIAN_ABUSE_FOUND");
        assert_eq!(police[0].subject, format!("follow-up/{follow_up_id}"));
        assert!(!police[0].summary.contains("与家人同住"));
        assert!(notifications_of(&kit, &city_police()).await.is_empty());

        // Unacknowledged: the city police bureau and the city civil-affairs bureau hear of it.
        kit.cluster.clock.advance(Duration::hours(25)).unwrap();
        wait_until("the unacknowledged report escalates", || async {
            !notifications_of(&kit, &city_police()).await.is_empty()
                && !notifications_of(&kit, &city_civil_affairs())
                    .await
                    .is_empty()
        })
        .await;
        for who in [city_police(), city_civil_affairs()] {
            let escalated = notifications_of(&kit, &who).await;
            assert_eq!(escalated.len(), 1);
            assert_eq!(escalated[0].kind, "NOTIFICATION_UNACKNOWLEDGED");
            assert_eq!(escalated[0].escalation_of, police[0].notification_id);
        }

        // Where the division has no police unit of its own, the city police bureau is told.
        let beijing = returned_home(&kit, "110101", kit.now()).await;
        let mut request = record_request(&beijing);
        request.guardian_abuse_found = true;
        record(&kit, &city_civil_affairs(), request).await.unwrap();
        let city = notifications_of(&kit, &city_police()).await;
        assert!(city.iter().any(
            |n| n.kind == "GUARDIAN_ABUSE_FOUND" && n.subject == format!("follow-up/{beijing}")
        ));
        kit.stop().await;
    }
);
