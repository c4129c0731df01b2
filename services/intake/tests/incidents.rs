//! Incidents and suspected abuse through the gRPC API, on SQLite and PostgreSQL, with the
//! cluster's dev clock.
//!
//! ReportIncident: the admitting station only; the county civil-affairs bureau, the county
//! government and the city civil-affairs bureau are notified (the city station's cases: the city
//! bureau and the city government), each sees its notification through NotificationService, and
//! one left unacknowledged for 24 hours escalates to the city bureau. ReportAbuseSuspicion: the
//! police of the division are notified (the city police bureau for the city's own division),
//! escalating to the city police bureau and the city civil-affairs bureau; the description is
//! stored with the reporter and never in an event.

#![allow(clippy::unwrap_used, reason = "test helpers: a panic is a failed test")]

#[macro_use]
#[path = "common/cases.rs"]
mod kit;

use chrono::Duration;
use kit::*;
use relief_proto::intake::v1 as pb;
use relief_proto::notifications::v1::{
    AcknowledgeNotificationRequest, ListNotificationsRequest, Notification,
};
use relief_runtime::time::timestamp;
use relief_runtime::{Caller, CallerKind, with_db};
use relief_testkit::wait_until;
use tonic::Code;

fn foster() -> Caller {
    unit(CallerKind::Foster, "211103", "xlt-welfare-home")
}

/// Every notification addressed to `who`, as `who` lists them.
async fn notifications_of(kit: &Kit, who: &Caller) -> Vec<Notification> {
    kit.notifications(who)
        .await
        .list_notifications(ListNotificationsRequest {
            page_size: 500,
            ..ListNotificationsRequest::default()
        })
        .await
        .unwrap()
        .into_inner()
        .notifications
}

/// The notifications of `who` about `subject`, of `kind`.
async fn about(kit: &Kit, who: &Caller, kind: &str, subject: &str) -> Vec<Notification> {
    notifications_of(kit, who)
        .await
        .into_iter()
        .filter(|n| n.kind == kind && n.subject == subject)
        .collect()
}

async fn acknowledge(kit: &Kit, who: &Caller, notification_id: &str) {
    kit.notifications(who)
        .await
        .acknowledge_notification(AcknowledgeNotificationRequest {
            request_id: request_id(),
            notification_id: notification_id.to_owned(),
        })
        .await
        .unwrap();
}

async fn pending_ack_deadlines(kit: &Kit) -> i64 {
    kit.count(
        "SELECT COUNT(*) FROM deadlines WHERE kind = 'notification.ack' AND state = 'pending'",
    )
    .await
}

fn incident(
    case_id: &str,
    kind: pb::IncidentKind,
    at: chrono::DateTime<chrono::Utc>,
) -> pb::ReportIncidentRequest {
    pb::ReportIncidentRequest {
        request_id: request_id(),
        case_id: case_id.to_owned(),
        kind: kind as i32,
        occurred_at: Some(timestamp(at)),
        description: "夜间在站内走廊摔倒，右臂擦伤，已送医处置".to_owned(),
    }
}

fn abuse(case_id: &str, division: &str, description: &str) -> pb::ReportAbuseSuspicionRequest {
    pb::ReportAbuseSuspicionRequest {
        request_id: request_id(),
        case_id: case_id.to_owned(),
        division: division.to_owned(),
        description: description.to_owned(),
    }
}

const ABUSE_TEXT: &str = "受助人王某称其监护人长期殴打，背部有多处淤青";

