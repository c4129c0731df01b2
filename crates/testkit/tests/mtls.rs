//! mTLS on the four real services: health and reflection answer a trusted caller; a client
//! without a certificate, or with one from a foreign CA, gets nothing.

#![allow(clippy::unwrap_used, reason = "test helpers: a panic is a failed test")]

use relief_runtime::tls::TlsMaterial;
use relief_runtime::{CallerKind, client};
use relief_testkit::{Cluster, TestBackend, TestPki};
use tokio_stream::StreamExt;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_reflection::pb::v1::ServerReflectionRequest;
use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;

const GRPC_NAMES: [(&str, &str); 4] = [
    ("intake", "relief.intake.v1.IntakeService"),
    ("identity", "relief.identity.v1.IdentityQueryService"),
    ("foster", "relief.foster.v1.FosterSupervisionService"),
    ("reporting", "relief.reporting.v1.ReportingService"),
];

async fn health_and_reflection(backend: TestBackend) {
    let Some(cluster) = Cluster::builder().backend(backend).start().await else {
        return;
    };
    let caller =
        relief_runtime::Caller::new(CallerKind::CivilAffairs, "211100", "city-civil-affairs")
            .unwrap();
    for (service, grpc_name) in GRPC_NAMES {
        let channel = cluster.channel(service, &caller).await;
        let status = HealthClient::new(channel.clone())
            .check(HealthCheckRequest {
                service: grpc_name.to_owned(),
            })
            .await
            .unwrap()
            .into_inner()
            .status();
        assert_eq!(status, ServingStatus::Serving, "{service}");

        let request = ServerReflectionRequest {
            host: String::new(),
            message_request: Some(MessageRequest::ListServices(String::new())),
        };
        let mut stream = ServerReflectionClient::new(channel)
            .server_reflection_info(tokio_stream::iter([request]))
            .await
            .unwrap()
            .into_inner();
        let Some(Ok(response)) = stream.next().await else {
            panic!("{service}: no reflection answer");
        };
        let Some(MessageResponse::ListServicesResponse(list)) = response.message_response else {
            panic!("{service}: unexpected reflection answer");
        };
        let names: Vec<_> = list.service.iter().map(|s| s.name.as_str()).collect();
        assert!(names.contains(&grpc_name), "{service} lists {names:?}");
        assert!(
            names.contains(&"grpc.health.v1.Health"),
            "{service} lists {names:?}"
        );
    }
    cluster.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_four_services_serve_health_and_reflection_on_sqlite() {
    health_and_reflection(TestBackend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_four_services_serve_health_and_reflection_on_postgres() {
    health_and_reflection(TestBackend::Postgres).await;
}

/// Whether a health check over `material` succeeds (connect and call).
async fn health_succeeds(cluster: &Cluster, material: &TlsMaterial) -> bool {
    let Ok(channel) = cluster.channel_with("intake", material).await else {
        return false;
    };
    HealthClient::new(channel)
        .check(HealthCheckRequest::default())
        .await
        .is_ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_or_foreign_client_certificate_gets_nothing() {
    let cluster = Cluster::builder().start().await.unwrap();
    let trusted = cluster
        .pki
        .client_for(CallerKind::Station, "211100", "city-station");
    assert!(
        health_succeeds(&cluster, &trusted).await,
        "the trusted caller must pass"
    );

    let foreign = TestPki::new().client_for(CallerKind::Station, "211100", "city-station");
    // The foreign client trusts our CA (so the server is accepted), but its own certificate is
    // signed by another CA.
    let foreign = TlsMaterial {
        ca_pem: cluster.pki.ca_pem().to_owned(),
        ..foreign
    };
    assert!(
        !health_succeeds(&cluster, &foreign).await,
        "a foreign CA was accepted"
    );

    // No client certificate at all.
    let endpoint = client::endpoint(&cluster.url("intake"), None)
        .unwrap()
        .tls_config(
            tonic::transport::ClientTlsConfig::new()
                .ca_certificate(tonic::transport::Certificate::from_pem(
                    cluster.pki.ca_pem(),
                ))
                .domain_name("intake"),
        )
        .unwrap();
    let answered = match endpoint.connect().await {
        Ok(channel) => HealthClient::new(channel)
            .check(HealthCheckRequest::default())
            .await
            .is_ok(),
        Err(_) => false,
    };
    assert!(!answered, "a client without a certificate was answered");
    cluster.stop().await.unwrap();
}
