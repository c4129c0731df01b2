//! A month of relief work, and the reports of it (issue #7), on both backends. Driven through the
//! services as their real callers would, on the dev clock, from 2026-03-02 09:00 in 兴隆台区:
//!
//! 1. the grid centre reports three sightings; the Xinglongtai station admits five people: P1
//!    (who stayed there in February with his ID card) and P2 unknown, P3 an elderly man with his ID card (treated at the station's cost, then home
//!    on 5 March), P4 and P5 unknown and placed in a county institution the same day;
//! 2. notices: published within 24 hours for P1, P4 and P5, never for P2; verification requests
//!    filed at once for P1 and P2, never for P4 and P5 (late after 7 working days); the forensics
//!    unit answers P1 at once (identified by DNA: his two stays are linked, a repeat from 兴隆台区)
//!    and P2 only after its month has passed;
//! 3. the station visits P4 in March, not P5 (overdue when March ends); P5's institution reports
//!    an injury;
//! 4. the reports are checked figure by figure against what was driven: March statistics, the year's
//!    compliance, the dashboard on 3 April, the funds, the alerts of the station, the
//!    accountability report, and the March statistics as an XLSX file opened and read cell by cell;
//! 5. reporting's database is deleted and rebuilt from the feeds: the same figures, alerts,
//!    accountability and major situations;
//! 6. identity is stopped while a sixth person is admitted and two days pass: reporting shows the
//!    source unreachable and the admission without identity's figures; identity is started again,
//!    catches up, and the figures converge (the sixth person's notice is late).

#![allow(clippy::unwrap_used, reason = "test code: a panic is a failed test")]

#[macro_use]
#[path = "common/mod.rs"]
mod common;

use std::collections::HashMap;
use std::io::Cursor;

use calamine::{Data, DataType, Reader, Xlsx, open_workbook_from_rs};
use chrono::{DateTime, Duration, Utc};
use common::care::institution;
use common::{Scene, admission, timestamp};
use relief_proto::foster::v1 as foster;
use relief_proto::identity::v1 as identity;
use relief_proto::intake::v1 as intake;
use relief_proto::reporting::v1 as reporting;
use relief_proto::reporting::v1::reporting_service_client::ReportingServiceClient;
use relief_runtime::Caller;
use relief_testkit::fixtures::units::{
    city_civil_affairs, city_grid_center, forensics, xlt_civil_affairs, xlt_station,
};
use relief_testkit::fixtures::{instant, request_id};
use relief_testkit::{TestBackend, wait_until};
use tonic::transport::Channel;

on_both_backends!(
    a_month_is_reported_figure_by_figure_and_rebuilt_from_the_feeds,
    super::a_month_is_reported
);

const XLT: &str = "211103";

fn march() -> reporting::Period {
    reporting::Period {
        kind: reporting::PeriodKind::Month as i32,
        year: 2026,
        number: 3,
    }
}

fn april() -> reporting::Period {
    reporting::Period {
        kind: reporting::PeriodKind::Month as i32,
        year: 2026,
        number: 4,
    }
}

fn year() -> reporting::Period {
    reporting::Period {
        kind: reporting::PeriodKind::Year as i32,
        year: 2026,
        number: 0,
    }
}

/// P1's ID number: a man born 1975-03-08 with his household in Xinglongtai.
fn p1_id_number() -> String {
    relief_testkit::fixtures::id_number("211103", "19750308", "123")
}

/// What the scenario drives and reads beyond the shared scene.
impl Scene {
    async fn reporting(&self, who: &Caller) -> ReportingServiceClient<Channel> {
        ReportingServiceClient::new(self.cluster.channel("reporting", who).await)
    }

    /// The grid centre reports a sighting in Xinglongtai at `at`.
    async fn sighting(&self, at: DateTime<Utc>) {
        self.intake(&city_grid_center())
            .await
            .report_sighting(intake::ReportSightingRequest {
                request_id: request_id(),
                division: XLT.to_owned(),
                address: "兴隆台区 石油大街 站前广场".to_owned(),
                found_at: timestamp(at),
                description: "男性，约60岁，衣着单薄".to_owned(),
                flags: None,
            })
            .await
            .unwrap();
    }

    /// Admits an unknown person at `at`; waits for identity's file. Returns (case id, file id).
    async fn unknown(&self, at: DateTime<Utc>) -> (String, String) {
        let case_id = self.walk_in_unknown(at).await;
        let file = self.file_of(&case_id).await;
        (case_id, file.file_id)
    }

