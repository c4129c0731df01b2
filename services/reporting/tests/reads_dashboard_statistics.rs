//! GetDashboard, GetPeriodStatistics and GetIngestionStatus through the real cluster (all four
//! services, mTLS callers, one dev clock), on SQLite and PostgreSQL: the figures, the caller
//! policy (PERMISSION_DENIED) and the scope (a county sees its row; another county is NOT_FOUND).
//!
//! The dashboard and statistics tests seed the read models directly in the reporting database,
//! as the read-model contract says ingestion writes them (entity rows; period facts through
//! `facts::put`, the one writer of `r_daily`), because they test the reads, figure by figure,
//! independently of the ingestion handlers. The ingestion-status test uses real events.

#![allow(clippy::unwrap_used, reason = "test code: a panic is a failed test")]

use chrono::{DateTime, Utc};
use relief_proto::intake::v1 as intake;
use relief_proto::intake::v1::intake_service_client::IntakeServiceClient;
use relief_proto::reporting::v1 as pb;
use relief_proto::reporting::v1::reporting_service_client::ReportingServiceClient;
use relief_reporting::facts::{self, Contribution};
use relief_runtime::db::Db;
use relief_runtime::{Caller, with_db};
use relief_testkit::fixtures::units::*;
use relief_testkit::fixtures::{fields, instant, request_id};
use relief_testkit::scene::{start_with_pools, wait_caught_up};
use relief_testkit::{Cluster, TestBackend};
use tonic::Code;
use tonic::transport::Channel;

/// A cluster and pools on the databases of reporting, intake, identity and foster.
#[derive(Debug)]
struct Kit {
    cluster: Cluster,
    /// The reporting database.
    db: Db,
    /// The sources' databases, in `ingest::SOURCES` order.
    sources: Vec<(&'static str, Db)>,
}

/// One value bound to a seeding statement.
enum V {
    T(String),
    I(Option<i64>),
    S(Option<i32>),
}

fn t(text: &str) -> V {
    V::T(text.to_owned())
}

/// µs of the RFC 3339 instant `text`.
fn us(text: &str) -> i64 {
    instant(text).timestamp_micros()
}

fn at(text: &str) -> Option<DateTime<Utc>> {
    Some(instant(text))
}

impl Kit {
    async fn start(backend: TestBackend, start: Option<DateTime<Utc>>) -> Option<Kit> {
        let (cluster, mut pools) = start_with_pools(
            backend,
            start,
            &["reporting", "intake", "identity", "foster"],
            |_, _| {},
        )
        .await?;
        let db = pools.remove(0);
        let sources = ["intake", "identity", "foster"]
            .into_iter()
            .zip(pools)
            .collect();
        Some(Kit {
            cluster,
            db,
            sources,
        })
    }

    async fn reporting(&self, who: &Caller) -> ReportingServiceClient<Channel> {
        ReportingServiceClient::new(self.cluster.channel("reporting", who).await)
    }

    async fn dashboard(
        &self,
        who: &Caller,
        division: &str,
    ) -> Result<pb::GetDashboardResponse, tonic::Status> {
        self.reporting(who)
            .await
            .get_dashboard(pb::GetDashboardRequest {
                division: division.to_owned(),
            })
            .await
            .map(tonic::Response::into_inner)
    }

    async fn statistics(
        &self,
        who: &Caller,
        period: Option<pb::Period>,
        division: &str,
    ) -> Result<pb::GetPeriodStatisticsResponse, tonic::Status> {
        self.reporting(who)
            .await
            .get_period_statistics(pb::GetPeriodStatisticsRequest {
                period,
                division: division.to_owned(),
            })
            .await
            .map(tonic::Response::into_inner)
    }

    async fn ingestion(&self, who: &Caller) -> Result<Vec<pb::FeedStatus>, tonic::Status> {
        self.reporting(who)
            .await
            .get_ingestion_status(pb::GetIngestionStatusRequest {})
            .await
            .map(|response| response.into_inner().feeds)
    }

    /// Runs one seeding statement on the reporting database.
    async fn exec(&self, sql: &'static str, values: Vec<V>) {
        with_db!(&self.db, |pool| {
            let mut query = sqlx::query(sql);
            for value in &values {
                query = match value {
                    V::T(text) => query.bind(text.clone()),
                    V::I(number) => query.bind(*number),
                    V::S(number) => query.bind(*number),
                };
            }
            query.execute(pool).await.map(|_| ())
        })
        .unwrap();
    }

    /// A case admitted at `division` (open unless `closed`), flagged over 10 days per `stay`.
    async fn case(&self, id: &str, division: &str, stay: Stay, closed: bool) {
        let admitted = us("2026-03-01T09:00:00+08:00");
        let (over, justified) = match stay {
            Stay::Short => (None, None),
            Stay::Unjustified => (Some(admitted + 1), None),
            Stay::Justified => (Some(admitted + 1), Some(admitted + 2)),
        };
        self.exec(
            "INSERT INTO r_cases (case_id, station, division, admitted_at, admitted_day, \
             over_10_since, justified_at, closed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            vec![
                t(id),
                t("a-station"),
                t(division),
                V::I(Some(admitted)),
                t("2026-03-01"),
                V::I(over),
                V::I(justified),
                V::I(closed.then_some(admitted + 3)),
            ],
        )
        .await;
    }

