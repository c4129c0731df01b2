//! Incidents in an institution (走失, 伤, 亡) through the real cluster: the institution holding
//! the resident (or the sending station) reports at once; the sending station, the county
//! civil-affairs bureau, the county government and the city civil-affairs bureau each get a
//! notification to acknowledge within 24 hours, and every one left unacknowledged escalates to
//! the city bureau once. The description is listed to those who see the placement and never
//! put in an event or a notification. Another institution, or an ended placement, cannot be
//! reported on.

#![allow(clippy::unwrap_used, reason = "test code: a panic is a failed test")]

#[macro_use]
#[path = "common/kit.rs"]
mod kit;

use chrono::Duration;
use kit::*;
use relief_proto::foster::v1 as pb;
use relief_proto::notifications::v1 as notifications;
use relief_proto::notifications::v1::notification_service_client::NotificationServiceClient;
use relief_runtime::time::timestamp;
use relief_runtime::{Caller, with_db};
use relief_testkit::wait_until;
use tonic::Code;

const DESCRIPTION: &str = "夜间如厕时摔倒，左腕骨折，已送盘锦市中心医院";

fn incident(
    placement_id: &str,
    kind: pb::IncidentKind,
    at: chrono::DateTime<chrono::Utc>,
) -> pb::ReportFosterIncidentRequest {
    pb::ReportFosterIncidentRequest {
        request_id: request_id(),
        placement_id: placement_id.to_owned(),
        kind: kind as i32,
        occurred_at: Some(timestamp(at)),
        description: DESCRIPTION.to_owned(),
    }
}

async fn report(
    kit: &kit::Kit,
    who: &Caller,
    request: pb::ReportFosterIncidentRequest,
) -> Result<pb::Incident, tonic::Status> {
    kit.foster(who)
        .await
        .report_foster_incident(request)
        .await
        .map(|r| r.into_inner().incident.unwrap())
}

/// The incidents `who` lists with `request`.
async fn listed(
    kit: &kit::Kit,
    who: &Caller,
    request: pb::ListFosterIncidentsRequest,
) -> Vec<pb::Incident> {
    kit.foster(who)
        .await
        .list_foster_incidents(request)
        .await
        .unwrap()
        .into_inner()
        .incidents
}

/// `who`'s notifications of `kind` about `subject`.
async fn about(
    kit: &kit::Kit,
    who: &Caller,
    kind: &str,
    subject: &str,
) -> Vec<notifications::Notification> {
    kit.notifications(who, kind)
        .await
        .into_iter()
        .filter(|n| n.subject == subject)
        .collect()
}

async fn acknowledge(kit: &kit::Kit, who: &Caller, notification_id: &str) {
    NotificationServiceClient::new(kit.cluster.channel("foster", who).await)
        .acknowledge_notification(notifications::AcknowledgeNotificationRequest {
            request_id: request_id(),
            notification_id: notification_id.to_owned(),
        })
        .await
        .unwrap();
}

async fn count(kit: &kit::Kit, sql: &'static str) -> i64 {
    with_db!(&kit.db, |pool| sqlx::query_scalar::<_, i64>(sql)
        .fetch_one(pool)
        .await)
    .unwrap()
}

/// Every payload in foster's outbox.
async fn raw_events(kit: &kit::Kit) -> Vec<Vec<u8>> {
    relief_runtime::events::outbox::read_after(&kit.db, 0, 100_000)
        .await
        .unwrap()
        .into_iter()
        .map(|event| event.payload)
        .collect()
}

/// A government-run home in 兴隆台区 with an agreement with the 兴隆台区 station, and one
/// resident placed there; returns (institution, placement).
async fn placed(kit: &kit::Kit) -> (String, pb::Placement) {
    let home = kit
        .institution(
            "盘锦市兴隆台区社会福利院",
            pb::InstitutionKind::SocialWelfare,
            true,
            100,
            false,
        )
        .await;
    kit.sign(&xlt_station(), &home, ("2026-03-01", "2027-02-28"), 10, 500)
        .await
        .unwrap();
    let placement = kit
        .place_resident(
            &xlt_station(),
            &xlt_civil_affairs(),
            &home,
            pb::SelfCare::Partial,
            adult(),
        )
        .await;
    (home, placement)
}

