//! What the foster test binaries share: a testkit cluster per backend (all four real services,
//! one dev clock) with a pool on the foster database (for what no RPC shows: the outbox and the
//! deadline rows), the callers, and a qualified registration to start from.
//!
//! Include it with `#[macro_use] #[path = "common/kit.rs"] mod kit;`.

#![allow(dead_code, reason = "each test binary uses a different part")]

#[allow(unused_imports, reason = "each test binary uses a different part")]
pub use relief_testkit::fixtures::units::*;
#[allow(unused_imports, reason = "each test binary uses a different part")]
pub use relief_testkit::fixtures::{fields, reason, request_id, unit};

use chrono::{DateTime, Utc};
use prost::{Message, Name};
use relief_proto::foster::v1 as pb;
use relief_proto::foster::v1::foster_supervision_service_client::FosterSupervisionServiceClient;
use relief_proto::intake::v1 as intake;
use relief_proto::intake::v1::intake_service_client::IntakeServiceClient;
use relief_proto::notifications::v1 as notifications;
use relief_runtime::db::Db;
use relief_runtime::{Caller, CallerKind, with_db};
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

/// A running cluster and a pool on its foster database.
#[derive(Debug)]
pub struct Kit {
    pub cluster: Cluster,
    /// The foster database.
    pub db: Db,
}

/// The RFC 3339 instant `text` (with its offset).
pub fn at(text: &str) -> Option<DateTime<Utc>> {
    Some(instant_at(text))
}

/// The RFC 3339 instant `text` (with its offset).
pub fn instant_at(text: &str) -> DateTime<Utc> {
    relief_testkit::fixtures::instant(text)
}

impl Kit {
    /// A cluster on `backend` whose dev clock starts at `start` (now if `None`); `None` only
    /// for PostgreSQL without `RELIEF_TEST_POSTGRES_URL` outside CI.
    pub async fn start(backend: TestBackend, start: Option<DateTime<Utc>>) -> Option<Kit> {
        let (cluster, mut pools) = start_with_pools(backend, start, &["foster"], |_, _| {}).await?;
        let db = pools.remove(0);
        Some(Kit { cluster, db })
    }

    /// Moves the shared dev clock forward to `to` (sweepers wake at once).
    pub fn set_clock(&self, to: DateTime<Utc>) {
        self.cluster.clock.set(to).unwrap();
    }

    /// A foster client presenting `who`'s certificate.
    pub async fn foster(&self, who: &Caller) -> FosterSupervisionServiceClient<Channel> {
        FosterSupervisionServiceClient::new(self.cluster.channel("foster", who).await)
    }

    /// The notifications of `kind` addressed to `who` by the foster service.
    pub async fn notifications(
        &self,
        who: &Caller,
        kind: &str,
    ) -> Vec<notifications::Notification> {
        relief_testkit::scene::notifications(&self.cluster, "foster", who, kind).await
    }

    /// The foster events of type `M`, in feed order.
    pub async fn events<M: Message + Name + Default>(&self) -> Vec<M> {
        relief_runtime::events::outbox::read_after(&self.db, 0, 100_000)
            .await
            .unwrap()
            .into_iter()
            .filter(|event| event.type_url == M::type_url())
            .map(|event| M::decode(event.payload.as_slice()).unwrap())
            .collect()
    }

    /// Waits (60 s ceiling) until foster has written `n` events of type `M`; returns them.
    pub async fn wait_events<M: Message + Name + Default>(&self, n: usize) -> Vec<M> {
        wait_until(&format!("{n} {} event(s)", M::full_name()), || async {
            self.events::<M>().await.len() >= n
        })
        .await;
        self.events::<M>().await
    }

    /// The text column of the rows a query with one text parameter returns.
    pub async fn texts(&self, sql: &'static str, bind: &str) -> Vec<String> {
        with_db!(&self.db, |pool| sqlx::query_scalar::<_, String>(sql)
            .bind(bind)
            .fetch_all(pool)
            .await)
        .unwrap()
    }