    /// A placement of `case_id` in `division`, active unless `ended`.
    async fn placement(&self, id: &str, case_id: &str, division: &str, ended: bool) {
        let placed = us("2026-03-02T09:00:00+08:00");
        self.exec(
            "INSERT INTO r_placements (placement_id, case_id, division, institution_id, placed_at, \
             ended_at) VALUES ($1, $2, $3, $4, $5, $6)",
            vec![
                t(id),
                t(case_id),
                t(division),
                t("inst-1"),
                V::I(Some(placed)),
                V::I(ended.then_some(placed + 1)),
            ],
        )
        .await;
    }

    /// An identity file, stranded or not, confirmed or closed or not.
    async fn file(&self, id: &str, division: &str, stranded: bool, confirmed: bool, closed: bool) {
        let since = us("2026-03-03T09:00:00+08:00");
        self.exec(
            "INSERT INTO r_identity_files (file_id, case_id, division, stranded_since, \
             confirmed_at, closed_at) VALUES ($1, $2, $3, $4, $5, $6)",
            vec![
                t(id),
                t("case-of-file"),
                t(division),
                V::I(stranded.then_some(since)),
                V::I(confirmed.then_some(since + 1)),
                V::I(closed.then_some(since + 1)),
            ],
        )
        .await;
    }

    /// A verification request due at `due` (if received), answered, withdrawn, seen overdue.
    async fn verification(
        &self,
        id: &str,
        division: &str,
        due: Option<&str>,
        answered: bool,
        withdrawn: bool,
        overdue_at: Option<&str>,
    ) {
        let filed = us("2026-03-01T09:00:00+08:00");
        self.exec(
            "INSERT INTO r_verifications (verification_id, file_id, division, police_unit, \
             filed_at, due_at, answered_at, withdrawn_at, overdue_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            vec![
                t(id),
                t("a-file"),
                t(division),
                t("xlt-police"),
                V::I(Some(filed)),
                V::I(due.map(us)),
                V::I(answered.then_some(filed + 1)),
                V::I(withdrawn.then_some(filed + 1)),
                V::I(overdue_at.map(us)),
            ],
        )
        .await;
    }

    /// A resident-month: visited (counted) or not, seen overdue or not.
    async fn visit(
        &self,
        case_id: &str,
        month: &str,
        division: &str,
        visited: bool,
        overdue: bool,
    ) {
        self.exec(
            "INSERT INTO r_visits (case_id, month, division, visited_at, overdue) \
             VALUES ($1, $2, $3, $4, $5)",
            vec![
                t(case_id),
                t(month),
                t(division),
                V::I(visited.then_some(us("2026-03-05T09:00:00+08:00"))),
                V::S(Some(i32::from(overdue))),
            ],
        )
        .await;
    }

    /// A notification about `division` to acknowledge by `by`, acknowledged at `acknowledged`
    /// (with the event's on_time).
    async fn notification(
        &self,
        id: &str,
        division: &str,
        by: &str,
        acknowledged: Option<(&str, bool)>,
    ) {
        self.exec(
            "INSERT INTO r_notifications (notification_id, source_service, kind, subject, \
             division, recipient_kind, recipient_division, recipient_unit, issued_at, \
             acknowledge_by, acknowledged_at, ack_on_time) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            vec![
                t(id),
                t("identity"),
                t("VERIFICATION_OVERDUE"),
                t("verification/v"),
                t(division),
                V::S(Some(1)),
                t(division),
                t("a-unit"),
                V::I(Some(us("2026-03-01T09:00:00+08:00"))),
                V::I(Some(us(by))),
                V::I(acknowledged.map(|(when, _)| us(when))),
                V::S(acknowledged.map(|(_, on_time)| i32::from(on_time))),
            ],
        )
        .await;
    }

    /// An institution whose earliest document expires on `expire_on`; `expiring` as foster
    /// warned.
    async fn institution(&self, id: &str, division: &str, expire_on: &str, expiring: bool) {
        self.exec(
            "INSERT INTO r_institutions (institution_id, division, documents_expire_on, expiring) \
             VALUES ($1, $2, $3, $4)",
            vec![
                t(id),
                t(division),
                t(expire_on),
                V::S(Some(i32::from(expiring))),
            ],
        )
        .await;
    }

    /// Records period facts through `facts::put`, as ingestion does: (metric, subject, day,
    /// division, dim), each a count of one.
    async fn facts(&self, facts: &[(&str, &str, &str, &str, &str)]) {
        let mut tx = self.db.begin().await.unwrap();
        for (metric, subject, day, division, dim) in facts {
            facts::put(
                &mut tx,
                metric,
                subject,
                Some(Contribution::one((*day).to_owned(), division, dim)),
            )
            .await
            .unwrap();
        }
        tx.commit().await.unwrap();
    }
}

/// How a case's stay is flagged.
#[derive(Debug, Clone, Copy)]
enum Stay {
    Short,
    Unjustified,
    Justified,
}

macro_rules! cluster_tests {
    ($($args:tt)*) => {
        relief_testkit::cluster_tests!(Kit; $($args)*);
    };
}

const SZ: &str = "211102";
const XLT: &str = "211103";
const DW: &str = "211104";
const PS: &str = "211122";
const CITY: &str = "211100";

fn area(kind: pb::AreaKind, division: &str, name: &str) -> pb::Area {
    pb::Area {
        kind: kind as i32,
        division: division.to_owned(),
        name: name.to_owned(),
    }
}