    /// Identity's file of `case_id`, once it is opened.
    async fn file_of(&self, case_id: &str) -> identity::IdentityFile {
        let client = self.identity(&xlt_station()).await;
        let request = identity::GetIdentityFileRequest {
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

    /// The station publishes the search notice of `file_id` at `at`.
    async fn publish_notice(&self, file_id: &str, at: DateTime<Utc>) {
        self.identity(&xlt_station())
            .await
            .record_notice_publication(identity::RecordNoticePublicationRequest {
                request_id: request_id(),
                file_id: file_id.to_owned(),
                platform: "全国救助寻亲网".to_owned(),
                reference: format!("https://example.org/xunqin/{file_id}"),
                published_at: timestamp(at),
            })
            .await
            .unwrap();
    }

    /// The station asks the forensics unit for DNA comparison; the unit acknowledges it at once.
    /// Returns the verification id.
    async fn request_dna(&self, file_id: &str) -> String {
        let verification_id = self
            .identity(&xlt_station())
            .await
            .file_verification_request(identity::FileVerificationRequestRequest {
                request_id: request_id(),
                file_id: file_id.to_owned(),
                methods: vec![identity::VerificationMethod::Dna as i32],
                police_unit: forensics().unit,
                note: "请协助 DNA 采集比对".to_owned(),
            })
            .await
            .unwrap()
            .into_inner()
            .verification
            .unwrap()
            .verification_id;
        self.identity(&forensics())
            .await
            .acknowledge_verification_request(identity::AcknowledgeVerificationRequestRequest {
                request_id: request_id(),
                verification_id: verification_id.clone(),
            })
            .await
            .unwrap();
        verification_id
    }

    /// The forensics unit answers `verification_id` with `outcome`.
    async fn answer(
        &self,
        verification_id: &str,
        outcome: identity::submit_verification_result_request::Outcome,
    ) {
        self.identity(&forensics())
            .await
            .submit_verification_result(identity::SubmitVerificationResultRequest {
                request_id: request_id(),
                verification_id: verification_id.to_owned(),
                method: identity::VerificationMethod::Dna as i32,
                outcome: Some(outcome),
            })
            .await
            .unwrap();
    }

    /// Waits until reporting has applied every event its three sources have written, by its own
    /// GetIngestionStatus; returns the status.
    async fn reporting_caught_up(&self) -> Vec<reporting::FeedStatus> {
        let client = self.reporting(&city_civil_affairs()).await;
        wait_until("reporting applies every event of its sources", || {
            let mut client = client.clone();
            async move {
                let Ok(status) = client
                    .get_ingestion_status(reporting::GetIngestionStatusRequest {})
                    .await
                else {
                    return false;
                };
                let feeds = status.into_inner().feeds;
                feeds.len() == 3
                    && feeds.iter().all(|feed| {
                        feed.source_reachable && feed.lag_events == 0 && feed.cursor > 0
                    })
            }
        })
        .await;
        client
            .clone()
            .get_ingestion_status(reporting::GetIngestionStatusRequest {})
            .await
            .unwrap()
            .into_inner()
            .feeds
    }

    async fn statistics(
        &self,
        period: reporting::Period,
    ) -> reporting::GetPeriodStatisticsResponse {
        self.reporting(&city_civil_affairs())
            .await
            .get_period_statistics(reporting::GetPeriodStatisticsRequest {
                period: Some(period),
                division: String::new(),
            })
            .await
            .unwrap()
            .into_inner()
    }

    /// Every figure the reports give, as one comparable value (the dashboard without its as_of).
    async fn figures(&self) -> Figures {
        let mut client = self.reporting(&city_civil_affairs()).await;
        let dashboard = client
            .get_dashboard(reporting::GetDashboardRequest::default())
            .await
            .unwrap()
            .into_inner();
        let funds = client
            .get_funds_report(reporting::GetFundsReportRequest {
                period: Some(march()),
                division: String::new(),
            })
            .await
            .unwrap()
            .into_inner();
        let accountability = client
            .get_accountability_report(reporting::GetAccountabilityReportRequest {
                period: Some(march()),
                division: String::new(),
            })
            .await
            .unwrap()
            .into_inner();
        let major = client
            .list_major_situations(reporting::ListMajorSituationsRequest {
                page_size: 500,
                period: Some(march()),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        let alerts = self
            .reporting(&xlt_station())
            .await
            .list_alerts(reporting::ListAlertsRequest {
                page_size: 500,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        Figures {
            march: self.statistics(march()).await,
            year: self.statistics(year()).await,
            dashboard: dashboard.rows,
            funds: funds.rows,
            accountability,
            major,
            alerts,
        }
    }
}

/// What the reports said at one moment.
#[derive(Debug, PartialEq)]
struct Figures {
    march: reporting::GetPeriodStatisticsResponse,
    year: reporting::GetPeriodStatisticsResponse,
    dashboard: Vec<reporting::DashboardRow>,
    funds: Vec<reporting::FundsRow>,
    accountability: reporting::GetAccountabilityReportResponse,
    major: reporting::ListMajorSituationsResponse,
    alerts: reporting::ListAlertsResponse,
}

/// The row of `division` (an area kind other than the city total).
fn row<'a, T>(
    rows: &'a [T],
    area: impl Fn(&T) -> Option<&reporting::Area>,
    division: &str,
) -> &'a T {
    rows.iter()
        .find(|row| {
            area(row).is_some_and(|area| {
                area.division == division && area.kind != reporting::AreaKind::City as i32
            })
        })
        .unwrap_or_else(|| panic!("a row for {division}"))
}

fn statistics_row<'a>(
    statistics: &'a reporting::GetPeriodStatisticsResponse,
    division: &str,
) -> &'a reporting::PeriodStatisticsRow {
    row(&statistics.rows, |row| row.area.as_ref(), division)
}

fn ratio(on_time: i32, due: i32) -> Option<reporting::Ratio> {
    Some(reporting::Ratio { on_time, due })
}

/// The scenario.
async fn a_month_is_reported(backend: TestBackend) {
    let t0 = instant("2026-03-02T09:00:00+08:00");
    let Some(mut scene) = Scene::start(backend, Some(t0)).await else {
        return;
    };

    // P1 stayed at the station in February, with his ID card: his identification in March links
    // the two stays (repeat vagrancy, origin 兴隆台区).
    let earlier = scene
        .admit(
            &xlt_station(),
            admission(
                intake::IdentityStatus::Confirmed,
                intake::Person {
                    name: "李四".to_owned(),
                    sex: intake::Sex::Male as i32,
                    id_number: p1_id_number(),
                    ..Default::default()
                },
                t0 - Duration::days(20),
            ),
        )
        .await;
    scene
        .intake(&xlt_station())
        .await
        .discharge_case(intake::DischargeCaseRequest {
            request_id: request_id(),
            case_id: earlier,
            kind: intake::DepartureKind::SelfDeparture as i32,
            departed_at: timestamp(t0 - Duration::days(18)),
            ..Default::default()
        })
        .await
        .unwrap();

    // 1. Three sightings, five admissions.
    for minutes in [90, 70, 50] {
        scene.sighting(t0 - Duration::minutes(minutes)).await;
    }
    let (_p1, p1_file) = scene.unknown(t0 - Duration::minutes(40)).await;
    let (_p2, p2_file) = scene.unknown(t0 - Duration::minutes(30)).await;
    let p3 = scene
        .admit(
            &xlt_station(),
            intake::AdmitPersonRequest {
                flags: Some(intake::VulnerableFlags {
                    elderly: true,
                    ..Default::default()
                }),
                ..admission(
                    intake::IdentityStatus::Confirmed,
                    intake::Person {
                        name: "王五".to_owned(),
                        sex: intake::Sex::Male as i32,
                        id_number: relief_testkit::fixtures::id_number("211102", "19540611", "135"),
                        ..Default::default()
                    },
                    t0 - Duration::minutes(20),
                )
            },
        )
        .await;
    let (p4, p4_file) = scene.unknown(t0 - Duration::minutes(10)).await;
    let (p5, p5_file) = scene.unknown(t0 - Duration::minutes(5)).await;
    scene
        .intake(&xlt_station())
        .await
        .record_service(intake::RecordServiceRequest {
            request_id: request_id(),
            case_id: p3.clone(),
            kind: intake::ServiceKind::Treatment as i32,
            given_at: timestamp(t0),
            cost: Some(relief_proto::common::v1::Money { fen: 12_345 }),
            description: "门诊输液".to_owned(),
        })
        .await
        .unwrap();

    // 2. Notices and requests; P1 identified at once.
    for file in [&p1_file, &p4_file, &p5_file] {
        scene.publish_notice(file, t0).await;
    }
    let p1_request = scene.request_dna(&p1_file).await;
    let p2_request = scene.request_dna(&p2_file).await;
    scene
        .answer(
            &p1_request,
            identity::submit_verification_result_request::Outcome::Identified(
                identity::Identified {
                    identity: Some(identity::IdentityDetails {
                        name: "李四".to_owned(),
                        id_number: p1_id_number(),
                        household_address: "辽宁省盘锦市兴隆台区石油大街 8 号".to_owned(),
                        household_division: String::new(),
                    }),
                },
            ),
        )
        .await;

    // P4 and P5 placed in a county institution.
    let home = scene
        .institution(&xlt_civil_affairs(), XLT, "兴隆台区社会福利中心")
        .await;
    scene.sign(&home).await;
    let p4_placement = scene.place(&p4, &home).await;
    let p5_placement = scene.place(&p5, &home).await;

    // P3 goes home on 5 March.
    let day5 = instant("2026-03-05T10:00:00+08:00");
    scene.set_clock(day5);
    scene
        .intake(&xlt_station())
        .await
        .discharge_case(intake::DischargeCaseRequest {
            request_id: request_id(),
            case_id: p3.clone(),
            kind: intake::DepartureKind::ReturnedHome as i32,
            departed_at: timestamp(day5),
            return_home: Some(intake::ReturnHome {
                mode: intake::ReturnMode::TravelVoucher as i32,
                relative_id_checked: false,
                destination_division: "211102".to_owned(),
            }),
            ..Default::default()
        })
        .await
        .unwrap();

    // 3. The station visits P4 on 10 March; P5's institution reports an injury.
    let day10 = instant("2026-03-10T10:00:00+08:00");
    scene.set_clock(day10);
    scene
        .foster(&xlt_station())
        .await
        .record_visit(foster::RecordVisitRequest {
            request_id: request_id(),
            placement_id: p4_placement.placement_id.clone(),
            visited_at: timestamp(day10),
            care_conditions: "精神状态良好，床铺整洁".to_owned(),
            identity_inquiry: "询问口音与家乡，已比对寻亲公告".to_owned(),
        })
        .await
        .unwrap();
    scene
        .foster(&institution(&home, XLT))
        .await
        .report_foster_incident(foster::ReportFosterIncidentRequest {
            request_id: request_id(),
            placement_id: p5_placement.placement_id.clone(),
            kind: foster::IncidentKind::Injury as i32,
            occurred_at: timestamp(day10 - Duration::hours(2)),
            description: "下楼时摔倒，左腕擦伤，已送医处置".to_owned(),
        })
        .await
        .unwrap();

    // The month passes; P2's answer is due on 2 April and comes on 3 April: late.
    scene.set_clock(instant("2026-03-20T10:00:00+08:00"));
    scene.set_clock(instant("2026-04-01T10:00:00+08:00"));
    let day_after_due = instant("2026-04-03T10:00:00+08:00");
    scene.set_clock(day_after_due);
    let station_identity = scene.identity(&xlt_station()).await;
    let get_p2 = identity::GetVerificationRequestRequest {
        verification_id: p2_request.clone(),
    };
    wait_until("identity marks P2's request overdue", || {
        let (mut client, request) = (station_identity.clone(), get_p2.clone());
        async move {
            let verification = client
                .get_verification_request(request)
                .await
                .unwrap()
                .into_inner()
                .verification
                .unwrap();
            verification.overdue
        }
    })
    .await;
    scene
        .answer(
            &p2_request,
            identity::submit_verification_result_request::Outcome::NoMatch(identity::NoMatch {
                sample_reference: "DNA-2026-0402".to_owned(),
            }),
        )
        .await;

    // 4. The reports, figure by figure.
    scene.reporting_caught_up().await;
    let expected_visits = ratio(1, 2);
    wait_until("reporting counts March's visits", || async {
        statistics_row(&scene.statistics(march()).await, XLT)
            .compliance
            .as_ref()
            .and_then(|compliance| compliance.visits)
            == expected_visits
    })
    .await;
    let figures = scene.figures().await;

    let march_xlt = statistics_row(&figures.march, XLT);
    assert_eq!(march_xlt.sightings, 3);
    let admissions = march_xlt.admissions.as_ref().unwrap();
    assert_eq!((admissions.total, admissions.transfers), (5, 0));
    assert_eq!(admissions.elderly, 1);
    assert_eq!(admissions.minor, 0);
    assert_eq!(
        march_xlt.identifications_by_method,
        HashMap::from([
            ("AT_ADMISSION".to_owned(), 1),
            ("CONFIRMATION_METHOD_POLICE_DNA".to_owned(), 1),
        ])
    );
    assert_eq!(march_xlt.returns_home, 1);
    assert_eq!(march_xlt.placements, 2);
    assert_eq!(march_xlt.deaths, 0);
    assert_eq!(
        figures.march.repeat_vagrancy_by_origin,
        [reporting::OriginCount {
            origin_division: XLT.to_owned(),
            name: "兴隆台区".to_owned(),
            repeat_cases: 1,
        }]
    );
    let compliance = march_xlt.compliance.as_ref().unwrap();
    assert_eq!(compliance.notices_within_24_hours, ratio(3, 4));
    assert_eq!(compliance.requests_within_7_working_days, ratio(2, 4));
    assert_eq!(compliance.visits, ratio(1, 2));
    // P1's answer was due in April (a month after receipt), P2's too: March owes none.
    assert_eq!(compliance.police_answers, ratio(0, 0));

    let year_xlt = statistics_row(&figures.year, XLT);
    let compliance = year_xlt.compliance.as_ref().unwrap();
    assert_eq!(compliance.police_answers, ratio(1, 2));
    // P1 answered the day it was received, P2 32 days after: the median of 0 and 32.
    assert_eq!(compliance.police_answer_median_days, 16.0);

    // The city total is the sum of the rows; the other counties had nothing.
    let city = figures
        .march
        .rows
        .iter()
        .find(|row| row.area.as_ref().unwrap().kind == reporting::AreaKind::City as i32)
        .unwrap();
    assert_eq!(city.sightings, 3);
    assert_eq!(city.admissions.as_ref().unwrap().total, 5);
    assert_eq!(statistics_row(&figures.march, "211102").sightings, 0);

    // The dashboard on 3 April: P1 and P2 in the station, P4 and P5 in care and not yet visited in
    // April, P5's March visit missed.
    let dashboard = row(&figures.dashboard, |row| row.area.as_ref(), XLT);
    assert_eq!(dashboard.in_station, 2);
    assert_eq!(dashboard.in_foster_care, 2);
    assert_eq!(dashboard.residents_not_visited_this_month, 2);
    assert_eq!(dashboard.visits_overdue_last_month, 1);
    assert_eq!(dashboard.verifications_overdue, 0);

    // Major situations of March: the notices and requests missed in March, left unacknowledged
    // for more than 7 days, are escalations unresolved in Xinglongtai; no death, no disappearance.
    assert!(
        figures.major.situations.iter().any(|situation| {
            situation.kind == reporting::MajorSituationKind::EscalationUnresolved as i32
                && situation.division == XLT
        }),
        "{:?}",
        figures.major.situations
    );
    assert!(figures.major.situations.iter().all(|situation| {
        situation.kind == reporting::MajorSituationKind::EscalationUnresolved as i32
    }));

    // Funds: P3's treatment, at its cost.
    let funds = row(&figures.funds, |row| row.area.as_ref(), XLT);
    assert_eq!(
        funds.medical_costs.as_ref().map(|money| money.fen),
        Some(12_345)
    );

    // The station's alerts include foster's incident report about P5.
    let alerts = scene
        .reporting(&xlt_station())
        .await
        .list_alerts(reporting::ListAlertsRequest {
            page_size: 500,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .alerts;
    assert!(
        alerts
            .iter()
            .any(|alert| alert.kind == "INCIDENT_REPORTED" && alert.source_service == "foster"),
        "the station is alerted to the incident: {alerts:?}"
    );
    assert!(alerts.iter().all(|alert| {
        alert
            .recipient
            .as_ref()
            .is_some_and(|unit| unit.unit == xlt_station().unit)
    }));

    // Accountability: Xinglongtai's units of 各县区 answer for P5's missed visit, P2's notice and
    // the requests never filed for P4 and P5, each under the plan task its deadline kind maps to.
    let report = scene
        .reporting(&city_civil_affairs())
        .await
        .get_accountability_report(reporting::GetAccountabilityReportRequest {
            period: Some(march()),
            division: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(report.tasks.len(), 18, "every numbered task of the plan");
    let task_of = |kind: &str| {
        report
            .tasks
            .iter()
            .find(|task| task.deadline_kinds.iter().any(|mapped| mapped == kind))
            .unwrap_or_else(|| panic!("a task for {kind}"))
            .task_id
            .clone()
    };
    let counties = report
        .units
        .iter()
        .find(|unit| unit.plan_unit == "各县区（兴隆台区）")
        .unwrap_or_else(|| panic!("Xinglongtai's entry: {:?}", report.units));
    let open = |kind: &str| -> i32 {
        counties
            .tasks
            .iter()
            .filter(|task| task.task_id == task_of(kind))
            .filter_map(|task| task.overdue_open_by_kind.get(kind))
            .sum()
    };
    assert_eq!(open("foster.visit"), 1);
    assert_eq!(open("identity.notice"), 1);
    assert_eq!(open("identity.request_filing"), 2);
    assert!(
        report
            .units
            .iter()
            .all(|unit| !unit.plan_unit.contains("双台子区")),
        "nothing was late in Shuangtaizi"
    );
    let denied = scene
        .reporting(&forensics())
        .await
        .get_accountability_report(reporting::GetAccountabilityReportRequest {
            period: Some(march()),
            division: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(denied.code(), tonic::Code::PermissionDenied);

    // The March statistics as XLSX: the title names the period, the Xinglongtai row its figures.
    let export = scene
        .reporting(&city_civil_affairs())
        .await
        .export_report(reporting::ExportReportRequest {
            report: reporting::ReportKind::PeriodStatistics as i32,
            format: reporting::ExportFormat::Xlsx as i32,
            period: Some(march()),
            division: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(export.file_name.ends_with(".xlsx"), "{}", export.file_name);
    let mut workbook: Xlsx<_> = open_workbook_from_rs(Cursor::new(export.content)).unwrap();
    let sheet = workbook.worksheet_range_at(0).unwrap().unwrap();
    let cell = |row: usize, column: usize| sheet.get((row, column)).cloned().unwrap_or(Data::Empty);
    let title = cell(0, 0).to_string();
    assert!(title.contains("2026年3月"), "title: {title}");
    let header_row = (0..sheet.height())
        .find(|&row| cell(row, 0) == "地区")
        .expect("a header row starting with 地区");
    let column = |name: &str| {
        (0..sheet.width())
            .find(|&column| cell(header_row, column) == name)
            .unwrap_or_else(|| panic!("a column {name}"))
    };
    let xlt_row = (header_row + 1..sheet.height())
        .find(|&row| cell(row, 0) == "兴隆台区")
        .expect("a row for 兴隆台区");
    assert_eq!(cell(xlt_row, column("发现报告数")).as_f64(), Some(3.0));
    assert_eq!(cell(xlt_row, column("救助人数")).as_f64(), Some(5.0));

    // 5. Reporting's database deleted and rebuilt from the feeds: the same figures.
    scene.cluster.stop_service("reporting").await;
    scene.cluster.reset_database("reporting").await;
    scene.cluster.start_service("reporting").await;
    scene.reporting_caught_up().await;
    wait_until("the rebuilt reports give the same figures", || async {
        scene.figures().await == figures
    })
    .await;
    assert_eq!(scene.figures().await, figures);

    // 6. Identity stopped while a sixth person is admitted and two days pass.
    scene.cluster.stop_service("identity").await;
    let day_p6 = instant("2026-04-03T11:00:00+08:00");
    scene.set_clock(day_p6);
    let _p6 = scene.walk_in_unknown(day_p6 - Duration::minutes(5)).await;
    scene.set_clock(day_p6 + Duration::days(2));
    let client = scene.reporting(&city_civil_affairs()).await;
    wait_until(
        "reporting shows identity unreachable, intake applied",
        || {
            let mut client = client.clone();
            async move {
                let feeds = client
                    .get_ingestion_status(reporting::GetIngestionStatusRequest {})
                    .await
                    .unwrap()
                    .into_inner()
                    .feeds;
                feeds
                    .iter()
                    .any(|feed| feed.source == "identity" && !feed.source_reachable)
                    && feeds
                        .iter()
                        .any(|feed| feed.source == "intake" && feed.lag_events == 0)
            }
        },
    )
    .await;
    let april_xlt = statistics_row(&scene.statistics(april()).await, XLT).clone();
    assert_eq!(april_xlt.admissions.as_ref().unwrap().total, 1);
    scene.cluster.start_service("identity").await;
    scene.set_clock(day_p6 + Duration::days(4));
    scene.reporting_caught_up().await;
    wait_until(
        "the sixth person's late notice reaches the April figures",
        || async {
            statistics_row(&scene.statistics(april()).await, XLT)
                .compliance
                .as_ref()
                .and_then(|compliance| compliance.notices_within_24_hours)
                == ratio(0, 1)
        },
    )
    .await;
    // Nothing of March changed on the way.
    assert_eq!(scene.statistics(march()).await, figures.march);
    scene.stop().await;
}
