//! Intake's consumer of identity's feed, through the real cluster, beyond the cross-service
//! scenario (tests/admission_to_identification.rs, a police identification): an identity the
//! station confirms itself reaches the case and links the person's stays in both directions
//! (an earlier stay, and a later one admitted meanwhile); an approved settlement without state
//! support closes a case in the station as SETTLED; and the whole feed applied a second time
//! (its applied ids and cursor forgotten, intake restarted) changes nothing: no second link, a
//! split link stays split, no second closing.

#![allow(clippy::unwrap_used, reason = "test code: a panic is a failed test")]

#[path = "common/cases.rs"]
mod kit;

use chrono::{DateTime, Duration, Months, Utc};
use kit::{events_in, walk_in};
use prost::{Message, Name};
use relief_proto::identity::v1 as identity;
use relief_proto::identity::v1::identity_query_service_client::IdentityQueryServiceClient;
use relief_proto::intake::v1 as pb;
use relief_proto::intake::v1::intake_service_client::IntakeServiceClient;
use relief_runtime::db::Db;
use relief_runtime::{Caller, with_db};
use relief_testkit::fixtures::request_id;
use relief_testkit::fixtures::units::{sz_station, xlt_civil_affairs, xlt_station};
use relief_testkit::scene::{forget_feed, start_with_pools, wait_caught_up};
use relief_testkit::{Cluster, TestBackend, wait_until};
use tonic::transport::Channel;

/// The consumer whose applied ids and cursor the replay forgets.
const CONSUMER: &str = "intake<-identity";

/// A running cluster with pools on the intake and identity databases.
struct Kit {
    cluster: Cluster,
    db: Db,
    identity_db: Db,
}

impl Kit {
    async fn start(backend: TestBackend) -> Option<Kit> {
        let (cluster, mut pools) =
            start_with_pools(backend, None, &["intake", "identity"], |_, _| {}).await?;
        let identity_db = pools.remove(1);
        let db = pools.remove(0);
        Some(Kit {
            cluster,
            db,
            identity_db,
        })
    }

    fn now(&self) -> DateTime<Utc> {
        self.cluster.clock.now()
    }

    async fn intake(&self, who: &Caller) -> IntakeServiceClient<Channel> {
        IntakeServiceClient::new(self.cluster.channel("intake", who).await)
    }

    async fn identity(&self, who: &Caller) -> IdentityQueryServiceClient<Channel> {
        IdentityQueryServiceClient::new(self.cluster.channel("identity", who).await)
    }

    /// Admits `person` with `status` at `station` at `at`; returns the case id.
    async fn admit(
        &self,
        station: &Caller,
        status: pb::IdentityStatus,
        person: pb::Person,
        at: DateTime<Utc>,
    ) -> String {
        self.intake(station)
            .await
            .admit_person(walk_in(status, person, at))
            .await
            .unwrap()
            .into_inner()
            .case
            .unwrap()
            .case_id
    }