/// The areas of the city's rows, in report order, then the city total.
fn city_areas() -> Vec<pb::Area> {
    use pb::AreaKind::{City, CityStation, County};
    vec![
        area(County, SZ, "双台子区"),
        area(County, XLT, "兴隆台区"),
        area(County, DW, "大洼区"),
        area(County, PS, "盘山县"),
        area(CityStation, CITY, "市本级"),
        area(City, CITY, "盘锦市"),
    ]
}

fn month(year: i32, number: i32) -> Option<pb::Period> {
    Some(pb::Period {
        kind: pb::PeriodKind::Month as i32,
        year,
        number,
    })
}

fn assert_denied(result: Result<impl std::fmt::Debug, tonic::Status>, code: Code) {
    assert_eq!(result.unwrap_err().code(), code);
}

/// The dashboard rows of the seeded read models at 2026-03-20 10:00 (see `seed_now`), in
/// city order: 双台子区, 兴隆台区, 大洼区, 盘山县, 市本级, 盘锦市.
fn expected_dashboard() -> Vec<pb::DashboardRow> {
    let areas = city_areas();
    let sz = pb::DashboardRow {
        area: Some(areas[0].clone()),
        in_station: 1,
        in_foster_care: 1,
        residents_not_visited_this_month: 1,
        notifications_unacknowledged: 1,
        notifications_overdue: 1,
        ..Default::default()
    };
    let xlt = pb::DashboardRow {
        area: Some(areas[1].clone()),
        in_station: 4,
        in_foster_care: 3,
        stays_over_10_days_justified: 1,
        stays_over_10_days_unjustified: 1,
        stranded: 1,
        verifications_overdue: 1,
        verifications_due_within_7_days: 1,
        residents_not_visited_this_month: 1,
        visits_overdue_last_month: 2,
        notifications_unacknowledged: 2,
        notifications_overdue: 1,
        institutions_documents_expiring: 3,
    };
    let dw = pb::DashboardRow {
        area: Some(areas[2].clone()),
        ..Default::default()
    };
    let ps = pb::DashboardRow {
        area: Some(areas[3].clone()),
        ..Default::default()
    };
    let city_station = pb::DashboardRow {
        area: Some(areas[4].clone()),
        in_station: 2,
        stays_over_10_days_unjustified: 1,
        stranded: 1,
        verifications_overdue: 1,
        institutions_documents_expiring: 1,
        ..Default::default()
    };
    let city = pb::DashboardRow {
        area: Some(areas[5].clone()),
        in_station: 7,
        in_foster_care: 4,
        stays_over_10_days_justified: 1,
        stays_over_10_days_unjustified: 2,
        stranded: 2,
        verifications_overdue: 2,
        verifications_due_within_7_days: 1,
        residents_not_visited_this_month: 2,
        visits_overdue_last_month: 2,
        notifications_unacknowledged: 3,
        notifications_overdue: 2,
        institutions_documents_expiring: 4,
    };
    vec![sz, xlt, dw, ps, city_station, city]
}

