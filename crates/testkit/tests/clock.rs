//! The admin clock service exists only with a dev clock; it moves time forward only.

#![allow(clippy::unwrap_used, reason = "test helpers: a panic is a failed test")]

mod common;

use common::Start;
use relief_proto::admin::v1::clock_service_client::ClockServiceClient;
use relief_proto::admin::v1::{AdvanceRequest, GetTimeRequest, SetTimeRequest};
use relief_runtime::Clock;
use relief_testkit::TestPki;
use tonic::Code;

async fn clock_client(
    clock: Clock,
) -> (
    ClockServiceClient<tonic::transport::Channel>,
    common::TestServer,
) {
    let dir = tempfile::tempdir().unwrap();
    let pki = TestPki::new();
    let server = common::start_with(Start {
        name: "testsvc",
        config: common::config(dir.path(), &pki),
        clock,
        listen: None,
        handlers: Vec::new(),
    })
    .await;
    let client = ClockServiceClient::new(server.channel(&pki, &common::station()).await);
    std::mem::forget(dir); // the server keeps using it until the test process ends
    (client, server)
}

#[tokio::test]
async fn without_a_dev_clock_there_is_no_clock_service() {
    let (mut client, server) = clock_client(Clock::system()).await;
    let status = client.get_time(GetTimeRequest {}).await.unwrap_err();
    assert_eq!(status.code(), Code::Unimplemented);
    server.stop().await;
}

#[tokio::test]
async fn a_dev_clock_moves_forward_and_refuses_to_go_back() {
    let start = chrono::DateTime::parse_from_rfc3339("2026-01-15T09:00:00+08:00")
        .unwrap()
        .with_timezone(&chrono::Utc);
    let (mut client, server) = clock_client(Clock::dev(Some(start), None).unwrap()).await;
    let now = client
        .get_time(GetTimeRequest {})
        .await
        .unwrap()
        .into_inner()
        .now
        .unwrap();
    assert!(now.seconds >= start.timestamp() && now.seconds < start.timestamp() + 3600);

    let later = client
        .advance(AdvanceRequest {
            duration: Some(prost_types::Duration {
                seconds: 31 * 86_400,
                nanos: 0,
            }),
        })
        .await
        .unwrap()
        .into_inner()
        .now
        .unwrap();
    assert!(later.seconds >= start.timestamp() + 31 * 86_400);

    let back = client
        .set_time(SetTimeRequest {
            time: Some(prost_types::Timestamp {
                seconds: start.timestamp(),
                nanos: 0,
            }),
        })
        .await
        .unwrap_err();
    assert_eq!(back.code(), Code::FailedPrecondition);

    let negative = client
        .advance(AdvanceRequest {
            duration: Some(prost_types::Duration {
                seconds: -60,
                nanos: 0,
            }),
        })
        .await
        .unwrap_err();
    assert_eq!(negative.code(), Code::InvalidArgument);
    server.stop().await;
}
