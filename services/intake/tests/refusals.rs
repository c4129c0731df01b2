//! A refusal of relief (不予救助) is recorded with its reason by the station, once per request
//! id, reaches the event feed without the reason's text, and is refused to other caller kinds
//! and without a reason. On SQLite and PostgreSQL.

#![allow(clippy::unwrap_used, reason = "test helpers: a panic is a failed test")]

use prost::Message;
use relief_proto::events::v1::SubscribeRequest;
use relief_proto::events::v1::event_feed_service_client::EventFeedServiceClient;
use relief_proto::intake::v1 as pb;
use relief_proto::intake::v1::intake_service_client::IntakeServiceClient;
use relief_runtime::{Caller, CallerKind};
use relief_testkit::{Cluster, TestBackend};
use tonic::Code;
use tonic_types::StatusExt;

const REASON: &str = "本人有固定住所和生活来源，不属于救助对象";

async fn refusal_is_recorded_once_and_fed(backend: TestBackend) {
    let Some(cluster) = Cluster::builder().backend(backend).start().await else {
        return;
    };
    let station = Caller::new(CallerKind::Station, "211103", "xlt-station").unwrap();
    let mut client = IntakeServiceClient::new(cluster.channel("intake", &station).await);
    let request = pb::RecordReliefRefusalRequest {
        request_id: uuid::Uuid::new_v4().to_string(),
        decided_at: Some(relief_runtime::time::timestamp(cluster.clock.now())),
        reason: REASON.to_owned(),
        referral: pb::Referral::WalkIn as i32,
        referral_encounter_id: String::new(),
        flags: Some(pb::VulnerableFlags::default()),
    };
    let refusal = client
        .record_relief_refusal(request.clone())
        .await
        .unwrap()
        .into_inner()
        .refusal
        .unwrap();
    assert_eq!(
        (refusal.station.as_str(), refusal.division.as_str()),
        ("xlt-station", "211103")
    );
    assert_eq!(refusal.reason, REASON);
    let retry = client
        .record_relief_refusal(request.clone())
        .await
        .unwrap()
        .into_inner()
        .refusal
        .unwrap();
    assert_eq!(
        retry.refusal_id, refusal.refusal_id,
        "a retry records nothing new"
    );

    // Without a reason: INVALID_ARGUMENT naming it. Another kind: PERMISSION_DENIED.
    let no_reason = pb::RecordReliefRefusalRequest {
        request_id: uuid::Uuid::new_v4().to_string(),
        reason: " ".to_owned(),
        ..request.clone()
    };
    let status = client.record_relief_refusal(no_reason).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(
        status
            .get_error_details()
            .bad_request()
            .unwrap()
            .field_violations[0]
            .field,
        "reason"
    );
    let police = Caller::new(CallerKind::Police, "211103", "xlt-police").unwrap();
    let status = IntakeServiceClient::new(cluster.channel("intake", &police).await)
        .record_relief_refusal(request)
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);

    // The feed carries exactly one ReliefRefused for it, without the reason's text.
    let service = relief_runtime::pki::service_caller("reporting");
    let mut feed = EventFeedServiceClient::new(cluster.channel("intake", &service).await)
        .subscribe(SubscribeRequest { after_seq: 0 })
        .await
        .unwrap()
        .into_inner();
    // Read until the refusal's event arrives (ceiling 60 s), then drain what is already there
    // to make sure there is no second one.
    let mut refused = Vec::new();
    let mut wait = std::time::Duration::from_secs(60);
    while let Some(response) = tokio::time::timeout(wait, feed.message())
        .await
        .ok()
        .and_then(Result::ok)
        .flatten()
    {
        let payload = response.envelope.unwrap().payload.unwrap();
        assert!(
            !String::from_utf8_lossy(&payload.value).contains(REASON),
            "the reason reached an event"
        );
        if payload.type_url.ends_with("relief.intake.v1.ReliefRefused") {
            refused.push(pb::ReliefRefused::decode(payload.value.as_slice()).unwrap());
            wait = std::time::Duration::from_secs(2);
        }
    }
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0].refusal_id, refusal.refusal_id);
    cluster.stop().await.unwrap();
}

mod a_refusal_of_relief_is_recorded_once_and_fed {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::refusal_is_recorded_once_and_fed(relief_testkit::TestBackend::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::refusal_is_recorded_once_and_fed(relief_testkit::TestBackend::Postgres).await;
    }
}