    /// How many institutions are stored.
    pub async fn stored_institutions(&self) -> i64 {
        with_db!(&self.db, |pool| sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM institutions"
        )
        .fetch_one(pool)
        .await)
        .unwrap()
    }

    /// Registers `request` as `who`.
    pub async fn register(
        &self,
        who: &Caller,
        request: pb::RegisterInstitutionRequest,
    ) -> Result<pb::Institution, tonic::Status> {
        self.foster(who)
            .await
            .register_institution(request)
            .await
            .map(|response| response.into_inner().institution.unwrap())
    }

    /// Reads institution `id` as `who`.
    pub async fn get(&self, who: &Caller, id: &str) -> Result<pb::Institution, tonic::Status> {
        self.foster(who)
            .await
            .get_institution(pb::GetInstitutionRequest {
                institution_id: id.to_owned(),
            })
            .await
            .map(|response| response.into_inner().institution.unwrap())
    }

    /// The institution ids `who` lists with `request`.
    pub async fn list(
        &self,
        who: &Caller,
        request: pb::ListInstitutionsRequest,
    ) -> Result<Vec<String>, tonic::Status> {
        Ok(self
            .foster(who)
            .await
            .list_institutions(request)
            .await?
            .into_inner()
            .institutions
            .into_iter()
            .map(|institution| institution.institution_id)
            .collect())
    }

    /// An intake client presenting `who`'s certificate.
    pub async fn intake(&self, who: &Caller) -> IntakeServiceClient<Channel> {
        IntakeServiceClient::new(self.cluster.channel("intake", who).await)
    }

    /// Admits a walk-in person with `flags` at `station` at `admitted_at` through intake;
    /// returns the case id.
    pub async fn admit(
        &self,
        station: &Caller,
        flags: intake::VulnerableFlags,
        admitted_at: DateTime<Utc>,
    ) -> String {
        self.intake(station)
            .await
            .admit_person(intake::AdmitPersonRequest {
                request_id: request_id(),
                person: Some(intake::Person {
                    estimated_age: if flags.minor {
                        14
                    } else if flags.elderly {
                        70
                    } else {
                        45
                    },
                    ..Default::default()
                }),
                admitted_at: Some(relief_runtime::time::timestamp(admitted_at)),
                referral: intake::Referral::WalkIn as i32,
                identity_status: intake::IdentityStatus::Unknown as i32,
                flags: Some(flags),
                health_check: "体温正常".to_owned(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .case
            .unwrap()
            .case_id
    }

    /// Intake's case `case_id`, read as `who`.
    pub async fn case(&self, who: &Caller, case_id: &str) -> intake::Case {
        self.intake(who)
            .await
            .get_case(intake::GetCaseRequest {
                case_id: case_id.to_owned(),
            })
            .await
            .unwrap()
            .into_inner()
            .case
            .unwrap()
    }

    /// Waits (60 s ceiling) until intake's case `case_id` (read as `who`) has `status`.
    pub async fn wait_case_status(&self, who: &Caller, case_id: &str, status: intake::CaseStatus) {
        let what = format!("case {case_id} is {status:?} in intake");
        self.wait_case(who, case_id, &what, |case| case.status == status as i32)
            .await;
    }

    /// Waits (60 s ceiling) until intake's case `case_id` (read as `who`) satisfies `ready`.
    pub async fn wait_case(
        &self,
        who: &Caller,
        case_id: &str,
        what: &str,
        ready: impl Fn(&intake::Case) -> bool,
    ) {
        let client = self.intake(who).await;
        let ready = &ready;
        wait_until(what, || {
            let mut client = client.clone();
            let case_id = case_id.to_owned();
            async move {
                client
                    .get_case(intake::GetCaseRequest { case_id })
                    .await
                    .is_ok_and(|r| r.into_inner().case.as_ref().is_some_and(ready))
            }
        })
        .await;
    }

    /// Registers a qualified institution (documents valid through 2030) in 兴隆台区 as the
    /// county bureau; returns its id.
    pub async fn institution(
        &self,
        name: &str,
        kind: pb::InstitutionKind,
        government_run: bool,
        capacity: i32,
        approved_for_minors: bool,
    ) -> String {
        let mut request = registration(name, qualification("2030-12-31", "2030-12-31"));
        request.kind = kind as i32;
        request.government_run = government_run;
        request.capacity = capacity;
        request.approved_for_minors = approved_for_minors;
        self.register(&xlt_civil_affairs(), request)
            .await
            .unwrap()
            .institution_id
    }

    /// Records an agreement of `station` with `institution_id` from `starts_on` to `ends_on`.
    pub async fn sign(
        &self,
        station: &Caller,
        institution_id: &str,
        (starts_on, ends_on): (&str, &str),
        beds: i32,
        margin_bps: i32,
    ) -> Result<pb::Agreement, tonic::Status> {
        self.foster(station)
            .await
            .sign_agreement(pb::SignAgreementRequest {
                request_id: request_id(),
                institution_id: institution_id.to_owned(),
                starts_on: starts_on.to_owned(),
                ends_on: ends_on.to_owned(),
                beds,
                margin_bps,
                reference: format!("托养协议-{}", &request_id()[..8]),
            })
            .await
            .map(|r| r.into_inner().agreement.unwrap())
    }

    /// `station` proposes placing the person of `case_id`; once proposed, waits (60 s ceiling)
    /// until intake shows the proposal (before that an approval is UNAVAILABLE).
    pub async fn propose(
        &self,
        station: &Caller,
        case_id: &str,
        self_care: pb::SelfCare,
    ) -> Result<pb::Placement, tonic::Status> {
        let proposed = self
            .foster(station)
            .await
            .propose_placement(pb::ProposePlacementRequest {
                request_id: request_id(),
                case_id: case_id.to_owned(),
                reason: pb::PlacementReason::LacksFacilities as i32,
                reason_details: "本站无护理床位".to_owned(),
                self_care: self_care as i32,
            })
            .await
            .map(|r| r.into_inner().placement.unwrap())?;
        self.wait_case(station, case_id, "intake shows the proposal", |case| {
            case.proposed_placement_id == proposed.placement_id
        })
        .await;
        Ok(proposed)
    }

    /// `civil_affairs` approves `placement_id` into `institution_id`.
    pub async fn approve(
        &self,
        civil_affairs: &Caller,
        placement_id: &str,
        institution_id: &str,
        justification: &str,
    ) -> Result<pb::Placement, tonic::Status> {
        self.foster(civil_affairs)
            .await
            .approve_placement(pb::ApprovePlacementRequest {
                request_id: request_id(),
                placement_id: placement_id.to_owned(),
                institution_id: institution_id.to_owned(),
                justification: justification.to_owned(),
            })
            .await
            .map(|r| r.into_inner().placement.unwrap())
    }

    /// Admits a person with `flags` at `station` now, proposes and (as `civil_affairs`)
    /// approves the placement into `institution_id` (an agreement must be in force); waits until
    /// intake's case is in foster care. Returns the ACTIVE placement.
    pub async fn place_resident(
        &self,
        station: &Caller,
        civil_affairs: &Caller,
        institution_id: &str,
        self_care: pb::SelfCare,
        flags: intake::VulnerableFlags,
    ) -> pb::Placement {
        let now = self.cluster.clock.now();
        let case_id = self.admit(station, flags, now).await;
        let proposed = self.propose(station, &case_id, self_care).await.unwrap();
        let placed = self
            .approve(civil_affairs, &proposed.placement_id, institution_id, "")
            .await
            .unwrap();
        self.wait_case_status(station, &case_id, intake::CaseStatus::InFosterCare)
            .await;
        placed
    }

    /// Closes the pool and stops the cluster, failing on any service error.
    pub async fn stop(self) {
        self.db.close().await;
        self.cluster.stop().await.unwrap();
    }
}

fn document(number: &str, expires_on: &str) -> Option<pb::Document> {
    Some(pb::Document {
        number: number.to_owned(),
        expires_on: expires_on.to_owned(),
    })
}

fn adopted(reference: &str) -> Option<pb::InternalRule> {
    Some(pb::InternalRule {
        adopted: true,
        document_reference: reference.to_owned(),
    })
}

/// Evidence meeting every condition for a decision in 2026: operating since 2024, the service
/// qualification valid through `qualification_expires_on`, the food licence through
/// `food_expires_on`.
pub fn qualification(qualification_expires_on: &str, food_expires_on: &str) -> pb::Qualification {
    pb::Qualification {
        legal_person: document("52211103MJ0000001X", ""),
        service_qualification: document("辽民养字第2024001号", qualification_expires_on),
        fixed_premises: "盘锦市兴隆台区惠宾街100号 产权证 辽(2023)盘锦市不动产权第0012345号"
            .to_owned(),
        operating_since: "2024-06-01".to_owned(),
        food_business_licence: document("JY32111030012345", food_expires_on),
        fire_safety: Some(pb::FireSafety {
            kind: pb::FireSafetyKind::Acceptance as i32,
            reference: "盘建消验字〔2024〕第018号".to_owned(),
            dated_on: "2024-05-20".to_owned(),
        }),
        internal_rules: Some(pb::InternalRules {
            management: adopted("管理制度2024版"),
            finance_and_accounting: adopted("财务会计制度2024版"),
            emergencies: adopted("应急预案2024版"),
            information_reporting: adopted("信息报送制度2024版"),
        }),
    }
}

/// A registration in 兴隆台区 with `qualification`.
pub fn registration(
    name: &str,
    qualification: pb::Qualification,
) -> pb::RegisterInstitutionRequest {
    pb::RegisterInstitutionRequest {
        request_id: request_id(),
        name: name.to_owned(),
        division: "211103".to_owned(),
        address: "盘锦市兴隆台区惠宾街100号".to_owned(),
        kind: pb::InstitutionKind::ElderlyCare as i32,
        government_run: true,
        capacity: 120,
        approved_for_minors: false,
        qualification: Some(qualification),
    }
}

/// The institution `id` of 兴隆台区 as its certificate names it.
pub fn institution_caller(id: &str) -> Caller {
    unit(CallerKind::Foster, "211103", id)
}
/// A person without flags (an adult of no special group).
pub fn adult() -> intake::VulnerableFlags {
    intake::VulnerableFlags::default()
}
