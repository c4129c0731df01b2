//! One service of the cluster stopped for a while, on SQLite and PostgreSQL: while it is down its
//! port refuses calls and the other services keep serving; started again it serves its data, and
//! the consumers of its feed have reconnected; with its database reset in between it starts on
//! an empty, freshly migrated one.

#![allow(clippy::unwrap_used, reason = "test helpers: a panic is a failed test")]

use relief_proto::intake::v1 as pb;
use relief_proto::intake::v1::intake_service_client::IntakeServiceClient;
use relief_runtime::{Caller, client};
use relief_testkit::fixtures::request_id;
use relief_testkit::fixtures::units::city_grid_center;
use relief_testkit::scene::{start_with_pools, wait_caught_up};
use relief_testkit::{Cluster, TestBackend};
use tonic::Code;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

/// The city civil-affairs bureau: sees every sighting.
fn city_bureau() -> Caller {
    Caller::new(
        relief_runtime::CallerKind::CivilAffairs,
        "211100",
        "city-civil-affairs",
    )
    .unwrap()
}

async fn intake(cluster: &Cluster, who: &Caller) -> IntakeServiceClient<tonic::transport::Channel> {
    IntakeServiceClient::new(cluster.channel("intake", who).await)
}

/// Reports a sighting to intake (which writes it and its event); its id.
async fn report_sighting(cluster: &Cluster) -> String {
    let found_at = cluster.clock.now() - chrono::Duration::minutes(30);
    intake(cluster, &city_grid_center())
        .await
        .report_sighting(pb::ReportSightingRequest {
            request_id: request_id(),
            division: "211103".into(),
            address: "兴隆台区 石油大街 站前广场".into(),
            found_at: Some(relief_runtime::time::timestamp(found_at)),
            description: "男性，约70岁，衣着单薄".into(),
            flags: None,
        })
        .await
        .unwrap()
        .into_inner()
        .sighting
        .unwrap()
        .sighting_id
}

/// The ids of every sighting intake holds.
async fn sighting_ids(cluster: &Cluster) -> Vec<String> {
    intake(cluster, &city_bureau())
        .await
        .list_sightings(pb::ListSightingsRequest {
            page_size: 500,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .sightings
        .into_iter()
        .map(|sighting| sighting.sighting_id)
        .collect()
}

/// Whether `service` answers its health check with SERVING.
async fn serving(cluster: &Cluster, service: &str) -> bool {
    HealthClient::new(cluster.channel(service, &city_bureau()).await)
        .check(HealthCheckRequest::default())
        .await
        .unwrap()
        .into_inner()
        .status()
        == ServingStatus::Serving
}

async fn a_stopped_service_refuses_calls_and_comes_back_with_its_data(backend: TestBackend) {
    let Some((mut cluster, pools)) =
        start_with_pools(backend, None, &["intake", "identity"], |_, _| {}).await
    else {
        return;
    };
    let (intake_db, identity_db) = (&pools[0], &pools[1]);
    let first = report_sighting(&cluster).await;
    wait_caught_up(
        "identity to apply intake's feed",
        identity_db,
        "identity<-intake",
        intake_db,
    )
    .await;

    cluster.stop_service("intake").await;
    // A channel that connects on use: connecting now would fail before any call is made.
    let material = cluster.pki.client(&city_bureau());
    let channel =
        client::connect_lazy(&cluster.url("intake"), Some((&material, "intake"))).unwrap();
    let refused = IntakeServiceClient::new(channel)
        .list_sightings(pb::ListSightingsRequest::default())
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::Unavailable, "{refused:?}");
    assert!(serving(&cluster, "identity").await, "identity kept serving");
    assert!(serving(&cluster, "foster").await, "foster kept serving");

    cluster.start_service("intake").await;
    assert_eq!(sighting_ids(&cluster).await, std::slice::from_ref(&first));
    // identity's consumer lost its stream with the stop; it reconnects and applies what intake
    // writes now.
    let second = report_sighting(&cluster).await;
    wait_caught_up(
        "identity to follow intake again",
        identity_db,
        "identity<-intake",
        intake_db,
    )
    .await;
    let mut ids = sighting_ids(&cluster).await;
    ids.sort();
    let mut expected = vec![first, second];
    expected.sort();
    assert_eq!(ids, expected);
    cluster.stop().await.unwrap();
}

async fn a_reset_database_is_gone_and_the_service_starts_on_an_empty_one(backend: TestBackend) {
    let Some(mut cluster) = Cluster::builder().backend(backend).start().await else {
        return;
    };
    report_sighting(&cluster).await;
    assert_eq!(sighting_ids(&cluster).await.len(), 1);

    cluster.stop_service("intake").await;
    cluster.reset_database("intake").await;
    cluster.start_service("intake").await;
    assert!(serving(&cluster, "intake").await);
    assert!(
        sighting_ids(&cluster).await.is_empty(),
        "the sighting outlived its database"
    );
    // The new database is migrated and takes writes.
    let fresh = report_sighting(&cluster).await;
    assert_eq!(sighting_ids(&cluster).await, [fresh]);
    cluster.stop().await.unwrap();
}

macro_rules! on_both_backends {
    ($($name:ident => $body:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$body(relief_testkit::TestBackend::Sqlite).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    super::$body(relief_testkit::TestBackend::Postgres).await;
                }
            }
        )*
    };
}

on_both_backends! {
    stop_then_start => a_stopped_service_refuses_calls_and_comes_back_with_its_data,
    stop_reset_start => a_reset_database_is_gone_and_the_service_starts_on_an_empty_one,
}
