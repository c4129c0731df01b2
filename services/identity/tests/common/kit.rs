//! What the identity test binaries share: a testkit cluster per backend (all four real services,
//! one dev clock) with a pool on the identity database (for what no RPC shows: the outbox,
//! deadline rows, the audit log), the callers, admissions through intake, and waiting for
//! identity to have applied intake's feed.
//!
//! Include it with `#[macro_use] #[path = "common/kit.rs"] mod kit;`.

#![allow(dead_code, reason = "each test binary uses a different part")]

#[allow(unused_imports, reason = "each test binary uses a different part")]
pub use relief_testkit::fixtures::units::*;
#[allow(unused_imports, reason = "each test binary uses a different part")]
pub use relief_testkit::fixtures::{
    fields, id_number, reason, request_id, unit, with_bad_check, with_purpose,
};

use chrono::{DateTime, Duration, Utc};
use prost::{Message, Name};
use relief_proto::identity::v1 as pb;
use relief_proto::identity::v1::identity_query_service_client::IdentityQueryServiceClient;
use relief_proto::intake::v1 as intake;
use relief_proto::intake::v1::intake_service_client::IntakeServiceClient;
use relief_proto::notifications::v1::notification_service_client::NotificationServiceClient;
use relief_runtime::db::Db;
use relief_runtime::{Caller, with_db};
use relief_testkit::scene::start_with_pools;
use relief_testkit::{Cluster, TestBackend, wait_until};
use tonic::transport::Channel;

/// Runs `$body` (a block using `$kit: Kit`) once on SQLite and once on PostgreSQL, each with a
/// fresh cluster whose dev clock starts at `start` (now if absent): `mod $name { sqlite, postgres }`.
macro_rules! cluster_tests {
    ($($args:tt)*) => {
        relief_testkit::cluster_tests!(kit::Kit; $($args)*);
    };
}

/// A running cluster and pools on its identity and intake databases.
#[derive(Debug)]
pub struct Kit {
    pub cluster: Cluster,
    /// The identity database.
    pub db: Db,
    /// The intake database.
    pub intake_db: Db,
}

/// The RFC 3339 instant `text` (with its offset), for `cluster_tests!(.., start = ..)`.
pub fn at(text: &str) -> Option<DateTime<Utc>> {
    Some(relief_testkit::fixtures::instant(text))
}

impl Kit {
    /// A cluster on `backend` whose dev clock starts at `start` (now if `None`); `None` only
    /// for PostgreSQL without `RELIEF_TEST_POSTGRES_URL` outside CI.
    pub async fn start(backend: TestBackend, start: Option<DateTime<Utc>>) -> Option<Kit> {
        Kit::start_with(backend, start, |_, _| {}).await
    }

    /// As [`Kit::start`], adjusting each service's configuration first.
    pub async fn start_with(
        backend: TestBackend,
        start: Option<DateTime<Utc>>,
        configure: impl Fn(&str, &mut relief_runtime::ServiceConfig) + Send + 'static,
    ) -> Option<Kit> {
        let (cluster, mut pools) =
            start_with_pools(backend, start, &["identity", "intake"], configure).await?;
        let intake_db = pools.remove(1);
        let db = pools.remove(0);
        Some(Kit {
            cluster,
            db,
            intake_db,
        })
    }

    /// The cluster's dev clock, now.
    pub fn now(&self) -> DateTime<Utc> {
        self.cluster.clock.now()
    }

    /// Moves the shared dev clock forward to `to` (sweepers wake at once).
    pub fn set_clock(&self, to: DateTime<Utc>) {
        self.cluster.clock.set(to).unwrap();
    }

