//! What the foster test binaries share: a testkit cluster per backend (all four real services,
//! one dev clock) with a pool on the foster database (for what no RPC shows: the outbox and the
//! deadline rows), the callers, and a qualified registration to start from.
//!
//! Include it with `#[macro_use] #[path = "common/kit.rs"] mod kit;`.

#![allow(dead_code, reason = "each test binary uses a different part")]

use std::sync::{Arc, Mutex};

#[allow(unused_imports, reason = "each test binary uses a different part")]
pub use relief_testkit::fixtures::{fields, reason, request_id, unit};

use chrono::{DateTime, Utc};
use prost::{Message, Name};
use relief_proto::foster::v1 as pb;
use relief_proto::foster::v1::foster_supervision_service_client::FosterSupervisionServiceClient;
use relief_proto::notifications::v1 as notifications;
use relief_proto::notifications::v1::notification_service_client::NotificationServiceClient;
use relief_runtime::db::Db;
use relief_runtime::{Caller, CallerKind, with_db};
use relief_testkit::{Cluster, TestBackend, wait_until};
use tonic::transport::Channel;

/// Runs `$body` (a block using `$kit: Kit`) once on SQLite and once on PostgreSQL, each with a
/// fresh cluster whose dev clock starts at `start` (now if absent): `mod $name { sqlite, postgres }`.
macro_rules! cluster_tests {
    ($name:ident, |$kit:ident| $body:block) => {
        cluster_tests!($name, start = None, |$kit| $body);
    };
    ($name:ident, start = $start:expr, |$kit:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let Some(mut $kit) =
                    kit::Kit::start(relief_testkit::TestBackend::Sqlite, $start).await
                else {
                    return;
                };
                let _ = &mut $kit;
                $body
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some(mut $kit) =
                    kit::Kit::start(relief_testkit::TestBackend::Postgres, $start).await
                else {
                    return;
                };
                let _ = &mut $kit;
                $body
            }
        }
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
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

impl Kit {
    /// A cluster on `backend` whose dev clock starts at `start` (now if `None`); `None` only
    /// for PostgreSQL without `RELIEF_TEST_POSTGRES_URL` outside CI.
    pub async fn start(backend: TestBackend, start: Option<DateTime<Utc>>) -> Option<Kit> {
        let url = Arc::new(Mutex::new(None));
        let seen = Arc::clone(&url);
        let mut builder = Cluster::builder()
            .backend(backend)
            .configure(move |service, config| {
                if service == "foster" {
                    *seen.lock().unwrap() = config.database_url.clone();
                }
            });
        if let Some(start) = start {
            builder = builder.clock_start(start);
        }
        let cluster = builder.start().await?;
        let url = url.lock().unwrap().clone().unwrap();
        let db = Db::open(&url, 2).await.unwrap();
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
        NotificationServiceClient::new(self.cluster.channel("foster", who).await)
            .list_notifications(notifications::ListNotificationsRequest {
                page_size: 500,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .notifications
            .into_iter()
            .filter(|n| n.kind == kind)
            .collect()
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

pub fn xlt_civil_affairs() -> Caller {
    unit(CallerKind::CivilAffairs, "211103", "xlt-civil-affairs")
}
pub fn sz_civil_affairs() -> Caller {
    unit(CallerKind::CivilAffairs, "211102", "sz-civil-affairs")
}
pub fn city_civil_affairs() -> Caller {
    unit(CallerKind::CivilAffairs, "211100", "city-civil-affairs")
}
pub fn province() -> Caller {
    unit(CallerKind::CivilAffairs, "210000", "ln-civil-affairs")
}
pub fn sz_station() -> Caller {
    unit(CallerKind::Station, "211102", "sz-station")
}
/// The institution `id` of 兴隆台区 as its certificate names it.
pub fn institution_caller(id: &str) -> Caller {
    unit(CallerKind::Foster, "211103", id)
}