/// Seeds the entity read models; the dev clock stands at 2026-03-20 10:00 local.
async fn seed_now(kit: &Kit) {
    // 兴隆台区. In station: c1, c2 (over 10 days, justified), c3 (not justified), c6 (its
    // placement ended). c4 is closed; c5 is in foster care.
    kit.case("c1", XLT, Stay::Short, false).await;
    kit.case("c2", XLT, Stay::Justified, false).await;
    kit.case("c3", XLT, Stay::Unjustified, false).await;
    kit.case("c4", XLT, Stay::Unjustified, true).await;
    kit.case("c5", XLT, Stay::Short, false).await;
    kit.case("c6", XLT, Stay::Short, false).await;
    // In foster care: c5, c7 (its PersonAdmitted not arrived yet: no case row), c9 (moved from
    // p9 to p10: one resident). p6 and p8 ended.
    kit.placement("p5", "c5", XLT, false).await;
    kit.placement("p6", "c6", XLT, true).await;
    kit.placement("p7", "c7", XLT, false).await;
    kit.placement("p8", "c8", XLT, true).await;
    kit.placement("p9", "c9", XLT, true).await;
    kit.placement("p10", "c9", XLT, false).await;
    // Visits this month: c5 and c9 visited, c7's month open; last month c5 and c7 missed
    // (c9's was done); a miss in January and one this month do not count as last month's.
    kit.visit("c5", "2026-03", XLT, true, false).await;
    kit.visit("c7", "2026-03", XLT, false, true).await;
    kit.visit("c9", "2026-03", XLT, true, false).await;
    kit.visit("c5", "2026-02", XLT, false, true).await;
    kit.visit("c7", "2026-02", XLT, false, true).await;
    kit.visit("c9", "2026-02", XLT, true, false).await;
    kit.visit("c5", "2026-01", XLT, false, true).await;
    // Stranded: f1 only (f2 confirmed, f3 closed, f4 never stranded).
    kit.file("f1", XLT, true, false, false).await;
    kit.file("f2", XLT, true, true, false).await;
    kit.file("f3", XLT, true, false, true).await;
    kit.file("f4", XLT, false, false, false).await;
    // Verifications: v1 overdue; v2 due in 3 days; v3 in 10 days; v4 answered; v5 withdrawn;
    // v7 not received yet (no due time).
    let yesterday = "2026-03-19T10:00:00+08:00";
    kit.verification("v1", XLT, Some(yesterday), false, false, None)
        .await;
    kit.verification(
        "v2",
        XLT,
        Some("2026-03-23T10:00:00+08:00"),
        false,
        false,
        None,
    )
    .await;
    kit.verification(
        "v3",
        XLT,
        Some("2026-03-30T10:00:00+08:00"),
        false,
        false,
        None,
    )
    .await;
    kit.verification("v4", XLT, Some(yesterday), true, false, None)
        .await;
    kit.verification(
        "v5",
        XLT,
        Some("2026-03-22T10:00:00+08:00"),
        false,
        true,
        None,
    )
    .await;
    kit.verification("v7", XLT, None, false, false, None).await;
    // Notifications: n1 open, due tomorrow; n2 open and overdue; n3 acknowledged.
    kit.notification("n1", XLT, "2026-03-21T10:00:00+08:00", None)
        .await;
    kit.notification("n2", XLT, yesterday, None).await;
    kit.notification(
        "n3",
        XLT,
        yesterday,
        Some(("2026-03-18T10:00:00+08:00", true)),
    )
    .await;
    // Institutions: i1 expires within 30 days, i3 has expired, i4 was warned about; i2 later.
    kit.institution("i1", XLT, "2026-04-10", false).await;
    kit.institution("i2", XLT, "2026-05-30", false).await;
    kit.institution("i3", XLT, "2026-03-01", false).await;
    kit.institution("i4", XLT, "2026-06-01", true).await;

    // 双台子区: c11 in station; c12 in foster care, not visited; one overdue notification.
    kit.case("c11", SZ, Stay::Short, false).await;
    kit.placement("p12", "c12", SZ, false).await;
    kit.notification("n4", SZ, yesterday, None).await;

    // 市本级: c21, c22 (not justified) in station; f21 stranded; v21 seen overdue (its due time
    // is tomorrow by the figures it carried, but the overdue event counts); i21 expires on the
    // last day of the 30.
    kit.case("c21", CITY, Stay::Short, false).await;
    kit.case("c22", CITY, Stay::Unjustified, false).await;
    kit.file("f21", CITY, true, false, false).await;
    kit.verification(
        "v21",
        CITY,
        Some("2026-03-21T10:00:00+08:00"),
        false,
        false,
        Some(yesterday),
    )
    .await;
    kit.institution("i21", CITY, "2026-04-19", false).await;

    // A division that is none of the five: no row, in no total.
    kit.case("c99", "211199", Stay::Unjustified, false).await;
    kit.notification("n99", "211199", yesterday, None).await;
}

cluster_tests!(
    the_dashboard_counts_now_per_row_and_the_city_sums_them,
    start = at("2026-03-20T10:00:00+08:00"),
    |kit| {
        seed_now(&kit).await;
        let expected = expected_dashboard();

        let city = kit.dashboard(&city_civil_affairs(), "").await.unwrap();
        assert_eq!(city.rows, expected);
        assert!(!city.stale, "no feed is behind a known head");
        let as_of = relief_runtime::time::instant("as_of", city.as_of.as_ref()).unwrap();
        assert!(as_of >= instant("2026-03-20T10:00:00+08:00"));
        // The city government and the province see the same.
        assert_eq!(
            kit.dashboard(&city_government(), "").await.unwrap().rows,
            expected
        );
        assert_eq!(kit.dashboard(&province(), "").await.unwrap().rows, expected);

        // A county bureau, a county government and a station: their own row only.
        for who in [xlt_civil_affairs(), xlt_government(), xlt_station()] {
            let own = kit.dashboard(&who, "").await.unwrap();
            assert_eq!(own.rows, vec![expected[1].clone()], "{who:?}");
            assert_eq!(
                kit.dashboard(&who, XLT).await.unwrap().rows,
                vec![expected[1].clone()]
            );
            // Another county, the city station, or no row at all: as if it did not exist.
            for other in [SZ, CITY, "211199"] {
                assert_denied(kit.dashboard(&who, other).await, Code::NotFound);
            }
        }
        // The city station is a row of its own when asked for.
        assert_eq!(
            kit.dashboard(&city_civil_affairs(), CITY)
                .await
                .unwrap()
                .rows,
            vec![expected[4].clone()]
        );
        assert_eq!(
            kit.dashboard(&city_station(), "").await.unwrap().rows,
            vec![expected[4].clone()]
        );

        // Callers the dashboard is not for.
        for who in [city_police(), city_finance(), city_grid_center()] {
            assert_denied(kit.dashboard(&who, "").await, Code::PermissionDenied);
        }

        // A feed behind the head last seen of its source makes the dashboard stale. (Foster
        // writes events at start, so its row may exist already; no feed reaches 1000 here.)
        kit.exec(
            "INSERT INTO r_feed (feed, last_seq, last_occurred_at, applied, head_seq, \
             head_occurred_at) VALUES ($1, 0, 0, 0, 1000, $2) \
             ON CONFLICT (feed) DO UPDATE SET head_seq = 1000, \
             head_occurred_at = excluded.head_occurred_at",
            vec![t("foster"), V::I(Some(us("2026-03-20T09:30:00+08:00")))],
        )
        .await;
        assert!(
            kit.dashboard(&city_civil_affairs(), "")
                .await
                .unwrap()
                .stale
        );

        // Now moves on: on 2 April, March is last month and April has no visits yet; v2, v3
        // and n1 are past due; the 30 days reach 2 May.
        kit.cluster
            .clock
            .set(instant("2026-04-02T10:00:00+08:00"))
            .unwrap();
        let april = kit.dashboard(&xlt_civil_affairs(), "").await.unwrap();
        assert_eq!(
            april.rows,
            vec![pb::DashboardRow {
                residents_not_visited_this_month: 3,
                visits_overdue_last_month: 1,
                verifications_overdue: 3,
                verifications_due_within_7_days: 0,
                notifications_overdue: 2,
                ..expected[1].clone()
            }]
        );
    }
);