cluster_tests!(
    an_incident_notifies_each_unit_and_escalates_the_silent_ones_to_the_city_bureau,
    start = kit::at("2026-03-10T10:00:00+08:00"),
    |kit| {
        let (home, placement) = placed(&kit).await;
        kit.set_clock(instant_at("2026-03-10T13:00:00+08:00"));
        let now = kit.cluster.clock.now();
        let request = incident(
            &placement.placement_id,
            pb::IncidentKind::Injury,
            now - Duration::hours(1),
        );
        let reported = report(&kit, &institution_caller(&home), request.clone())
            .await
            .unwrap();
        assert_eq!(reported.placement_id, placement.placement_id);
        assert_eq!(reported.institution_id, home);
        assert_eq!(reported.division, "211103");
        assert_eq!(reported.station, "xlt-station");
        assert_eq!(reported.kind, pb::IncidentKind::Injury as i32);
        assert_eq!(reported.description, DESCRIPTION);
        assert_eq!(reported.reported_by, home);
        assert_eq!(reported.notification_ids.len(), 4);
        let subject = format!("incident/{}", reported.incident_id);

        // One notification each, due in 24 hours, without the description.
        let recipients = [
            xlt_station(),
            xlt_civil_affairs(),
            xlt_government(),
            city_civil_affairs(),
        ];
        let mut ids = Vec::new();
        for who in &recipients {
            let mine = about(&kit, who, "INCIDENT_REPORTED", &subject).await;
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
            assert!(
                !notification.summary.contains("摔倒"),
                "{}",
                notification.summary
            );
            ids.push(notification.notification_id.clone());
        }
        for who in [
            sz_civil_affairs(),
            sz_government(),
            city_government(),
            sz_station(),
            institution_caller(&home),
        ] {
            assert!(
                about(&kit, &who, "INCIDENT_REPORTED", &subject)
                    .await
                    .is_empty(),
                "{who}"
            );
        }

        // A retry answers the same; one event, with no description anywhere in the outbox.
        assert_eq!(
            report(&kit, &institution_caller(&home), request)
                .await
                .unwrap(),
            reported
        );
        let events = kit.events::<pb::IncidentReported>().await;
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].incident_id, reported.incident_id);
        assert_eq!(events[0].placement_id, placement.placement_id);
        assert_eq!(events[0].institution_id, home);
        assert_eq!(events[0].division, "211103");
        assert_eq!(events[0].kind, pb::IncidentKind::Injury as i32);
        assert_eq!(events[0].occurred_at, reported.occurred_at);
        assert_eq!(events[0].reported_at, reported.reported_at);
        let words = "左腕骨折".as_bytes();
        assert!(
            raw_events(&kit)
                .await
                .iter()
                .all(|payload| !payload.windows(words.len()).any(|w| w == words))
        );

        // Listed with the description to those who see the placement.
        for who in [
            institution_caller(&home),
            xlt_station(),
            xlt_civil_affairs(),
            xlt_government(),
            city_civil_affairs(),
            city_government(),
        ] {
            assert_eq!(
                listed(&kit, &who, Default::default()).await,
                std::slice::from_ref(&reported),
                "{who}"
            );
        }
        let other = institution_caller("01936f0e-0000-7000-8000-000000000000");
        for who in [sz_civil_affairs(), sz_station(), sz_government(), other] {
            assert!(
                listed(&kit, &who, Default::default()).await.is_empty(),
                "{who}"
            );
        }
        let only = |placement_id: &str, institution_id: &str| pb::ListFosterIncidentsRequest {
            placement_id: placement_id.to_owned(),
            institution_id: institution_id.to_owned(),
            ..Default::default()
        };
        assert_eq!(
            listed(
                &kit,
                &city_civil_affairs(),
                only(&placement.placement_id, &home)
            )
            .await
            .len(),
            1
        );
        assert!(
            listed(&kit, &city_civil_affairs(), only("nope", ""))
                .await
                .is_empty()
        );

        // The county government acknowledges; after 24 hours the city bureau hears of the
        // station's and the county bureau's silence, once each (not of its own).
        let [station_id, bureau_id, government_id, city_id] = ids.as_slice() else {
            panic!("four recipients");
        };
        acknowledge(&kit, &xlt_government(), government_id).await;
        kit.set_clock(now + Duration::hours(25));
        wait_until("the acknowledgement deadlines fire", || async {
            count(
                &kit,
                "SELECT COUNT(*) FROM deadlines WHERE kind = 'notification.ack' \
                 AND state = 'pending'",
            )
            .await
                == 0
        })
        .await;
        let escalations = || async {
            let mut of: Vec<String> = about(
                &kit,
                &city_civil_affairs(),
                "NOTIFICATION_UNACKNOWLEDGED",
                &subject,
            )
            .await
            .into_iter()
            .map(|n| n.escalation_of)
            .collect();
            of.sort();
            of
        };
        let mut expected = vec![station_id.clone(), bureau_id.clone()];
        expected.sort();
        assert_eq!(escalations().await, expected);
        assert!(!expected.contains(government_id) && !expected.contains(city_id));
        for who in [xlt_station(), xlt_civil_affairs(), xlt_government()] {
            assert!(
                kit.notifications(&who, "NOTIFICATION_UNACKNOWLEDGED")
                    .await
                    .is_empty(),
                "{who}"
            );
        }
        // Escalations do not escalate again.
        kit.set_clock(now + Duration::hours(60));
        assert_eq!(escalations().await, expected);
        kit.stop().await;
    }
);