cluster_tests!(
    an_incident_notifies_the_county_and_the_city_and_escalates_when_unacknowledged,
    |kit| {
        let now = kit.now();
        let case = kit
            .admit(
                &xlt_station(),
                admission(person("吴十", ""), now - Duration::days(1)),
            )
            .await;
        let mut xlt = kit.intake(&xlt_station()).await;
        let request = incident(
            &case.case_id,
            pb::IncidentKind::Injury,
            now - Duration::hours(1),
        );
        let reported = xlt
            .report_incident(request.clone())
            .await
            .unwrap()
            .into_inner()
            .incident
            .unwrap();
        assert_eq!(reported.case_id, case.case_id);
        assert_eq!(reported.kind, pb::IncidentKind::Injury as i32);
        assert_eq!(reported.notification_ids.len(), 3);
        let subject = format!("incident/{}", reported.incident_id);

        // Each recipient lists its own notification, due in 24 hours, without the description.
        let mut by_unit = Vec::new();
        for who in [xlt_civil_affairs(), xlt_government(), city_civil_affairs()] {
            let mine = about(&kit, &who, "INCIDENT_REPORTED", &subject).await;
            assert_eq!(mine.len(), 1, "{who}");
            let notification = &mine[0];
            assert!(
                reported
                    .notification_ids
                    .contains(&notification.notification_id)
            );
            let window = notification.acknowledge_by.unwrap().seconds
                - notification.issued_at.unwrap().seconds;
            assert!((24 * 3600 - 5..=24 * 3600).contains(&window), "{window}");
            assert!(!notification.summary.contains("摔倒"));
            assert!(!notification.summary.contains("吴十"));
            by_unit.push(notification.notification_id.clone());
        }
        // Nobody else.
        for who in [
            sz_civil_affairs(),
            sz_government(),
            city_government(),
            xlt_station(),
        ] {
            assert!(
                about(&kit, &who, "INCIDENT_REPORTED", &subject)
                    .await
                    .is_empty(),
                "{who}"
            );
        }

        // One event, with no description; a retry changes nothing.
        let again = xlt
            .report_incident(request)
            .await
            .unwrap()
            .into_inner()
            .incident
            .unwrap();
        assert_eq!(again, reported);
        let events = kit.events::<pb::IncidentReported>().await;
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].incident_id, reported.incident_id);
        assert_eq!(events[0].case_id, case.case_id);
        assert_eq!(events[0].division, "211103");
        assert_eq!(events[0].kind, pb::IncidentKind::Injury as i32);
        assert_eq!(events[0].occurred_at, reported.occurred_at);
        assert_eq!(kit.count("SELECT COUNT(*) FROM incidents").await, 1);
        assert_eq!(notifications_of(&kit, &xlt_civil_affairs()).await.len(), 1);
        let description = "夜间在站内走廊摔倒".as_bytes();
        assert!(
            kit.raw_events()
                .await
                .iter()
                .all(|payload| !payload.windows(description.len()).any(|w| w == description))
        );

        // The county government acknowledges; the county bureau does not. After 25 hours the city
        // bureau hears of the bureau's silence only (and not of its own).
        let [county_bureau, county_government, city_bureau] = by_unit.as_slice() else {
            panic!("three recipients");
        };
        acknowledge(&kit, &xlt_government(), county_government).await;
        kit.cluster.clock.advance(Duration::hours(25)).unwrap();
        wait_until("the acknowledgement deadlines fire", || async {
            pending_ack_deadlines(&kit).await == 0
        })
        .await;
        let escalations: Vec<Notification> = notifications_of(&kit, &city_civil_affairs())
            .await
            .into_iter()
            .filter(|n| n.kind == "NOTIFICATION_UNACKNOWLEDGED")
            .collect();
        assert_eq!(escalations.len(), 1, "{escalations:?}");
        assert_eq!(&escalations[0].escalation_of, county_bureau);
        assert_eq!(escalations[0].subject, subject);
        assert!(
            escalations
                .iter()
                .all(|n| &n.escalation_of != county_government && &n.escalation_of != city_bureau)
        );
        // Escalations go to the city bureau only.
        for who in [xlt_civil_affairs(), xlt_government(), city_government()] {
            assert!(
                notifications_of(&kit, &who)
                    .await
                    .iter()
                    .all(|n| n.kind != "NOTIFICATION_UNACKNOWLEDGED"),
                "{who}"
            );
        }
        kit.stop().await;
    }
);

