//! Graceful shutdown on SIGTERM: the server stops taking new work, reports NOT_SERVING, lets the
//! call in flight finish, and returns cleanly.
//!
//! The test sends SIGTERM to its own process, so it is alone in this test binary: the runtime's
//! signal handler is installed before the signal is sent (the in-flight call proves the server
//! is already waiting on it), so the process is not killed.

#![allow(clippy::unwrap_used, reason = "test helpers: a panic is a failed test")]

mod common;

use common::proto::HoldRequest;
use common::proto::test_service_client::TestServiceClient;
use relief_runtime::{CallerKind, client};
use relief_testkit::{TestPki, wait_until};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_drains_the_call_in_flight_and_stops_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let pki = TestPki::new();
    let server = common::start(
        common::config(dir.path(), &pki),
        relief_runtime::shutdown::signal(),
    )
    .await;
    let material = pki.client_for(CallerKind::Station, "211100", "city-station");
    let channel = client::connect(&server.url(), Some((&material, "testsvc")))
        .await
        .unwrap();
    let in_flight = tokio::spawn({
        let mut client = TestServiceClient::new(channel);
        async move { client.hold(HoldRequest {}).await }
    });
    let _arrived = server.gate.arrived.acquire().await.unwrap();

    let pid = std::process::id().to_string();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(killed.success());

    // Shutdown has begun once a new client can no longer get SERVING.
    wait_until("the server to stop serving new callers", || {
        let url = server.url();
        let material = material.clone();
        async move {
            let Ok(channel) = client::connect(&url, Some((&material, "testsvc"))).await else {
                return true;
            };
            !HealthClient::new(channel)
                .check(HealthCheckRequest::default())
                .await
                .is_ok_and(|r| r.into_inner().status() == ServingStatus::Serving)
        }
    })
    .await;
    assert!(
        !in_flight.is_finished(),
        "the held call ended before it was released"
    );

    server.gate.release.notify_one();
    let answer = in_flight.await.unwrap().unwrap().into_inner();
    assert_eq!(answer.outcome, "released");
    server.task.await.unwrap().unwrap();
}