/// Seeds period facts of 2026 (January to April) and the notifications due in March.
async fn seed_period(kit: &Kit) {
    kit.facts(&[
        // 兴隆台区.
        ("sighting", "s1", "2026-03-05", XLT, ""),
        ("sighting", "s2", "2026-03-31", XLT, ""),
        ("sighting", "s3", "2026-02-10", XLT, ""),
        ("sighting", "s4", "2026-04-01", XLT, ""),
        (
            "encounter",
            "e1",
            "2026-03-06",
            XLT,
            "ENCOUNTER_OUTCOME_ESCORTED",
        ),
        (
            "encounter",
            "e2",
            "2026-03-07",
            XLT,
            "ENCOUNTER_OUTCOME_ESCORTED",
        ),
        (
            "encounter",
            "e3",
            "2026-03-08",
            XLT,
            "ENCOUNTER_OUTCOME_REFUSED",
        ),
        (
            "encounter",
            "e4",
            "2026-01-15",
            XLT,
            "ENCOUNTER_OUTCOME_ESCORTED",
        ),
        ("admission", "a1", "2026-03-02", XLT, "NEW"),
        ("admission", "a2", "2026-03-03", XLT, "NEW"),
        ("admission", "a3", "2026-03-04", XLT, "TRANSFER"),
        ("admission", "a4", "2026-02-01", XLT, "NEW"),
        ("admission.minor", "a1", "2026-03-02", XLT, ""),
        ("admission.disabled", "a1", "2026-03-02", XLT, ""),
        ("admission.elderly", "a2", "2026-03-03", XLT, ""),
        ("admission.elderly", "a4", "2026-02-01", XLT, ""),
        (
            "identification",
            "f1",
            "2026-03-10",
            XLT,
            "CONFIRMATION_METHOD_DOCUMENTS",
        ),
        (
            "identification",
            "case:a2",
            "2026-03-03",
            XLT,
            "AT_ADMISSION",
        ),
        (
            "departure",
            "a1",
            "2026-03-20",
            XLT,
            "DEPARTURE_KIND_RETURNED_HOME",
        ),
        ("departure", "a2", "2026-03-25", XLT, "DEPARTURE_KIND_DEATH"),
        (
            "departure",
            "a4",
            "2026-02-20",
            XLT,
            "DEPARTURE_KIND_RETURNED_HOME",
        ),
        ("placement", "p1", "2026-03-11", XLT, "NEW"),
        ("placement", "p2", "2026-03-12", XLT, "MOVE"),
        ("settlement.filed", "app1", "2026-03-13", XLT, ""),
        ("settlement.decided", "app1", "2026-03-28", XLT, "APPROVED"),
        ("settlement.decided", "app0", "2026-02-28", XLT, "REJECTED"),
        ("repeat", "a1", "2026-03-02", XLT, DW),
        ("repeat", "a2", "2026-03-03", XLT, DW),
        ("repeat", "x1", "2026-03-04", XLT, "130102"),
        ("repeat", "y1", "2026-03-05", XLT, ""),
        ("repeat", "z1", "2026-01-10", XLT, "130102"),
        ("police_answer", "v1", "2026-03-05", XLT, "ON_TIME"),
        ("police_answer", "v2", "2026-03-06", XLT, "ON_TIME"),
        ("police_answer", "v3", "2026-03-07", XLT, "ON_TIME"),
        ("police_answer", "v4", "2026-02-10", XLT, "LATE"),
        ("police_answer_days", "v1", "2026-03-04", XLT, "0003"),
        ("police_answer_days", "v2", "2026-03-06", XLT, "0005"),
        ("police_answer_days", "v3", "2026-03-09", XLT, "0012"),
        ("police_answer_days", "v5", "2026-03-10", XLT, "0004"),
        ("police_answer_days", "v4", "2026-02-20", XLT, "0020"),
        ("notice_24h", "f1", "2026-03-02", XLT, "ON_TIME"),
        ("notice_24h", "f2", "2026-03-03", XLT, "LATE"),
        ("request_7wd", "f1", "2026-03-12", XLT, "ON_TIME"),
        ("visit", "c5|2026-03", "2026-03-31", XLT, "DONE"),
        ("visit", "c7|2026-03", "2026-03-31", XLT, "OVERDUE"),
        ("visit", "c5|2026-02", "2026-02-28", XLT, "DONE"),
        // 双台子区.
        ("sighting", "s11", "2026-03-15", SZ, ""),
        ("admission", "b1", "2026-03-16", SZ, "NEW"),
        ("admission.mental_disorder", "b1", "2026-03-16", SZ, ""),
        ("police_answer", "w1", "2026-03-20", SZ, "ON_TIME"),
        ("police_answer_days", "w1", "2026-03-20", SZ, "0001"),
        ("repeat", "b1", "2026-03-16", SZ, DW),
        // 市本级: b3 continues a transfer.
        ("admission", "b2", "2026-03-01", CITY, "NEW"),
        ("admission", "b3", "2026-03-02", CITY, "TRANSFER"),
        (
            "identification",
            "case:b2",
            "2026-03-01",
            CITY,
            "AT_ADMISSION",
        ),
        (
            "departure",
            "b2",
            "2026-03-30",
            CITY,
            "DEPARTURE_KIND_DEATH",
        ),
        ("police_answer_days", "u1", "2026-03-03", CITY, "0007"),
        // Outside the five: no row, no total.
        ("sighting", "s99", "2026-03-10", "211199", ""),
        ("repeat", "c99", "2026-03-10", "211199", DW),
    ])
    .await;
    // A revision: v3's answer turned out late; the counter moves from ON_TIME to LATE.
    kit.facts(&[("police_answer", "v3", "2026-03-07", XLT, "LATE")])
        .await;

    // Notifications of 兴隆台区 by acknowledge_by (now: 20 March): A on time, B late, C
    // unacknowledged and past due, D not due yet, E acknowledged early, F due at 23:30 on
    // 31 March (a March day locally), G at 00:30 on 1 April (an April day locally).
    kit.notification(
        "nA",
        XLT,
        "2026-03-05T10:00:00+08:00",
        Some(("2026-03-05T09:00:00+08:00", true)),
    )
    .await;
    kit.notification(
        "nB",
        XLT,
        "2026-03-06T10:00:00+08:00",
        Some(("2026-03-07T09:00:00+08:00", false)),
    )
    .await;
    kit.notification("nC", XLT, "2026-03-10T10:00:00+08:00", None)
        .await;
    kit.notification("nD", XLT, "2026-03-25T10:00:00+08:00", None)
        .await;
    kit.notification(
        "nE",
        XLT,
        "2026-03-26T10:00:00+08:00",
        Some(("2026-03-19T09:00:00+08:00", true)),
    )
    .await;
    kit.notification(
        "nF",
        XLT,
        "2026-03-31T23:30:00+08:00",
        Some(("2026-03-19T09:00:00+08:00", true)),
    )
    .await;
    kit.notification(
        "nG",
        XLT,
        "2026-04-01T00:30:00+08:00",
        Some(("2026-03-19T09:00:00+08:00", true)),
    )
    .await;
}