cluster_tests!(
    an_incident_at_the_city_station_notifies_the_city_bureau_and_government,
    |kit| {
        let now = kit.now();
        let case = kit
            .admit(
                &city_station(),
                admission(person("郑一", ""), now - Duration::days(2)),
            )
            .await;
        let reported = kit
            .intake(&city_station())
            .await
            .report_incident(incident(&case.case_id, pb::IncidentKind::Death, now))
            .await
            .unwrap()
            .into_inner()
            .incident
            .unwrap();
        assert_eq!(reported.notification_ids.len(), 2);
        let subject = format!("incident/{}", reported.incident_id);
        for who in [city_civil_affairs(), city_government()] {
            let mine = about(&kit, &who, "INCIDENT_REPORTED", &subject).await;
            assert_eq!(mine.len(), 1, "{who}");
            assert!(reported.notification_ids.contains(&mine[0].notification_id));
        }
        for who in [xlt_civil_affairs(), xlt_government()] {
            assert!(
                about(&kit, &who, "INCIDENT_REPORTED", &subject)
                    .await
                    .is_empty()
            );
        }

        // A death does not close the case: DischargeCase does.
        let still = kit
            .intake(&city_station())
            .await
            .get_case(pb::GetCaseRequest {
                case_id: case.case_id.clone(),
            })
            .await
            .unwrap()
            .into_inner()
            .case
            .unwrap();
        assert_eq!(still.status, pb::CaseStatus::InStation as i32);

        // The city government's silence reaches the city bureau; the bureau's own is not sent back
        // to it.
        kit.cluster.clock.advance(Duration::hours(25)).unwrap();
        wait_until("the acknowledgement deadlines fire", || async {
            pending_ack_deadlines(&kit).await == 0
        })
        .await;
        let government_notification =
            about(&kit, &city_government(), "INCIDENT_REPORTED", &subject)
                .await
                .remove(0);
        let escalations: Vec<Notification> = notifications_of(&kit, &city_civil_affairs())
            .await
            .into_iter()
            .filter(|n| n.kind == "NOTIFICATION_UNACKNOWLEDGED")
            .collect();
        assert_eq!(escalations.len(), 1, "{escalations:?}");
        assert_eq!(
            escalations[0].escalation_of,
            government_notification.notification_id
        );
        kit.stop().await;
    }
);

cluster_tests!(
    an_incident_is_reported_by_the_admitting_station_only,
    |kit| {
        let now = kit.now();
        let admitted_at = now - Duration::days(1);
        let case = kit
            .admit(
                &xlt_station(),
                admission(pb::Person::default(), admitted_at),
            )
            .await;
        let valid = || incident(&case.case_id, pb::IncidentKind::Missing, now);

        for who in [
            xlt_civil_affairs(),
            xlt_government(),
            xlt_police(),
            city_central_hospital(),
            foster(),
        ] {
            let status = kit
                .intake(&who)
                .await
                .report_incident(valid())
                .await
                .unwrap_err();
            assert_eq!(status.code(), Code::PermissionDenied, "{who}");
        }
        let status = kit
            .intake(&sz_station())
            .await
            .report_incident(valid())
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::NotFound);
        let mut xlt = kit.intake(&xlt_station()).await;
        let status = xlt
            .report_incident(pb::ReportIncidentRequest {
                case_id: "no-such-case".to_owned(),
                ..valid()
            })
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::NotFound);

        let status = xlt
            .report_incident(pb::ReportIncidentRequest {
                case_id: String::new(),
                kind: pb::IncidentKind::Unspecified as i32,
                occurred_at: Some(timestamp(now + Duration::hours(2))),
                description: "伤".repeat(2001),
                ..valid()
            })
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument);
        let mut bad = fields(&status);
        bad.sort_unstable();
        assert_eq!(bad, ["case_id", "description", "kind", "occurred_at"]);
        let status = xlt
            .report_incident(pb::ReportIncidentRequest {
                occurred_at: None,
                ..valid()
            })
            .await
            .unwrap_err();
        assert_eq!(fields(&status), ["occurred_at"]);
        let status = xlt
            .report_incident(pb::ReportIncidentRequest {
                occurred_at: Some(timestamp(admitted_at - Duration::hours(1))),
                ..valid()
            })
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(fields(&status), ["occurred_at"]);
        assert_eq!(kit.count("SELECT COUNT(*) FROM incidents").await, 0);
        assert!(
            notifications_of(&kit, &city_civil_affairs())
                .await
                .is_empty()
        );

        // The person went missing and the case was closed: the incident can still be reported.
        xlt.discharge_case(pb::DischargeCaseRequest {
            request_id: request_id(),
            case_id: case.case_id.clone(),
            kind: pb::DepartureKind::Missing as i32,
            departed_at: Some(timestamp(now - Duration::minutes(5))),
            ..pb::DischargeCaseRequest::default()
        })
        .await
        .unwrap();
        xlt.report_incident(pb::ReportIncidentRequest {
            occurred_at: Some(timestamp(now - Duration::minutes(10))),
            description: "伤".repeat(2000),
            ..valid()
        })
        .await
        .unwrap();
        assert_eq!(kit.count("SELECT COUNT(*) FROM incidents").await, 1);
        kit.stop().await;
    }
);