cluster_tests!(
    only_the_holding_institution_and_the_sending_station_report_an_active_placement,
    start = kit::at("2026-03-10T10:00:00+08:00"),
    |kit| {
        let (home, placement) = placed(&kit).await;
        let other = kit
            .institution(
                "兴隆台区颐养院",
                pb::InstitutionKind::ElderlyCare,
                false,
                60,
                false,
            )
            .await;
        let now = kit.cluster.clock.now();
        let id = placement.placement_id.clone();

        // Not this institution's resident, not this station's: NOT_FOUND.
        for who in [institution_caller(&other), sz_station(), city_station()] {
            let error = report(&kit, &who, incident(&id, pb::IncidentKind::Missing, now))
                .await
                .unwrap_err();
            assert_eq!(error.code(), Code::NotFound, "{who}");
        }
        let error = report(
            &kit,
            &institution_caller(&home),
            incident(
                "01936f0e-0000-7000-8000-000000000000",
                pb::IncidentKind::Missing,
                now,
            ),
        )
        .await
        .unwrap_err();
        assert_eq!(error.code(), Code::NotFound);
        // Malformed: every field at once.
        let mut bad = incident(&id, pb::IncidentKind::Unspecified, now + Duration::hours(1));
        bad.description = "字".repeat(2001);
        let error = report(&kit, &institution_caller(&home), bad)
            .await
            .unwrap_err();
        assert_eq!(error.code(), Code::InvalidArgument);
        assert_eq!(fields(&error), ["kind", "occurred_at", "description"]);
        let error = report(
            &kit,
            &institution_caller(&home),
            incident(&id, pb::IncidentKind::Missing, now - Duration::days(30)),
        )
        .await
        .unwrap_err();
        assert_eq!(fields(&error), ["occurred_at"]);
        assert_eq!(count(&kit, "SELECT COUNT(*) FROM incidents").await, 0);

        // The sending station reports: the others are told, not the station itself.
        let by_station = report(
            &kit,
            &xlt_station(),
            incident(&id, pb::IncidentKind::Missing, now),
        )
        .await
        .unwrap();
        assert_eq!(by_station.notification_ids.len(), 3);
        assert_eq!(by_station.reported_by, "xlt-station");
        let subject = format!("incident/{}", by_station.incident_id);
        assert!(
            about(&kit, &xlt_station(), "INCIDENT_REPORTED", &subject)
                .await
                .is_empty()
        );

        // After the placement ended: PLACEMENT_NOT_ACTIVE, nothing stored.
        kit.foster(&xlt_station())
            .await
            .end_placement(pb::EndPlacementRequest {
                request_id: request_id(),
                placement_id: id.clone(),
                kind: pb::PlacementEndKind::BackToStation as i32,
                ..Default::default()
            })
            .await
            .unwrap();
        // An incident after the end (one before it may still be reported: incident_after_end.rs).
        let after_end = kit.cluster.clock.now() + Duration::minutes(1);
        kit.set_clock(after_end);
        for who in [institution_caller(&home), xlt_station()] {
            let error = report(
                &kit,
                &who,
                incident(&id, pb::IncidentKind::Death, after_end),
            )
            .await
            .unwrap_err();
            assert_eq!(error.code(), Code::FailedPrecondition, "{who}");
            assert_eq!(reason(&error), "PLACEMENT_NOT_ACTIVE");
        }
        assert_eq!(count(&kit, "SELECT COUNT(*) FROM incidents").await, 1);
        assert_eq!(kit.events::<pb::IncidentReported>().await.len(), 1);
        // Still listed to the institution that held the resident.
        assert_eq!(
            listed(&kit, &institution_caller(&home), Default::default())
                .await
                .len(),
            1
        );
        kit.stop().await;
    }
);