fn ratio(on_time: i32, due: i32) -> Option<pb::Ratio> {
    Some(pb::Ratio { on_time, due })
}

fn counts(pairs: &[(&str, i32)]) -> std::collections::HashMap<String, i32> {
    pairs
        .iter()
        .map(|(key, value)| ((*key).to_owned(), *value))
        .collect()
}

/// A row with nothing in it: zero admissions and zero ratios.
fn empty_row(area: &pb::Area) -> pb::PeriodStatisticsRow {
    pb::PeriodStatisticsRow {
        area: Some(area.clone()),
        admissions: Some(pb::AdmissionCounts::default()),
        compliance: Some(pb::Compliance {
            police_answers: ratio(0, 0),
            police_answer_median_days: 0.0,
            notices_within_24_hours: ratio(0, 0),
            requests_within_7_working_days: ratio(0, 0),
            visits: ratio(0, 0),
            notifications_acknowledged: ratio(0, 0),
        }),
        ..Default::default()
    }
}

/// 兴隆台区 in March 2026.
fn xlt_march() -> pb::PeriodStatisticsRow {
    pb::PeriodStatisticsRow {
        area: Some(city_areas()[1].clone()),
        sightings: 2,
        encounters_by_outcome: counts(&[
            ("ENCOUNTER_OUTCOME_ESCORTED", 2),
            ("ENCOUNTER_OUTCOME_REFUSED", 1),
        ]),
        admissions: Some(pb::AdmissionCounts {
            total: 2,
            transfers: 1,
            disabled: 1,
            minor: 1,
            elderly: 1,
            ..Default::default()
        }),
        identifications_by_method: counts(&[
            ("CONFIRMATION_METHOD_DOCUMENTS", 1),
            ("AT_ADMISSION", 1),
        ]),
        returns_home: 1,
        placements: 1,
        settlements_filed: 1,
        settlements_approved: 1,
        deaths: 1,
        compliance: Some(pb::Compliance {
            police_answers: ratio(2, 3),
            // 3, 4, 5, 12: between 4 and 5.
            police_answer_median_days: 4.5,
            notices_within_24_hours: ratio(1, 2),
            requests_within_7_working_days: ratio(1, 1),
            visits: ratio(1, 2),
            // A, E, F on time of A, B, C, E, F.
            notifications_acknowledged: ratio(3, 5),
        }),
    }
}

