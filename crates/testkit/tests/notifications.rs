//! Notifications: a unit lists only its own; an unacknowledged notification escalates once to
//! the escalation units, and an acknowledged one does not; every step is an event. Time moves
//! through the dev clock.

#![allow(clippy::unwrap_used, reason = "test helpers: a panic is a failed test")]

mod common;

use common::proto::NotifyRequest;
use common::{Start, TestServer, count, station};
use relief_proto::notifications::v1::notification_service_client::NotificationServiceClient;
use relief_proto::notifications::v1::{
    AcknowledgeNotificationRequest, ListNotificationsRequest, Notification,
};
use relief_runtime::{Caller, CallerKind, Clock};
use relief_testkit::{TestDatabase, TestPki, backend_tests, wait_until};
use tonic::Code;

fn unit(kind: CallerKind, division: &str, id: &str) -> Caller {
    Caller::new(kind, division, id).unwrap()
}

async fn list(server: &TestServer, pki: &TestPki, who: &Caller) -> Vec<Notification> {
    let mut client = NotificationServiceClient::new(server.channel(pki, who).await);
    let mut all = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = client
            .list_notifications(ListNotificationsRequest {
                page_size: 1,
                page_token: page_token.clone(),
                unacknowledged_only: false,
            })
            .await
            .unwrap()
            .into_inner();
        all.extend(page.notifications);
        if page.next_page_token.is_empty() {
            return all;
        }
        page_token = page.next_page_token;
    }
}

async fn acknowledge(
    server: &TestServer,
    pki: &TestPki,
    who: &Caller,
    id: &str,
) -> Result<Notification, tonic::Status> {
    NotificationServiceClient::new(server.channel(pki, who).await)
        .acknowledge_notification(AcknowledgeNotificationRequest {
            request_id: uuid::Uuid::new_v4().to_string(),
            notification_id: id.to_owned(),
        })
        .await
        .map(|r| r.into_inner().notification.unwrap())
}

backend_tests!(
    an_unacknowledged_notification_escalates_once,
    |db: TestDatabase| async move {
        let dir = tempfile::tempdir().unwrap();
        let pki = TestPki::new();
        let clock = Clock::dev(None, None).unwrap();
        let mut config = common::config(dir.path(), &pki);
        config.database_url = Some(db.url().clone());
        let server = common::start_with(Start {
            name: "testsvc",
            config,
            clock: clock.clone(),
            listen: None,
            handlers: Vec::new(),
        })
        .await;
        let county = unit(CallerKind::CivilAffairs, "211103", "xlt-civil-affairs");
        let government = unit(CallerKind::Government, "211103", "xlt-government");
        let city = unit(CallerKind::CivilAffairs, "211100", "city-civil-affairs");
        let stranger = unit(CallerKind::CivilAffairs, "211102", "sz-civil-affairs");

        let mut client = server.client(&pki, &station()).await;
        let issued = client
            .notify(NotifyRequest {
                recipients: vec![
                    "civil-affairs/211103/xlt-civil-affairs".into(),
                    "government/211103/xlt-government".into(),
                ],
                escalate_to: vec!["civil-affairs/211100/city-civil-affairs".into()],
                acknowledge_within_seconds: 24 * 3600,
                subject: "case/test-1".into(),
            })
            .await
            .unwrap()
            .into_inner()
            .notification_ids;
        let [to_county, to_government] = issued.as_slice() else {
            panic!("one notification per recipient: {issued:?}");
        };

        // Each unit sees its own, nobody else's.
        let mine = list(&server, &pki, &county).await;
        assert_eq!(mine.len(), 1);
        assert_eq!(&mine[0].notification_id, to_county);
        assert!(list(&server, &pki, &stranger).await.is_empty());
        let status = acknowledge(&server, &pki, &stranger, to_county)
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::NotFound);

        // The government acknowledges in time; the county does not.
        let acknowledged = acknowledge(&server, &pki, &government, to_government)
            .await
            .unwrap();
        assert!(acknowledged.acknowledged_at.is_some());
        clock.advance(chrono::Duration::hours(25)).unwrap();
        wait_until("the escalation to reach the city", || async {
            !list(&server, &pki, &city).await.is_empty()
        })
        .await;
        let escalations = list(&server, &pki, &city).await;
        assert_eq!(
            escalations.len(),
            1,
            "only the unacknowledged one escalates"
        );
        assert_eq!(&escalations[0].escalation_of, to_county);
        assert!(list(&server, &pki, &county).await[0].escalated_at.is_some());

        // Much later: nothing escalates again, and the escalation itself does not escalate.
        clock.advance(chrono::Duration::days(5)).unwrap();
        common::count(&server.db, "SELECT COUNT(*) FROM notifications").await;
        wait_until("every due deadline to be handled", || async {
            count(
                &server.db,
                "SELECT COUNT(*) FROM deadlines WHERE state = 'pending'",
            )
            .await
                == 0
        })
        .await;
        assert_eq!(list(&server, &pki, &city).await.len(), 1);
        assert_eq!(
            count(
                &server.db,
                "SELECT COUNT(*) FROM outbox WHERE type_url LIKE '%NotificationIssued'"
            )
            .await,
            3
        );
        assert_eq!(
            count(
                &server.db,
                "SELECT COUNT(*) FROM outbox WHERE type_url LIKE '%NotificationAcknowledged'"
            )
            .await,
            1
        );
        assert_eq!(
            count(
                &server.db,
                "SELECT COUNT(*) FROM outbox WHERE type_url LIKE '%NotificationEscalated'"
            )
            .await,
            1
        );
        server.stop().await;
    }
);
