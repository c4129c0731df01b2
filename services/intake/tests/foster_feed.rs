//! Intake's consumer of foster's feed (and identity's, which follows the same events) against
//! events in an order the placement slice never writes but a consumer must survive, written
//! straight into foster's outbox beyond the cross-service scenarios
//! (tests/admission_to_foster_care.rs): a move whose new placement arrives before the end of the
//! old one, the same end twice, events about a placement that ended or that is not the case's
//! current one, and a case intake does not have. Each changes nothing it should not, and the
//! feed goes on. A case in foster care cannot be discharged by the station.

#![allow(clippy::unwrap_used, reason = "test code: a panic is a failed test")]

#[path = "common/cases.rs"]
mod kit;

use chrono::{DateTime, Duration, SubsecRound, Utc};
use kit::{events_in, walk_in};
use prost::{Message, Name};
use relief_proto::foster::v1 as foster;
use relief_proto::identity::v1 as identity;
use relief_proto::identity::v1::identity_query_service_client::IdentityQueryServiceClient;
use relief_proto::intake::v1 as pb;
use relief_proto::intake::v1::intake_service_client::IntakeServiceClient;
use relief_runtime::db::Db;
use relief_runtime::with_db;
use relief_testkit::fixtures::units::xlt_station;
use relief_testkit::fixtures::{reason, request_id};
use relief_testkit::scene::{start_with_pools, wait_caught_up};
use relief_testkit::{Cluster, TestBackend};
use tonic::Code;
use tonic::transport::Channel;

/// A running cluster with pools on the intake, identity and foster databases.
struct Kit {
    cluster: Cluster,
    db: Db,
    identity_db: Db,
    foster_db: Db,
}

impl Kit {
    async fn start(backend: TestBackend) -> Option<Kit> {
        // Events written outside the foster service wake no one: its feed polls.
        let (cluster, mut pools) = start_with_pools(
            backend,
            None,
            &["intake", "identity", "foster"],
            |_, config| config.events.poll_interval_ms = 100,
        )
        .await?;
        let foster_db = pools.remove(2);
        let identity_db = pools.remove(1);
        let db = pools.remove(0);
        Some(Kit {
            cluster,
            db,
            identity_db,
            foster_db,
        })
    }

    fn now(&self) -> DateTime<Utc> {
        self.cluster.clock.now().trunc_subsecs(6)
    }

    async fn intake(&self) -> IntakeServiceClient<Channel> {
        IntakeServiceClient::new(self.cluster.channel("intake", &xlt_station()).await)
    }

    /// Writes `event` into foster's outbox, then waits until intake and identity applied it.
    async fn foster_writes<M: Name>(&self, event: &M) {
        let mut tx = self.foster_db.begin().await.unwrap();
        relief_runtime::events::append(&mut tx, self.now(), event)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        for (db, consumer) in [
            (&self.db, "intake<-foster"),
            (&self.identity_db, "identity<-foster"),
        ] {
            let what = format!("{consumer} applies the event");
            wait_caught_up(&what, db, consumer, &self.foster_db).await;
        }
    }

    async fn case(&self, case_id: &str) -> pb::Case {
        self.intake()
            .await
            .get_case(pb::GetCaseRequest {
                case_id: case_id.to_owned(),
            })
            .await
            .unwrap()
            .into_inner()
            .case
            .unwrap()
    }

    /// The case's status, placement, institution and institution division as intake holds them.
    async fn placement_of(&self, case_id: &str) -> (i32, String, String, Option<String>) {
        let case = self.case(case_id).await;
        let division: Option<String> = with_db!(&self.db, |pool| sqlx::query_scalar(
            "SELECT institution_division FROM cases WHERE id = $1"
        )
        .bind(case_id)
        .fetch_one(pool)
        .await)
        .unwrap();
        (
            case.status,
            case.placement_id,
            case.institution_id,
            division,
        )
    }

