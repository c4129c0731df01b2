//! The head of a feed, through the real bootstrap on SQLite and PostgreSQL: a test service named
//! "intake" writes events, and a service context named "reporting" asks for intake's head the
//! way a consumer connects to its source. Empty, the head is 0 with no time; after events it is
//! the last event's sequence number and time; a caller kind the feed refuses is refused here
//! too; a source that is down is UNAVAILABLE.

#![allow(clippy::unwrap_used, reason = "test helpers: a panic is a failed test")]

mod common;

use common::proto::EmitRequest;
use common::{Start, TestServer, station};
use relief_proto::events::v1::event_feed_service_client::EventFeedServiceClient;
use relief_proto::events::v1::{GetFeedHeadRequest, SubscribeRequest};
use relief_runtime::events::{FeedHead, feed_head};
use relief_runtime::{ApiError, Clock, ServiceContext};
use relief_testkit::fixtures::instant;
use relief_testkit::{TestDatabase, TestPki, backend_tests};
use tonic::Code;

/// The test service as "intake", on `db`, with the time of `clock`.
async fn producer(
    dir: &std::path::Path,
    pki: &TestPki,
    db: &TestDatabase,
    clock: Clock,
) -> TestServer {
    let mut config = common::config_named(dir, pki, "intake");
    config.database_url = Some(db.url().clone());
    common::start_with(Start {
        name: "intake",
        config,
        clock,
        listen: None,
        handlers: Vec::new(),
    })
    .await
}

/// The context of a service named "reporting" whose peer "intake" is at `intake_url`.
async fn reporting(dir: &std::path::Path, pki: &TestPki, intake_url: String) -> ServiceContext {
    let mut config = common::config_named(dir, pki, "reporting");
    config.peers.intake = intake_url;
    ServiceContext::open(common::spec("reporting"), config, Clock::system())
        .await
        .unwrap()
}

async fn emit(producer: &TestServer, pki: &TestPki, label: &str, count: i64) {
    producer
        .client(pki, &station())
        .await
        .emit(EmitRequest {
            label: label.to_owned(),
            count,
        })
        .await
        .unwrap();
}

backend_tests!(
    the_head_is_zero_when_empty_then_the_last_event,
    |db: TestDatabase| async move {
        let dir = tempfile::tempdir().unwrap();
        let pki = TestPki::new();
        let clock = Clock::dev(Some(instant("2026-03-02T09:00:00+08:00")), None).unwrap();
        let intake = producer(dir.path(), &pki, &db, clock.clone()).await;
        let context = reporting(dir.path(), &pki, intake.url()).await;

        assert_eq!(
            feed_head(&context, "intake").await.unwrap(),
            FeedHead {
                last_seq: 0,
                last_occurred_at: None
            }
        );

        emit(&intake, &pki, "morning", 3).await;
        clock.advance(chrono::Duration::hours(5)).unwrap();
        emit(&intake, &pki, "afternoon", 2).await;
        let events = relief_runtime::events::outbox::read_after(&intake.db, 0, 100)
            .await
            .unwrap();
        assert_eq!(events.len(), 5);
        let last = events.last().unwrap();
        let head = feed_head(&context, "intake").await.unwrap();
        assert_eq!(
            head,
            FeedHead {
                last_seq: last.seq,
                last_occurred_at: Some(last.occurred_at),
            }
        );
        // The afternoon's time, not the morning's: the head is the newest event.
        assert!(head.last_occurred_at.unwrap() >= instant("2026-03-02T14:00:00+08:00"));
        assert!(events[2].occurred_at < instant("2026-03-02T14:00:00+08:00"));
        context.db.close().await;
        intake.stop().await;
    }
);

backend_tests!(
    a_caller_the_feed_refuses_is_refused_the_head,
    |db: TestDatabase| async move {
        let dir = tempfile::tempdir().unwrap();
        let pki = TestPki::new();
        let intake = producer(dir.path(), &pki, &db, Clock::system()).await;
        emit(&intake, &pki, "secret", 1).await;

        // A station may call the test service, but not the feed: neither method.
        let mut feed = EventFeedServiceClient::new(intake.channel(&pki, &station()).await);
        let refused = feed.get_feed_head(GetFeedHeadRequest {}).await.unwrap_err();
        assert_eq!(refused.code(), Code::PermissionDenied);
        let refused = feed
            .subscribe(SubscribeRequest { after_seq: 0 })
            .await
            .unwrap_err();
        assert_eq!(refused.code(), Code::PermissionDenied);

        // Another service may.
        let service = relief_runtime::pki::service_caller("reporting");
        let head = EventFeedServiceClient::new(intake.channel(&pki, &service).await)
            .get_feed_head(GetFeedHeadRequest {})
            .await
            .unwrap()
            .into_inner();
        assert_eq!(head.last_seq, 1);
        assert!(head.last_occurred_at.is_some());
        intake.stop().await;
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_source_that_is_down_is_unavailable() {
    let dir = tempfile::tempdir().unwrap();
    let pki = TestPki::new();
    // Nothing listens on port 1.
    let context = reporting(dir.path(), &pki, "https://127.0.0.1:1".to_owned()).await;
    let error = feed_head(&context, "intake").await.unwrap_err();
    assert!(
        matches!(
            error,
            ApiError::Unavailable {
                reason: "PEER_UNAVAILABLE",
                ..
            }
        ),
        "{error:?}"
    );
    context.db.close().await;
}
