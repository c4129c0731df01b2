//! Callers through the real server stack: the certificate's identity reaches the handler, the
//! allow-list refuses other kinds before the handler, and the per-caller rate limit holds.

#![allow(clippy::unwrap_used, reason = "test helpers: a panic is a failed test")]

mod common;

use common::proto::test_service_client::TestServiceClient;
use common::proto::{EchoRequest, HoldRequest, WhoAmIRequest};
use relief_runtime::{CallerKind, client};
use relief_testkit::TestPki;
use tonic::Code;
use tonic_types::StatusExt;

async fn client_as(
    server: &common::TestServer,
    pki: &TestPki,
    kind: CallerKind,
    division: &str,
    unit: &str,
) -> TestServiceClient<tonic::transport::Channel> {
    let material = pki.client_for(kind, division, unit);
    let channel = client::connect(&server.url(), Some((&material, "testsvc")))
        .await
        .unwrap();
    TestServiceClient::new(channel)
}

#[tokio::test]
async fn the_callers_kind_division_and_unit_reach_the_handler() {
    let dir = tempfile::tempdir().unwrap();
    let pki = TestPki::new();
    let server = common::start(common::config(dir.path(), &pki), std::future::pending()).await;
    let mut client = client_as(&server, &pki, CallerKind::Police, "211103", "xlt-police").await;
    let me = client
        .who_am_i(WhoAmIRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (me.kind.as_str(), me.division.as_str(), me.unit.as_str()),
        ("police", "211103", "xlt-police")
    );
}

#[tokio::test]
async fn a_kind_outside_the_allow_list_is_permission_denied_before_the_handler() {
    let dir = tempfile::tempdir().unwrap();
    let pki = TestPki::new();
    let server = common::start(common::config(dir.path(), &pki), std::future::pending()).await;
    let mut foster = client_as(&server, &pki, CallerKind::Foster, "211103", "inst-7").await;
    let status = foster.who_am_i(WhoAmIRequest {}).await.unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    assert_eq!(
        status.get_error_details().error_info().unwrap().reason,
        "CALLER_KIND_NOT_ALLOWED"
    );
    // Police may ask who they are, but not call Hold: the handler is never reached (it would
    // block until released), so the refusal comes back at once.
    let mut police = client_as(&server, &pki, CallerKind::Police, "211100", "city-police").await;
    let status = police.hold(HoldRequest {}).await.unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    assert_eq!(
        server.gate.arrived.available_permits(),
        0,
        "the handler ran"
    );
}

#[tokio::test]
async fn one_caller_over_its_rate_is_refused_while_another_is_served() {
    let dir = tempfile::tempdir().unwrap();
    let pki = TestPki::new();
    let mut config = common::config(dir.path(), &pki);
    config.limits.per_caller_requests_per_second = 1;
    config.limits.per_caller_burst = 3;
    let server = common::start(config, std::future::pending()).await;
    let busy = client_as(&server, &pki, CallerKind::Station, "211100", "city-station").await;
    let calls = (0..30).map(|_| {
        let mut busy = busy.clone();
        async move { busy.echo(EchoRequest { payload: vec![] }).await }
    });
    let results = futures::future::join_all(calls).await;
    let exhausted = results
        .iter()
        .filter(|r| {
            r.as_ref()
                .is_err_and(|s| s.code() == Code::ResourceExhausted)
        })
        .count();
    assert!(
        exhausted > 0,
        "30 calls at once with a burst of 3 were all served"
    );
    assert!(
        results.iter().any(Result::is_ok),
        "the burst was not served"
    );

    let mut other = client_as(&server, &pki, CallerKind::Station, "211103", "xlt-station").await;
    other.echo(EchoRequest { payload: vec![] }).await.unwrap();
}

#[tokio::test]
async fn a_message_over_the_size_limit_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let pki = TestPki::new();
    let server = common::start(common::config(dir.path(), &pki), std::future::pending()).await;
    let mut client = client_as(&server, &pki, CallerKind::Station, "211100", "city-station").await;
    let small = client
        .echo(EchoRequest {
            payload: vec![7; 1000],
        })
        .await
        .unwrap();
    assert_eq!(small.into_inner().size, 1000);
    let status = client
        .echo(EchoRequest {
            payload: vec![7; 2 * 1024 * 1024],
        })
        .await
        .unwrap_err();
    assert_ne!(status.code(), Code::Ok);
}
