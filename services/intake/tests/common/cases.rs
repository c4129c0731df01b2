//! What the cases test binaries share: a testkit cluster per backend with a second pool on the
//! intake database (for what no RPC shows: rows, the outbox, the audit log), the callers, valid
//! ID numbers, admission requests, and reading an outbox.
//!
//! Include it with `#[macro_use] #[path = "common/cases.rs"] mod kit;`.

#![allow(dead_code, reason = "each test binary uses a different part")]

#[allow(unused_imports, reason = "each test binary uses a different part")]
pub use relief_testkit::fixtures::units::*;
#[allow(unused_imports, reason = "each test binary uses a different part")]
pub use relief_testkit::fixtures::{
    fields, id_number, reason, request_id, unit, with_bad_check, with_purpose,
};

use chrono::{DateTime, Utc};
use prost::{Message, Name};
use relief_proto::intake::v1 as pb;
use relief_proto::intake::v1::intake_service_client::IntakeServiceClient;
use relief_proto::notifications::v1::notification_service_client::NotificationServiceClient;
use relief_runtime::db::Db;
use relief_runtime::{Caller, with_db};
use relief_testkit::scene::start_with_pools;
use relief_testkit::{Cluster, TestBackend};
use tonic::transport::Channel;

/// Runs `$body` (a block using `$kit: Kit`) once on SQLite and once on PostgreSQL, each with a
/// fresh cluster whose dev clock starts at `start` (now if absent): `mod $name { sqlite, postgres }`.
#[allow(unused_macros, reason = "the log test binary runs its own")]
macro_rules! cluster_tests {
    ($($args:tt)*) => {
        relief_testkit::cluster_tests!(kit::Kit; $($args)*);
    };
}

/// A running cluster and a pool on its intake database.
#[derive(Debug)]
pub struct Kit {
    pub cluster: Cluster,
    pub db: Db,
}

impl Kit {
    /// A cluster on `backend` whose dev clock starts at `start` (now if `None`); `None` only
    /// for PostgreSQL without `RELIEF_TEST_POSTGRES_URL` outside CI.
    pub async fn start(backend: TestBackend, start: Option<DateTime<Utc>>) -> Option<Kit> {
        let (cluster, mut pools) = start_with_pools(backend, start, &["intake"], |_, _| {}).await?;
        let db = pools.remove(0);
        Some(Kit { cluster, db })
    }

    /// The cluster's dev clock, now.
    pub fn now(&self) -> DateTime<Utc> {
        self.cluster.clock.now()
    }

    /// An intake client presenting `who`'s certificate.
    pub async fn intake(&self, who: &Caller) -> IntakeServiceClient<Channel> {
        IntakeServiceClient::new(self.cluster.channel("intake", who).await)
    }

    /// A client of intake's notifications presenting `who`'s certificate.
    pub async fn notifications(&self, who: &Caller) -> NotificationServiceClient<Channel> {
        NotificationServiceClient::new(self.cluster.channel("intake", who).await)
    }

    /// Admits `request` as `station`, which must succeed.
    pub async fn admit(&self, station: &Caller, request: pb::AdmitPersonRequest) -> pb::Case {
        self.intake(station)
            .await
            .admit_person(request)
            .await
            .unwrap()
            .into_inner()
            .case
            .unwrap()
    }

    /// The intake events of type `M`, in feed order.
    pub async fn events<M: Message + Name + Default>(&self) -> Vec<M> {
        events_in(&self.db).await
    }

    /// Every outbox payload, raw, to look for personal data in.
    pub async fn raw_events(&self) -> Vec<Vec<u8>> {
        relief_runtime::events::outbox::read_after(&self.db, 0, 100_000)
            .await
            .unwrap()
            .into_iter()
            .map(|event| event.payload)
            .collect()
    }

    /// `SELECT COUNT(*)` of a query text.
    pub async fn count(&self, sql: &'static str) -> i64 {
        with_db!(&self.db, |pool| sqlx::query_scalar(sql)
            .fetch_one(pool)
            .await)
        .unwrap()
    }

    /// Closes the pool and stops the cluster, failing on any service error.
    pub async fn stop(self) {
        self.db.close().await;
        self.cluster.stop().await.unwrap();
    }
}

/// The events of type `M` in the outbox of `db`, in feed order.
pub async fn events_in<M: Message + Name + Default>(db: &Db) -> Vec<M> {
    relief_runtime::events::outbox::read_after(db, 0, 100_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|event| event.type_url == M::type_url())
        .map(|event| M::decode(event.payload.as_slice()).unwrap())
        .collect()
}

pub fn identity_service() -> Caller {
    relief_runtime::pki::service_caller("identity")
}

/// A person with a name and an ID number, the rest as a station records it.
pub fn person(name: &str, id_number: &str) -> pb::Person {
    pb::Person {
        name: name.to_owned(),
        sex: pb::Sex::Male as i32,
        id_number: id_number.to_owned(),
        household_address: "辽宁省盘锦市兴隆台区 石油大街 1 号".to_owned(),
        cause: "务工无着".to_owned(),
        relatives: "兄 电话 13800000000".to_owned(),
        ..pb::Person::default()
    }
}

/// A walk-in admission of `person` with `status` at `admitted_at`, nothing else recorded but a
/// normal temperature.
pub fn walk_in(
    status: pb::IdentityStatus,
    person: pb::Person,
    admitted_at: DateTime<Utc>,
) -> pb::AdmitPersonRequest {
    pb::AdmitPersonRequest {
        request_id: request_id(),
        person: Some(person),
        admitted_at: Some(relief_runtime::time::timestamp(admitted_at)),
        referral: pb::Referral::WalkIn as i32,
        identity_status: status as i32,
        health_check: "体温正常".to_owned(),
        ..Default::default()
    }
}

/// A walk-in admission of `person` at `admitted_at`, identity stated but not verified.
pub fn admission(person: pb::Person, admitted_at: DateTime<Utc>) -> pb::AdmitPersonRequest {
    pb::AdmitPersonRequest {
        request_id: request_id(),
        person: Some(person),
        admitted_at: Some(relief_runtime::time::timestamp(admitted_at)),
        referral: pb::Referral::WalkIn as i32,
        referral_encounter_id: String::new(),
        identity_status: pb::IdentityStatus::StatedUnverified as i32,
        flags: None,
        belongings: vec!["棉被一条".to_owned(), "身份证复印件".to_owned()],
        health_check: "体温正常，无外伤".to_owned(),
        // Departure slice: set only for a TRANSFER referral.
        transferred_from_case_id: String::new(),
    }
}