    /// Waits until identity opened the file of `case_id`; returns the file id.
    async fn file_of(&self, station: &Caller, case_id: &str) -> String {
        let client = self.identity(station).await;
        let request = identity::GetIdentityFileRequest {
            case_id: case_id.to_owned(),
            ..Default::default()
        };
        wait_until("identity opens the file", || {
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
            .file_id
    }

    /// The case `case_id` as `station` reads it with a purpose.
    async fn case(&self, station: &Caller, case_id: &str) -> pb::Case {
        let mut request = tonic::Request::new(pb::GetCaseRequest {
            case_id: case_id.to_owned(),
        });
        request.metadata_mut().insert(
            relief_runtime::personal_data::PURPOSE_HEADER,
            "核对受助人员身份".parse().unwrap(),
        );
        self.intake(station)
            .await
            .get_case(request)
            .await
            .unwrap()
            .into_inner()
            .case
            .unwrap()
    }

    /// Waits until `case_id` reads as `done` says.
    async fn wait_case(
        &self,
        station: &Caller,
        case_id: &str,
        what: &str,
        done: fn(&pb::Case) -> bool,
    ) {
        wait_until(what, || async { done(&self.case(station, case_id).await) }).await;
    }

    /// The intake events of type `M`, in feed order.
    async fn events<M: Message + Name + Default>(&self) -> Vec<M> {
        events_in(&self.db).await
    }

    /// Waits until intake has applied every event identity wrote so far; returns how many.
    async fn caught_up(&self) -> i64 {
        // Identity answers intake's events with its own (a closed case closes its file): it must
        // have applied intake's feed first, or its feed may still grow after this count.
        wait_caught_up(
            "identity applies intake's whole feed",
            &self.identity_db,
            "identity<-intake",
            &self.db,
        )
        .await;
        wait_caught_up(
            "intake applies identity's whole feed",
            &self.db,
            CONSUMER,
            &self.identity_db,
        )
        .await;
        with_db!(&self.db, |pool| sqlx::query_scalar(
            "SELECT COUNT(*) FROM consumer_applied WHERE consumer = $1"
        )
        .bind(CONSUMER)
        .fetch_one(pool)
        .await)
        .unwrap()
    }

    /// Forgets which identity events intake applied, and where it was: the next start applies
    /// the feed again from the beginning.
    async fn forget_identity_feed(&self) {
        forget_feed(&self.db, CONSUMER).await;
    }

    /// How many reads of personal data intake made at identity (audited there).
    async fn intake_reads_at_identity(&self) -> i64 {
        with_db!(&self.identity_db, |pool| sqlx::query_scalar(
            "SELECT COUNT(*) FROM audit_log WHERE caller_unit = 'intake'"
        )
        .fetch_one(pool)
        .await)
        .unwrap()
    }

    async fn stop(self) {
        self.db.close().await;
        self.identity_db.close().await;
        self.cluster.stop().await.unwrap();
    }
}

/// A valid ID number with its household in Xinglongtai (211103).
fn id_number() -> String {
    let body = "21110319680512231";
    format!("{body}{}", relief_legal::check_character(body).unwrap())
}

/// The person as a station states them with the ID number.
fn stated() -> pb::Person {
    pb::Person {
        name: "赵六".to_owned(),
        id_number: id_number(),
        ..Default::default()
    }
}

fn unknown() -> pb::Person {
    pb::Person {
        estimated_age: 55,
        ..Default::default()
    }
}

/// A stranded person's settlement, approved without state support; returns the case id. The
/// clock moves 3 months and a few days on.
async fn settled_case(kit: &Kit) -> String {
    let station = xlt_station();
    let case_id = kit
        .admit(
            &station,
            pb::IdentityStatus::Unknown,
            unknown(),
            kit.now() - Duration::hours(1),
        )
        .await;
    let file_id = kit.file_of(&station, &case_id).await;
    kit.cluster
        .clock
        .set(kit.now().checked_add_months(Months::new(3)).unwrap() + Duration::days(3))
        .unwrap();
    // Filed as soon as identity has put the person in the stranded register (a refusal rolls
    // the request id back, so the same request is retried).
    let filing = identity::FileSettlementApplicationRequest {
        request_id: request_id(),
        file_id,
        note: String::new(),
    };
    let client = kit.identity(&station).await;
    wait_until("the person is stranded and the application filed", || {
        let (mut client, request) = (client.clone(), filing.clone());
        async move { client.file_settlement_application(request).await.is_ok() }
    })
    .await;
    let application = client
        .clone()
        .file_settlement_application(filing)
        .await
        .unwrap()
        .into_inner()
        .application
        .unwrap();
    kit.identity(&xlt_civil_affairs())
        .await
        .decide_settlement(identity::DecideSettlementRequest {
            request_id: request_id(),
            application_id: application.application_id,
            approve: true,
            collective_household: "盘锦市社会福利院集体户".to_owned(),
            ..Default::default()
        })
        .await
        .unwrap();
    case_id
}

async fn replaying_identitys_feed_changes_nothing_twice(backend: TestBackend) {
    let Some(mut kit) = Kit::start(backend).await else {
        return;
    };
    let settled = settled_case(&kit).await;
    let now = kit.now();

    // An earlier stay (ended), the stay now unidentified, and a later stay admitted elsewhere
    // with the ID number meanwhile.
    let earlier = kit
        .admit(
            &xlt_station(),
            pb::IdentityStatus::StatedUnverified,
            stated(),
            now - Duration::days(20),
        )
        .await;
    kit.intake(&xlt_station())
        .await
        .discharge_case(pb::DischargeCaseRequest {
            request_id: request_id(),
            case_id: earlier.clone(),
            kind: pb::DepartureKind::SelfDeparture as i32,
            departed_at: Some(relief_runtime::time::timestamp(now - Duration::days(15))),
            ..Default::default()
        })
        .await
        .unwrap();
    let current = kit
        .admit(
            &xlt_station(),
            pb::IdentityStatus::Unknown,
            unknown(),
            now - Duration::hours(3),
        )
        .await;
    let later = kit
        .admit(
            &sz_station(),
            pb::IdentityStatus::StatedUnverified,
            stated(),
            now - Duration::hours(1),
        )
        .await;

    // The station confirms the identity itself (relatives came).
    let file_id = kit.file_of(&xlt_station(), &current).await;
    kit.identity(&xlt_station())
        .await
        .confirm_identity(identity::ConfirmIdentityRequest {
            request_id: request_id(),
            file_id,
            method: identity::ConfirmationMethod::Relatives as i32,
            identity: Some(identity::IdentityDetails {
                name: "赵六".to_owned(),
                id_number: id_number(),
                household_address: "辽宁省盘锦市兴隆台区振兴街 3 号".to_owned(),
                household_division: String::new(),
            }),
            note: "家属持户口簿到站确认".to_owned(),
        })
        .await
        .unwrap();
    kit.wait_case(
        &xlt_station(),
        &current,
        "intake records the confirmed identity",
        |case| case.identity_status == pb::IdentityStatus::Confirmed as i32,
    )
    .await;
    let confirmed = kit.case(&xlt_station(), &current).await;
    let person = confirmed.person.clone().unwrap();
    assert_eq!(
        (person.name.as_str(), person.id_number.as_str()),
        ("赵六", id_number().as_str())
    );
    assert_eq!(person.estimated_age, 55);
    assert_eq!(confirmed.origin_division, "211103");
    assert_eq!(confirmed.repeat_of_case_ids, std::slice::from_ref(&earlier));
    assert_eq!(
        kit.case(&sz_station(), &later).await.repeat_of_case_ids,
        [earlier.clone(), current.clone()]
    );
    let links = |events: Vec<pb::RepeatLinked>| {
        events
            .into_iter()
            .map(|link| (link.case_id, link.earlier_case_id))
            .collect::<Vec<_>>()
    };
    let linked = links(kit.events::<pb::RepeatLinked>().await);
    assert_eq!(
        linked,
        [
            (later.clone(), earlier.clone()),
            (current.clone(), earlier.clone()),
            (later.clone(), current.clone()),
        ]
    );

    // The approved settlement closed the case in the station as SETTLED.
    kit.wait_case(
        &xlt_station(),
        &settled,
        "intake closes the settled case",
        |case| case.status == pb::CaseStatus::Closed as i32,
    )
    .await;
    let closings = |events: Vec<pb::CaseClosed>| {
        events
            .into_iter()
            .map(|closed| (closed.case_id, closed.kind))
            .collect::<Vec<_>>()
    };
    let closed = closings(kit.events::<pb::CaseClosed>().await);
    assert!(closed.contains(&(settled.clone(), pb::DepartureKind::Settled as i32)));

    // Staff split the link to the earlier stay.
    kit.intake(&xlt_station())
        .await
        .split_repeat_link(pb::SplitRepeatLinkRequest {
            request_id: request_id(),
            case_id: current.clone(),
            earlier_case_id: earlier.clone(),
            reason: "经核实并非同一人".to_owned(),
        })
        .await
        .unwrap();

    // The whole feed, applied a second time.
    let applied = kit.caught_up().await;
    let reads = kit.intake_reads_at_identity().await;
    kit.forget_identity_feed().await;
    kit.cluster.restart("intake").await;
    assert_eq!(kit.caught_up().await, applied, "every event applied again");
    assert!(
        kit.intake_reads_at_identity().await > reads,
        "the confirmation was applied again (identity read again)"
    );
    assert_eq!(links(kit.events::<pb::RepeatLinked>().await), linked);
    assert_eq!(closings(kit.events::<pb::CaseClosed>().await), closed);
    let again = kit.case(&xlt_station(), &current).await;
    assert!(
        again.repeat_of_case_ids.is_empty(),
        "a split link stays split"
    );
    assert_eq!(again.person, confirmed.person);
    assert_eq!(again.identity_status, pb::IdentityStatus::Confirmed as i32);
    kit.stop().await;
}

mod replaying_identitys_feed {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::replaying_identitys_feed_changes_nothing_twice(relief_testkit::TestBackend::Sqlite)
            .await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::replaying_identitys_feed_changes_nothing_twice(
            relief_testkit::TestBackend::Postgres,
        )
        .await;
    }
}