cluster_tests!(
    suspected_abuse_is_reported_to_the_police_of_the_division,
    |kit| {
        let now = kit.now();
        let case = kit
            .admit(
                &xlt_station(),
                admission(person("王五", ""), now - Duration::days(1)),
            )
            .await;

        // The admitting station, about its case: the county police unit is told.
        let request = abuse(&case.case_id, "", ABUSE_TEXT);
        let mut xlt = kit.intake(&xlt_station()).await;
        let report = xlt
            .report_abuse_suspicion(request.clone())
            .await
            .unwrap()
            .into_inner()
            .report
            .unwrap();
        assert_eq!(report.case_id, case.case_id);
        assert_eq!(report.division, "211103");
        assert_eq!(report.description, ABUSE_TEXT);
        let reporter = report.reported_by.clone().unwrap();
        assert_eq!(
            (
                reporter.kind,
                reporter.division.as_str(),
                reporter.unit.as_str()
            ),
            (
                relief_proto::common::v1::CallerKind::Station as i32,
                "211103",
                "xlt-station"
            )
        );
        assert_eq!(report.notification_ids.len(), 1);
        let subject = format!("abuse-report/{}", report.report_id);
        let police = about(&kit, &xlt_police(), "ABUSE_SUSPECTED", &subject).await;
        assert_eq!(police.len(), 1);
        assert_eq!(police[0].notification_id, report.notification_ids[0]);
        assert!(!police[0].summary.contains("王"));
        assert!(!police[0].summary.contains("殴打"));
        for who in [sz_police(), city_police(), city_civil_affairs()] {
            assert!(
                about(&kit, &who, "ABUSE_SUSPECTED", &subject)
                    .await
                    .is_empty(),
                "{who}"
            );
        }

        // A retry: the same report, one row, one event.
        let again = xlt
            .report_abuse_suspicion(request)
            .await
            .unwrap()
            .into_inner()
            .report
            .unwrap();
        assert_eq!(again, report);
        assert_eq!(kit.count("SELECT COUNT(*) FROM abuse_reports").await, 1);

        // A public tip relayed without a case: the division's police.
        let tip = kit
            .intake(&city_hotline())
            .await
            .report_abuse_suspicion(abuse("", "211102", "群众反映桥下一名老人被人强迫乞讨"))
            .await
            .unwrap()
            .into_inner()
            .report
            .unwrap();
        assert_eq!(tip.case_id, "");
        assert_eq!(tip.division, "211102");
        let tip_subject = format!("abuse-report/{}", tip.report_id);
        let sz = about(&kit, &sz_police(), "ABUSE_SUSPECTED", &tip_subject).await;
        assert_eq!(sz.len(), 1);
        assert_eq!(
            tip.notification_ids,
            std::slice::from_ref(&sz[0].notification_id)
        );

        // In the city's own division: the city police bureau (not its specialised units).
        let city_tip = kit
            .intake(&city_hotline())
            .await
            .report_abuse_suspicion(abuse(
                "",
                "211100",
                "志愿者反映车站附近有未成年人被控制乞讨",
            ))
            .await
            .unwrap()
            .into_inner()
            .report
            .unwrap();
        assert_eq!(city_tip.notification_ids.len(), 1);
        let city_subject = format!("abuse-report/{}", city_tip.report_id);
        assert_eq!(
            about(&kit, &city_police(), "ABUSE_SUSPECTED", &city_subject)
                .await
                .len(),
            1
        );
        let forensics = unit(CallerKind::Police, "211100", "city-police-forensics");
        assert!(
            about(&kit, &forensics, "ABUSE_SUSPECTED", &city_subject)
                .await
                .is_empty()
        );

        // Civil affairs about a case in its division.
        kit.intake(&xlt_civil_affairs())
            .await
            .report_abuse_suspicion(abuse(&case.case_id, "211103", "回访发现监护人有虐待迹象"))
            .await
            .unwrap();

        // Stored with the reporter; the events carry neither the description nor the names.
        let events = kit.events::<pb::AbuseSuspected>().await;
        assert_eq!(events.len(), 4);
        assert_eq!(events[0].report_id, report.report_id);
        assert_eq!(events[0].case_id, case.case_id);
        assert_eq!(events[0].division, "211103");
        assert_eq!(events[0].reported_by, report.reported_by);
        assert_eq!(events[1].case_id, "");
        assert_eq!(events[1].division, "211102");
        let stored: (String, String, String, String) = with_db!(&kit.db, |pool| {
            sqlx::query_as(
                "SELECT description, reported_by_kind, reported_by_division, reported_by_unit \
             FROM abuse_reports WHERE id = $1",
            )
            .bind(&tip.report_id)
            .fetch_one(pool)
            .await
        })
        .unwrap();
        assert_eq!(
            stored,
            (
                "群众反映桥下一名老人被人强迫乞讨".to_owned(),
                "relay".to_owned(),
                "211100".to_owned(),
                "city-12345-hotline".to_owned()
            )
        );
        for text in [ABUSE_TEXT, "强迫乞讨", "控制乞讨", "虐待迹象"] {
            let needle = text.as_bytes();
            assert!(
                kit.raw_events()
                    .await
                    .iter()
                    .all(|payload| !payload.windows(needle.len()).any(|w| w == needle)),
                "{text}"
            );
        }

        // The county police acknowledge the relayed tip; the other county unit stays silent. After
        // 25 hours its silence reaches the city police bureau and the city civil-affairs bureau.
        acknowledge(&kit, &sz_police(), &sz[0].notification_id).await;
        kit.cluster.clock.advance(Duration::hours(25)).unwrap();
        wait_until("the acknowledgement deadlines fire", || async {
            pending_ack_deadlines(&kit).await == 0
        })
        .await;
        let escalated = |list: Vec<Notification>, of: &str| {
            list.into_iter()
                .filter(|n| n.kind == "NOTIFICATION_UNACKNOWLEDGED" && n.escalation_of == of)
                .count()
        };
        for who in [city_police(), city_civil_affairs()] {
            let list = notifications_of(&kit, &who).await;
            assert_eq!(
                escalated(list.clone(), &police[0].notification_id),
                1,
                "{who}"
            );
            assert_eq!(escalated(list, &sz[0].notification_id), 0, "{who}");
        }
        kit.stop().await;
    }
);