    /// Moves the shared dev clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        self.cluster.clock.advance(by).unwrap();
    }

    /// An identity client presenting `who`'s certificate.
    pub async fn identity(&self, who: &Caller) -> IdentityQueryServiceClient<Channel> {
        IdentityQueryServiceClient::new(self.cluster.channel("identity", who).await)
    }

    /// An intake client presenting `who`'s certificate.
    pub async fn intake(&self, who: &Caller) -> IntakeServiceClient<Channel> {
        IntakeServiceClient::new(self.cluster.channel("intake", who).await)
    }

    /// A client of identity's notifications presenting `who`'s certificate.
    pub async fn notifications(&self, who: &Caller) -> NotificationServiceClient<Channel> {
        NotificationServiceClient::new(self.cluster.channel("identity", who).await)
    }

    /// Admits a person at `station` with `status` at `admitted_at` through intake; returns the
    /// case id.
    pub async fn admit(
        &self,
        station: &Caller,
        status: intake::IdentityStatus,
        admitted_at: DateTime<Utc>,
    ) -> String {
        self.intake(station)
            .await
            .admit_person(admission(status, admitted_at))
            .await
            .unwrap()
            .into_inner()
            .case
            .unwrap()
            .case_id
    }

    /// Admits an UNKNOWN person at `station` at `admitted_at` and waits for identity to open its
    /// file; returns the file.
    pub async fn admit_unknown(
        &self,
        station: &Caller,
        admitted_at: DateTime<Utc>,
    ) -> pb::IdentityFile {
        let case_id = self
            .admit(station, intake::IdentityStatus::Unknown, admitted_at)
            .await;
        self.wait_file(station, &case_id).await
    }

    /// Waits (60 s ceiling) until identity has a file for `case_id`, read as `station`.
    pub async fn wait_file(&self, station: &Caller, case_id: &str) -> pb::IdentityFile {
        let client = self.identity(station).await;
        let request = pb::GetIdentityFileRequest {
            case_id: case_id.to_owned(),
            ..Default::default()
        };
        wait_until("identity opens the file of the admitted case", || {
            let (mut client, request) = (client.clone(), request.clone());
            async move { client.get_identity_file(request).await.is_ok() }
        })
        .await;
        client
            .clone()
            .get_identity_file(request)
            .await
            .unwrap()
            .into_inner()
            .file
            .unwrap()
    }

    /// Reads the file `file_id` as `who`.
    pub async fn file(&self, who: &Caller, file_id: &str) -> pb::IdentityFile {
        self.identity(who)
            .await
            .get_identity_file(pb::GetIdentityFileRequest {
                file_id: file_id.to_owned(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .file
            .unwrap()
    }

    /// The identity events of type `M`, in feed order.
    pub async fn events<M: Message + Name + Default>(&self) -> Vec<M> {
        events_in::<M>(&self.db).await
    }

    /// The intake events of type `M`, in feed order.
    pub async fn intake_events<M: Message + Name + Default>(&self) -> Vec<M> {
        events_in::<M>(&self.intake_db).await
    }

    /// Waits (60 s ceiling) until identity has written `n` events of type `M`; returns them.
    pub async fn wait_events<M: Message + Name + Default>(&self, n: usize) -> Vec<M> {
        wait_until(&format!("{n} {} event(s)", M::full_name()), || async {
            self.events::<M>().await.len() >= n
        })
        .await;
        self.events::<M>().await
    }

    /// Every identity outbox payload, raw, to look for personal data in.
    pub async fn raw_events(&self) -> Vec<Vec<u8>> {
        relief_runtime::events::outbox::read_after(&self.db, 0, 100_000)
            .await
            .unwrap()
            .into_iter()
            .map(|event| event.payload)
            .collect()
    }

    /// `SELECT COUNT(*)`-like scalar of a query text on the identity database.
    pub async fn count(&self, sql: &'static str) -> i64 {
        with_db!(&self.db, |pool| sqlx::query_scalar(sql)
            .fetch_one(pool)
            .await)
        .unwrap()
    }

    /// Closes the pools and stops the cluster, failing on any service error.
    pub async fn stop(self) {
        self.db.close().await;
        self.intake_db.close().await;
        self.cluster.stop().await.unwrap();
    }
}

async fn events_in<M: Message + Name + Default>(db: &Db) -> Vec<M> {
    relief_runtime::events::outbox::read_after(db, 0, 100_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|event| event.type_url == M::type_url())
        .map(|event| M::decode(event.payload.as_slice()).unwrap())
        .collect()
}

/// A walk-in admission at `admitted_at` with identity `status`; for a STATED or CONFIRMED
/// identity the person gives a name.
pub fn admission(
    status: intake::IdentityStatus,
    admitted_at: DateTime<Utc>,
) -> intake::AdmitPersonRequest {
    let person = match status {
        intake::IdentityStatus::Unknown => intake::Person {
            estimated_age: 60,
            ..Default::default()
        },
        _ => intake::Person {
            name: "王五".to_owned(),
            estimated_age: 45,
            ..Default::default()
        },
    };
    intake::AdmitPersonRequest {
        request_id: request_id(),
        person: Some(person),
        admitted_at: Some(relief_runtime::time::timestamp(admitted_at)),
        referral: intake::Referral::WalkIn as i32,
        identity_status: status as i32,
        health_check: "体温正常".to_owned(),
        ..Default::default()
    }
}

pub fn intake_service() -> Caller {
    relief_runtime::pki::service_caller("intake")
}

/// The instant of a protobuf timestamp.
pub fn instant(timestamp: Option<&prost_types::Timestamp>) -> DateTime<Utc> {
    relief_runtime::time::instant("timestamp", timestamp).unwrap()
}

// ---- verification slice: filing, reading and answering police verification requests ----

/// Files a verification request for `file_id` as `station`, asking `methods` of `police_unit`.
pub async fn file_verification(
    kit: &Kit,
    station: &Caller,
    file_id: &str,
    methods: &[pb::VerificationMethod],
    police_unit: &str,
) -> Result<pb::VerificationRequest, tonic::Status> {
    kit.identity(station)
        .await
        .file_verification_request(pb::FileVerificationRequestRequest {
            request_id: request_id(),
            file_id: file_id.to_owned(),
            methods: methods.iter().map(|method| *method as i32).collect(),
            police_unit: police_unit.to_owned(),
            note: String::new(),
        })
        .await
        .map(|response| response.into_inner().verification.unwrap())
}

/// Reads verification request `id` as `who` (no purpose).
pub async fn get_verification(
    kit: &Kit,
    who: &Caller,
    id: &str,
) -> Result<pb::VerificationRequest, tonic::Status> {
    kit.identity(who)
        .await
        .get_verification_request(pb::GetVerificationRequestRequest {
            verification_id: id.to_owned(),
        })
        .await
        .map(|response| response.into_inner().verification.unwrap())
}

/// Acknowledges verification request `id` as `who`.
pub async fn acknowledge_verification(
    kit: &Kit,
    who: &Caller,
    id: &str,
) -> Result<pb::VerificationRequest, tonic::Status> {
    kit.identity(who)
        .await
        .acknowledge_verification_request(pb::AcknowledgeVerificationRequestRequest {
            request_id: request_id(),
            verification_id: id.to_owned(),
        })
        .await
        .map(|response| response.into_inner().verification.unwrap())
}

/// Submits the result of `method` of request `id` as `who`, with a fresh request id.
pub async fn submit_verification_result(
    kit: &Kit,
    who: &Caller,
    id: &str,
    method: pb::VerificationMethod,
    outcome: pb::submit_verification_result_request::Outcome,
) -> Result<pb::VerificationRequest, tonic::Status> {
    kit.identity(who)
        .await
        .submit_verification_result(pb::SubmitVerificationResultRequest {
            request_id: request_id(),
            verification_id: id.to_owned(),
            method: method as i32,
            outcome: Some(outcome),
        })
        .await
        .map(|response| response.into_inner().verification.unwrap())
}

/// The notifications of `kind` addressed to `who`, as its notification list shows them.
pub async fn notifications_of_kind(
    kit: &Kit,
    who: &Caller,
    kind: &str,
) -> Vec<relief_proto::notifications::v1::Notification> {
    relief_testkit::scene::notifications(&kit.cluster, "identity", who, kind).await
}

// ---- verification slice (review fixes): the sweeper behind ----

/// Puts the pending deadline `id` off until `run_at`, as the sweeper does after a failed
/// attempt (`Sweeper::postpone`: one more attempt, a later `run_at`): the state of a sweeper
/// that is backing off, so a test can act after the legal due time before the sweeper fires.
/// The legal `due_at` stays. Panics unless the deadline was pending.
pub async fn postpone_deadline(kit: &Kit, id: &str, run_at: DateTime<Utc>) {
    let done = with_db!(&kit.db, |pool| sqlx::query(
        "UPDATE deadlines SET attempts = attempts + 1, run_at = $2, \
         last_error = 'test: the sweeper is backing off' WHERE id = $1 AND state = 'pending'"
    )
    .bind(id)
    .bind(run_at)
    .execute(pool)
    .await
    .map(|done| done.rows_affected()))
    .unwrap();
    assert_eq!(done, 1, "deadline {id} is not pending");
}

// ---- identity-file tests: confirming, discharging, notifications ----

/// The instant of an RFC 3339 text.
pub fn t(text: &str) -> DateTime<Utc> {
    at(text).unwrap()
}

/// The notifications of `kind` addressed to `who` by identity.
pub async fn notified(
    kit: &Kit,
    who: &Caller,
    kind: &str,
) -> Vec<relief_proto::notifications::v1::Notification> {
    notifications_of_kind(kit, who, kind).await
}

/// A station's confirmation of `file_id` by documents.
pub fn confirmation(file_id: &str, identity: pb::IdentityDetails) -> pb::ConfirmIdentityRequest {
    pb::ConfirmIdentityRequest {
        request_id: request_id(),
        file_id: file_id.to_owned(),
        method: pb::ConfirmationMethod::Documents as i32,
        identity: Some(identity),
        note: "居民身份证核验".to_owned(),
    }
}

/// `ConfirmIdentity` as `who`.
pub async fn confirm(
    kit: &Kit,
    who: &Caller,
    request: pb::ConfirmIdentityRequest,
) -> Result<pb::IdentityFile, tonic::Status> {
    kit.identity(who)
        .await
        .confirm_identity(request)
        .await
        .map(|response| response.into_inner().file.unwrap())
}

/// Discharges `case_id` through intake as `who`.
pub async fn discharge(
    kit: &Kit,
    who: &Caller,
    case_id: &str,
    kind: intake::DepartureKind,
    at: DateTime<Utc>,
    to_station: &str,
) {
    kit.intake(who)
        .await
        .discharge_case(intake::DischargeCaseRequest {
            request_id: request_id(),
            case_id: case_id.to_owned(),
            kind: kind as i32,
            departed_at: Some(relief_runtime::time::timestamp(at)),
            transfer_to_station: to_station.to_owned(),
            escorted: true,
            ..Default::default()
        })
        .await
        .unwrap();
}
