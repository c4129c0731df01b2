//! What the scenarios share: a test per backend, a running cluster with pools on the intake,
//! identity and foster databases (for what no RPC shows: outboxes, deadline rows, consumer
//! cursors, the audit log), clients of each service, reading an outbox, instants, and walk-in
//! admissions. The callers are the fixed units of `relief_testkit::fixtures::units`.
//!
//! Include it with `#[macro_use] #[path = "common/mod.rs"] mod common;`.

#![allow(dead_code, reason = "each scenario uses a different part")]

pub mod care;

use chrono::{DateTime, Utc};
use prost::{Message, Name};
use relief_proto::foster::v1::foster_supervision_service_client::FosterSupervisionServiceClient;
use relief_proto::identity::v1::identity_query_service_client::IdentityQueryServiceClient;
use relief_proto::intake::v1 as intake;
use relief_proto::intake::v1::intake_service_client::IntakeServiceClient;
use relief_proto::notifications::v1 as notifications;
use relief_runtime::Caller;
use relief_runtime::db::Db;
use relief_testkit::fixtures::request_id;
use relief_testkit::scene::{forget_feed, start_with_pools, wait_caught_up};
use relief_testkit::{Cluster, TestBackend};
use tonic::transport::Channel;

/// Runs `$scenario(backend)` once on SQLite and once on PostgreSQL, each with a fresh cluster.
macro_rules! on_both_backends {
    ($name:ident, $scenario:path) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                $scenario(relief_testkit::TestBackend::Sqlite).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                $scenario(relief_testkit::TestBackend::Postgres).await;
            }
        }
    };
}

/// A running cluster with pools on the intake, identity and foster databases.
pub struct Scene {
    pub cluster: Cluster,
    pub intake_db: Db,
    pub identity_db: Db,
    pub foster_db: Db,
}

impl Scene {
    /// A cluster on `backend` whose dev clock starts at `start` (now if `None`); `None` only
    /// for PostgreSQL without `RELIEF_TEST_POSTGRES_URL` outside CI.
    pub async fn start(backend: TestBackend, start: Option<DateTime<Utc>>) -> Option<Scene> {
        let (cluster, mut pools) =
            start_with_pools(backend, start, &["intake", "identity", "foster"], |_, _| {}).await?;
        let foster_db = pools.remove(2);
        let identity_db = pools.remove(1);
        let intake_db = pools.remove(0);
        Some(Scene {
            cluster,
            intake_db,
            identity_db,
            foster_db,
        })
    }

    /// The database of `service`.
    pub fn db(&self, service: &str) -> &Db {
        match service {
            "intake" => &self.intake_db,
            "identity" => &self.identity_db,
            "foster" => &self.foster_db,
            other => panic!("no pool on {other}"),
        }
    }

    /// Waits until `consumer` has applied every event `source` wrote so far.
    pub async fn caught_up(&self, consumer: &str, source: &str) {
        let name = format!("{consumer}<-{source}");
        wait_caught_up(
            &format!("{name} catches up"),
            self.db(consumer),
            &name,
            self.db(source),
        )
        .await;
    }

    /// Makes `consumer` forget which events of `source` it applied, and where it was: its next
    /// start applies the whole feed again.
    pub async fn forget_feed(&self, consumer: &str, source: &str) {
        forget_feed(self.db(consumer), &format!("{consumer}<-{source}")).await;
    }

    pub fn set_clock(&self, to: DateTime<Utc>) {
        self.cluster.clock.set(to).unwrap();
    }

    pub async fn intake(&self, who: &Caller) -> IntakeServiceClient<Channel> {
        IntakeServiceClient::new(self.cluster.channel("intake", who).await)
    }

    pub async fn identity(&self, who: &Caller) -> IdentityQueryServiceClient<Channel> {
        IdentityQueryServiceClient::new(self.cluster.channel("identity", who).await)
    }

    pub async fn foster(&self, who: &Caller) -> FosterSupervisionServiceClient<Channel> {
        FosterSupervisionServiceClient::new(self.cluster.channel("foster", who).await)
    }

    /// The notifications of `kind` that `service` addressed to `who`.
    pub async fn notifications(
        &self,
        service: &str,
        who: &Caller,
        kind: &str,
    ) -> Vec<notifications::Notification> {
        relief_testkit::scene::notifications(&self.cluster, service, who, kind).await
    }

    /// Admits `request` as `station`; returns the case id.
    pub async fn admit(&self, station: &Caller, request: intake::AdmitPersonRequest) -> String {
        self.intake(station)
            .await
            .admit_person(request)
            .await
            .unwrap()
            .into_inner()
            .case
            .unwrap()
            .case_id
    }

    /// Admits a person of about 50 who cannot say who they are (UNKNOWN), walking in at the
    /// Xinglongtai station at `at`; returns the case id.
    pub async fn walk_in_unknown(&self, at: DateTime<Utc>) -> String {
        let person = intake::Person {
            estimated_age: 50,
            ..Default::default()
        };
        self.admit(
            &relief_testkit::fixtures::units::xlt_station(),
            admission(intake::IdentityStatus::Unknown, person, at),
        )
        .await
    }

    /// The intake events of type `M`, in feed order.
    pub async fn intake_events<M: Message + Name + Default>(&self) -> Vec<M> {
        events(&self.intake_db).await
    }

    pub async fn stop(self) {
        self.intake_db.close().await;
        self.identity_db.close().await;
        self.foster_db.close().await;
        self.cluster.stop().await.unwrap();
    }
}

/// The events of type `M` in the outbox of `db`, in feed order.
pub async fn events<M: Message + Name + Default>(db: &Db) -> Vec<M> {
    relief_runtime::events::outbox::read_after(db, 0, 100_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|event| event.type_url == M::type_url())
        .map(|event| M::decode(event.payload.as_slice()).unwrap())
        .collect()
}

/// A walk-in admission at `at` with `status` and `person`.
pub fn admission(
    status: intake::IdentityStatus,
    person: intake::Person,
    at: DateTime<Utc>,
) -> intake::AdmitPersonRequest {
    intake::AdmitPersonRequest {
        request_id: request_id(),
        person: Some(person),
        admitted_at: timestamp(at),
        referral: intake::Referral::WalkIn as i32,
        identity_status: status as i32,
        health_check: "体温正常".to_owned(),
        ..Default::default()
    }
}

pub fn timestamp(at: DateTime<Utc>) -> Option<prost_types::Timestamp> {
    Some(relief_runtime::time::timestamp(at))
}

/// The instant of a protobuf timestamp.
pub fn instant_of(at: Option<&prost_types::Timestamp>) -> DateTime<Utc> {
    relief_runtime::time::instant("at", at).unwrap()
}