cluster_tests!(reporting_abuse_is_refused_outside_the_rules, |kit| {
    let now = kit.now();
    let case = kit
        .admit(
            &xlt_station(),
            admission(pb::Person::default(), now - Duration::days(1)),
        )
        .await;

    // Kinds the RPC does not list.
    for who in [
        xlt_government(),
        unit(CallerKind::Patrol, "211103", "xlt-urban-management"),
        unit(CallerKind::Grid, "211100", "city-grid-center"),
        identity_service(),
    ] {
        let status = kit
            .intake(&who)
            .await
            .report_abuse_suspicion(abuse("", "211103", ABUSE_TEXT))
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::PermissionDenied, "{who}");
    }

    // A case the caller cannot see as GetCase: not found, whatever the kind.
    for who in [
        sz_station(),
        sz_civil_affairs(),
        city_central_hospital(),
        foster(),
        city_hotline(),
        xlt_police(),
    ] {
        let status = kit
            .intake(&who)
            .await
            .report_abuse_suspicion(abuse(&case.case_id, "", ABUSE_TEXT))
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::NotFound, "{who}");
    }
    let status = kit
        .intake(&xlt_station())
        .await
        .report_abuse_suspicion(abuse("no-such-case", "", ABUSE_TEXT))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);

    // Without a case a six-digit division is required; the description always, at most 2000.
    let mut hotline_client = kit.intake(&city_hotline()).await;
    let status = hotline_client
        .report_abuse_suspicion(abuse("", "", "  "))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    let mut bad = fields(&status);
    bad.sort_unstable();
    assert_eq!(bad, ["description", "division"]);
    let status = hotline_client
        .report_abuse_suspicion(abuse("", "2111", &"打".repeat(2001)))
        .await
        .unwrap_err();
    let mut bad = fields(&status);
    bad.sort_unstable();
    assert_eq!(bad, ["description", "division"]);
    // With a case, another division than the case's is refused.
    let status = kit
        .intake(&xlt_station())
        .await
        .report_abuse_suspicion(abuse(&case.case_id, "211102", ABUSE_TEXT))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(fields(&status), ["division"]);
    assert_eq!(kit.count("SELECT COUNT(*) FROM abuse_reports").await, 0);

    // Hospitals, foster institutions and police report without a case.
    for who in [city_central_hospital(), foster(), xlt_police()] {
        kit.intake(&who)
            .await
            .report_abuse_suspicion(abuse("", "211103", &"打".repeat(2000)))
            .await
            .unwrap();
    }
    assert_eq!(kit.count("SELECT COUNT(*) FROM abuse_reports").await, 3);
    assert_eq!(
        notifications_of(&kit, &xlt_police())
            .await
            .iter()
            .filter(|n| n.kind == "ABUSE_SUSPECTED")
            .count(),
        3
    );
    kit.stop().await;
});