    /// Where identity's file of `case_id` says the person is: (placement, institution).
    async fn foster_stay(&self, case_id: &str) -> Option<(String, String)> {
        IdentityQueryServiceClient::new(self.cluster.channel("identity", &xlt_station()).await)
            .get_identity_file(identity::GetIdentityFileRequest {
                case_id: case_id.to_owned(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .file
            .unwrap()
            .foster_stay
            .map(|stay| (stay.placement_id, stay.institution_id))
    }

    /// The intake events of type `M`.
    async fn events<M: Message + Name + Default>(&self) -> Vec<M> {
        events_in(&self.db).await
    }

    async fn stop(self) {
        self.db.close().await;
        self.identity_db.close().await;
        self.foster_db.close().await;
        self.cluster.stop().await.unwrap();
    }
}

fn at(instant: DateTime<Utc>) -> Option<prost_types::Timestamp> {
    Some(relief_runtime::time::timestamp(instant))
}

fn placed(
    case_id: &str,
    placement_id: &str,
    (institution_id, division): (&str, &str),
    placed_at: DateTime<Utc>,
    previous: &str,
) -> foster::ResidentPlaced {
    foster::ResidentPlaced {
        placement_id: placement_id.to_owned(),
        case_id: case_id.to_owned(),
        station: "xlt-station".to_owned(),
        division: "211103".to_owned(),
        institution_id: institution_id.to_owned(),
        institution_division: division.to_owned(),
        placed_at: at(placed_at),
        previous_placement_id: previous.to_owned(),
        ..Default::default()
    }
}

fn ended(
    case_id: &str,
    placement_id: &str,
    kind: foster::PlacementEndKind,
    ended_at: DateTime<Utc>,
    next: (&str, &str),
) -> foster::PlacementEnded {
    foster::PlacementEnded {
        placement_id: placement_id.to_owned(),
        case_id: case_id.to_owned(),
        division: "211103".to_owned(),
        institution_id: "any".to_owned(),
        kind: kind as i32,
        ended_at: at(ended_at),
        destination_division: if kind == foster::PlacementEndKind::ReturnedHome {
            "211102".to_owned()
        } else {
            String::new()
        },
        next_placement_id: next.0.to_owned(),
        next_institution_id: next.1.to_owned(),
    }
}

async fn the_case_follows_its_current_placement_only(backend: TestBackend) {
    let Some(kit) = Kit::start(backend).await else {
        return;
    };
    let admitted_at = kit.now() - Duration::hours(2);
    let case_id = kit
        .intake()
        .await
        .admit_person(walk_in(
            pb::IdentityStatus::Unknown,
            pb::Person {
                estimated_age: 60,
                ..Default::default()
            },
            admitted_at,
        ))
        .await
        .unwrap()
        .into_inner()
        .case
        .unwrap()
        .case_id;
    let in_care = pb::CaseStatus::InFosterCare as i32;
    let in_station = pb::CaseStatus::InStation as i32;
    let xlt = ("institution-xlt", "211103");
    let dw = ("institution-dw", "211104");
    let t0 = kit.now() - Duration::hours(1);
    let t1 = t0 + Duration::minutes(20);
    let t2 = t1 + Duration::minutes(20);

    kit.foster_writes(&placed(&case_id, "p1", xlt, t0, ""))
        .await;
    assert_eq!(
        kit.placement_of(&case_id).await,
        (
            in_care,
            "p1".to_owned(),
            xlt.0.to_owned(),
            Some(xlt.1.to_owned())
        )
    );
    assert_eq!(
        kit.foster_stay(&case_id).await,
        Some(("p1".to_owned(), xlt.0.to_owned()))
    );
    // The station cannot discharge a case in foster care: nothing changes.
    let error = kit
        .intake()
        .await
        .discharge_case(pb::DischargeCaseRequest {
            request_id: request_id(),
            case_id: case_id.clone(),
            kind: pb::DepartureKind::ReturnedHome as i32,
            departed_at: at(kit.now()),
            return_home: Some(pb::ReturnHome {
                mode: pb::ReturnMode::EscortedByStaff as i32,
                relative_id_checked: false,
                destination_division: "211102".to_owned(),
            }),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(
        (error.code(), reason(&error).as_str()),
        (Code::FailedPrecondition, "CASE_IN_FOSTER_CARE")
    );
    assert_eq!(kit.placement_of(&case_id).await.0, in_care);
    assert!(kit.events::<pb::CaseClosed>().await.is_empty());

    // A move whose new placement arrives first: the case follows it; the end of the old one
    // then changes nothing.
    let after_move = (
        in_care,
        "p2".to_owned(),
        dw.0.to_owned(),
        Some(dw.1.to_owned()),
    );
    kit.foster_writes(&placed(&case_id, "p2", dw, t1, "p1"))
        .await;
    assert_eq!(kit.placement_of(&case_id).await, after_move);
    let moved = ended(
        &case_id,
        "p1",
        foster::PlacementEndKind::Moved,
        t1,
        ("p2", dw.0),
    );
    kit.foster_writes(&moved).await;
    assert_eq!(kit.placement_of(&case_id).await, after_move);
    // The old placement's ResidentPlaced again, an end of a placement that is not the case's:
    // nothing changes.
    kit.foster_writes(&placed(&case_id, "p1", xlt, t0, ""))
        .await;
    let elsewhere = ended(
        &case_id,
        "p9",
        foster::PlacementEndKind::ReturnedHome,
        t1,
        ("", ""),
    );
    kit.foster_writes(&elsewhere).await;
    assert_eq!(kit.placement_of(&case_id).await, after_move);
    assert_eq!(
        kit.foster_stay(&case_id).await,
        Some(("p2".to_owned(), dw.0.to_owned()))
    );

    // Back to the station, twice: in the station once; the placement's ResidentPlaced again
    // does not bring the case back into foster care.
    let back = ended(
        &case_id,
        "p2",
        foster::PlacementEndKind::BackToStation,
        t2,
        ("", ""),
    );
    kit.foster_writes(&back).await;
    kit.foster_writes(&back).await;
    kit.foster_writes(&placed(&case_id, "p2", dw, t1, "p1"))
        .await;
    let station_again = (in_station, String::new(), String::new(), None);
    assert_eq!(kit.placement_of(&case_id).await, station_again);
    assert_eq!(kit.foster_stay(&case_id).await, None);

    // A case intake does not have is passed over, and the feed goes on.
    kit.foster_writes(&placed("no-such-case", "p7", xlt, t2, ""))
        .await;

    // In the station, the station discharges the case; a late end of a placement closes
    // nothing a second time.
    let discharged = kit
        .intake()
        .await
        .discharge_case(pb::DischargeCaseRequest {
            request_id: request_id(),
            case_id: case_id.clone(),
            kind: pb::DepartureKind::SelfDeparture as i32,
            departed_at: at(kit.now()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        discharged.into_inner().case.unwrap().status,
        pb::CaseStatus::Closed as i32
    );
    let death = ended(
        &case_id,
        "p2",
        foster::PlacementEndKind::Death,
        t2,
        ("", ""),
    );
    kit.foster_writes(&death).await;
    let closings = kit.events::<pb::CaseClosed>().await;
    assert_eq!(closings.len(), 1);
    assert_eq!(closings[0].kind, pb::DepartureKind::SelfDeparture as i32);
    kit.stop().await;
}

mod the_case_follows_its_current_placement_only {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::the_case_follows_its_current_placement_only(relief_testkit::TestBackend::Sqlite)
            .await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::the_case_follows_its_current_placement_only(relief_testkit::TestBackend::Postgres)
            .await;
    }
}