cluster_tests!(
    period_statistics_sum_the_days_of_the_period,
    start = at("2026-03-20T10:00:00+08:00"),
    |kit| {
        seed_period(&kit).await;
        let areas = city_areas();

        // March, for the city.
        let march = kit
            .statistics(&city_civil_affairs(), month(2026, 3), "")
            .await
            .unwrap();
        assert_eq!(march.period, month(2026, 3));
        let sz = pb::PeriodStatisticsRow {
            sightings: 1,
            admissions: Some(pb::AdmissionCounts {
                total: 1,
                mental_disorder: 1,
                ..Default::default()
            }),
            compliance: Some(pb::Compliance {
                police_answers: ratio(1, 1),
                police_answer_median_days: 1.0,
                ..empty_row(&areas[0]).compliance.unwrap()
            }),
            ..empty_row(&areas[0])
        };
        let city_station = pb::PeriodStatisticsRow {
            admissions: Some(pb::AdmissionCounts {
                total: 1,
                transfers: 1,
                ..Default::default()
            }),
            identifications_by_method: counts(&[("AT_ADMISSION", 1)]),
            deaths: 1,
            compliance: Some(pb::Compliance {
                police_answer_median_days: 7.0,
                ..empty_row(&areas[4]).compliance.unwrap()
            }),
            ..empty_row(&areas[4])
        };
        let city = pb::PeriodStatisticsRow {
            area: Some(areas[5].clone()),
            sightings: 3,
            admissions: Some(pb::AdmissionCounts {
                total: 4,
                transfers: 2,
                disabled: 1,
                mental_disorder: 1,
                minor: 1,
                elderly: 1,
                ..Default::default()
            }),
            identifications_by_method: counts(&[
                ("CONFIRMATION_METHOD_DOCUMENTS", 1),
                ("AT_ADMISSION", 2),
            ]),
            deaths: 2,
            compliance: Some(pb::Compliance {
                police_answers: ratio(3, 4),
                // 1, 3, 4, 5, 7, 12: between 4 and 5.
                police_answer_median_days: 4.5,
                ..xlt_march().compliance.unwrap()
            }),
            ..xlt_march()
        };
        assert_eq!(
            march.rows,
            vec![
                sz,
                xlt_march(),
                empty_row(&areas[2]),
                empty_row(&areas[3]),
                city_station,
                city
            ]
        );
        let origins: Vec<(String, String, i32)> = march
            .repeat_vagrancy_by_origin
            .iter()
            .map(|origin| {
                (
                    origin.origin_division.clone(),
                    origin.name.clone(),
                    origin.repeat_cases,
                )
            })
            .collect();
        assert_eq!(
            origins,
            [
                (DW.to_owned(), "大洼区".to_owned(), 3),
                ("130102".to_owned(), "长安区".to_owned(), 1),
                (String::new(), String::new(), 1),
            ]
        );

        // The first quarter adds January and February to 兴隆台区's March.
        let q1 = kit
            .statistics(
                &xlt_civil_affairs(),
                Some(pb::Period {
                    kind: pb::PeriodKind::Quarter as i32,
                    year: 2026,
                    number: 1,
                }),
                "",
            )
            .await
            .unwrap();
        let xlt_q1 = pb::PeriodStatisticsRow {
            sightings: 3,
            encounters_by_outcome: counts(&[
                ("ENCOUNTER_OUTCOME_ESCORTED", 3),
                ("ENCOUNTER_OUTCOME_REFUSED", 1),
            ]),
            admissions: Some(pb::AdmissionCounts {
                total: 3,
                elderly: 2,
                ..xlt_march().admissions.unwrap()
            }),
            returns_home: 2,
            compliance: Some(pb::Compliance {
                police_answers: ratio(2, 4),
                // 3, 4, 5, 12, 20: the middle one.
                police_answer_median_days: 5.0,
                visits: ratio(2, 3),
                ..xlt_march().compliance.unwrap()
            }),
            ..xlt_march()
        };
        assert_eq!(q1.rows, vec![xlt_q1]);
        assert_eq!(
            q1.repeat_vagrancy_by_origin
                .iter()
                .map(|origin| (origin.origin_division.as_str(), origin.repeat_cases))
                .collect::<Vec<_>>(),
            [("130102", 2), (DW, 2), ("", 1)],
            "only 兴隆台区's cases, most first, equal counts by code"
        );

        // The year takes April's sighting too.
        let year = kit
            .statistics(
                &xlt_government(),
                Some(pb::Period {
                    kind: pb::PeriodKind::Year as i32,
                    year: 2026,
                    number: 0,
                }),
                XLT,
            )
            .await
            .unwrap();
        assert_eq!(year.rows.len(), 1);
        assert_eq!(year.rows[0].sightings, 4);

        // A county asking for another county, or a division with no row: NOT_FOUND.
        assert_denied(
            kit.statistics(&xlt_civil_affairs(), month(2026, 3), SZ)
                .await,
            Code::NotFound,
        );
        assert_denied(
            kit.statistics(&city_civil_affairs(), month(2026, 3), "211199")
                .await,
            Code::NotFound,
        );
        // The city station's row alone.
        let station = kit
            .statistics(&city_government(), month(2026, 3), CITY)
            .await
            .unwrap();
        assert_eq!(
            station
                .rows
                .iter()
                .map(|row| row.area.clone().unwrap())
                .collect::<Vec<_>>(),
            vec![areas[4].clone()]
        );

        // A malformed or missing period is named.
        for period in [month(2026, 13), None] {
            let status = kit
                .statistics(&city_civil_affairs(), period, "")
                .await
                .unwrap_err();
            assert_eq!(status.code(), Code::InvalidArgument);
            assert_eq!(fields(&status), ["period"]);
        }

        // Stations, police and supervisors do not read period statistics.
        for who in [xlt_station(), city_police(), city_finance()] {
            assert_denied(
                kit.statistics(&who, month(2026, 3), "").await,
                Code::PermissionDenied,
            );
        }
    }
);

cluster_tests!(ingestion_status_shows_each_feed_and_its_lag, |kit| {
    // One intake event at least: a sighting.
    let now = kit.cluster.clock.now();
    IntakeServiceClient::new(kit.cluster.channel("intake", &city_grid_center()).await)
        .report_sighting(intake::ReportSightingRequest {
            request_id: request_id(),
            division: XLT.to_owned(),
            address: "兴隆台区 石油大街 站前广场".to_owned(),
            found_at: Some(relief_runtime::time::timestamp(
                now - chrono::Duration::minutes(30),
            )),
            description: "男性，约50岁".to_owned(),
            flags: None,
        })
        .await
        .unwrap();
    let mut heads = Vec::new();
    for (source, db) in &kit.sources {
        wait_caught_up(
            &format!("reporting has applied {source}'s feed"),
            &kit.db,
            &format!("reporting<-{source}"),
            db,
        )
        .await;
        heads.push(relief_runtime::events::outbox::head(db).await.unwrap());
    }
    assert!(heads[0] >= 1, "intake wrote the sighting's event");

    // Every source answers: cursor = head, no lag.
    let feeds = kit.ingestion(&city_civil_affairs()).await.unwrap();
    assert_eq!(
        feeds
            .iter()
            .map(|feed| (
                feed.source.as_str(),
                feed.cursor,
                feed.head_seq,
                feed.lag_events,
                feed.lag_seconds,
                feed.source_reachable
            ))
            .collect::<Vec<_>>(),
        [
            ("intake", heads[0], heads[0], 0, 0, true),
            ("identity", heads[1], heads[1], 0, 0, true),
            ("foster", heads[2], heads[2], 0, 0, true),
        ]
    );
    assert_eq!(feeds[0].applied, heads[0]);
    assert!(feeds[0].last_applied_occurred_at.is_some());
    assert!(
        !kit.dashboard(&city_civil_affairs(), "")
            .await
            .unwrap()
            .stale
    );

    // Intake goes down: it is unreachable, with the head last seen of it.
    kit.cluster.stop_service("intake").await;
    let feeds = kit.ingestion(&xlt_civil_affairs()).await.unwrap();
    assert_eq!(
        (
            feeds[0].head_seq,
            feeds[0].lag_events,
            feeds[0].source_reachable
        ),
        (heads[0], 0, false)
    );
    assert!(feeds[1].source_reachable && feeds[2].source_reachable);

    // Had the last head seen of intake been two events and 90 s ahead of the cursor (reporting
    // lagging when it was asked), that is what shows while intake is down, and the dashboard
    // is stale without asking intake.
    kit.exec(
        "UPDATE r_feed SET head_seq = last_seq + 2, head_occurred_at = last_occurred_at + $1 \
         WHERE feed = $2",
        vec![V::I(Some(90_000_000)), t("intake")],
    )
    .await;
    let feeds = kit.ingestion(&city_government()).await.unwrap();
    assert_eq!(
        (
            feeds[0].cursor,
            feeds[0].head_seq,
            feeds[0].lag_events,
            feeds[0].lag_seconds,
            feeds[0].source_reachable
        ),
        (heads[0], heads[0] + 2, 2, 90, false)
    );
    assert!(
        kit.dashboard(&city_civil_affairs(), "")
            .await
            .unwrap()
            .stale
    );

    // Back up: the head it answers replaces the cached one, and nothing is stale.
    kit.cluster.start_service("intake").await;
    let feeds = kit
        .ingestion(&relief_runtime::pki::service_caller("intake"))
        .await
        .unwrap();
    assert_eq!(
        (
            feeds[0].head_seq,
            feeds[0].lag_events,
            feeds[0].source_reachable
        ),
        (heads[0], 0, true)
    );
    assert!(
        !kit.dashboard(&city_civil_affairs(), "")
            .await
            .unwrap()
            .stale
    );

    // Callers the ingestion status is not for.
    for who in [xlt_station(), city_police(), city_finance()] {
        assert_denied(kit.ingestion(&who).await, Code::PermissionDenied);
    }
});

cluster_tests!(the_service_learns_its_sources_heads_by_itself, |kit| {
    // A sighting, and no one asks for the ingestion status: the service's own refresh caches
    // intake's head, which the dashboard's `stale` reads.
    let now = kit.cluster.clock.now();
    IntakeServiceClient::new(kit.cluster.channel("intake", &city_grid_center()).await)
        .report_sighting(intake::ReportSightingRequest {
            request_id: request_id(),
            division: XLT.to_owned(),
            address: "兴隆台区 石油大街 站前广场".to_owned(),
            found_at: Some(relief_runtime::time::timestamp(
                now - chrono::Duration::minutes(30),
            )),
            description: "男性，约50岁".to_owned(),
            flags: None,
        })
        .await
        .unwrap();
    let intake_head = relief_runtime::events::outbox::head(&kit.sources[0].1)
        .await
        .unwrap();
    assert!(intake_head >= 1);
    relief_testkit::wait_until("reporting caches intake's head by itself", || async {
        let cached: Option<i64> = with_db!(&kit.db, |pool| {
            sqlx::query_scalar("SELECT head_seq FROM r_feed WHERE feed = 'intake'")
                .fetch_optional(pool)
                .await
        })
        .unwrap()
        .flatten();
        cached == Some(intake_head)
    })
    .await;
});
