//! ExportReport through the real cluster (all four services, mTLS callers, one dev clock), on
//! SQLite and PostgreSQL: a malformed request is INVALID_ARGUMENT naming its fields; the caller
//! kinds and the scope are those of the exported report's own RPC; a report comes back as an XLSX
//! or CSV file named after the report, the period and the area, whose title row, Chinese headers
//! and figures are the report's.

#![allow(clippy::unwrap_used, reason = "test code: a panic is a failed test")]

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use chrono::{DateTime, Utc};
use relief_proto::intake::v1 as intake;
use relief_proto::intake::v1::intake_service_client::IntakeServiceClient;
use relief_proto::reporting::v1 as pb;
use relief_proto::reporting::v1::reporting_service_client::ReportingServiceClient;
use relief_runtime::Caller;
use relief_testkit::fixtures::units::*;
use relief_testkit::fixtures::{fields, instant, request_id};
use relief_testkit::{Cluster, TestBackend, wait_until};
use tonic::Code;

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// A running cluster.
#[derive(Debug)]
struct Kit {
    cluster: Cluster,
}

impl Kit {
    async fn start(backend: TestBackend, start: Option<DateTime<Utc>>) -> Option<Kit> {
        let mut builder = Cluster::builder().backend(backend);
        if let Some(start) = start {
            builder = builder.clock_start(start);
        }
        Some(Kit {
            cluster: builder.start().await?,
        })
    }

    /// ExportReport as `who`.
    async fn export(
        &self,
        who: &Caller,
        report: pb::ReportKind,
        format: pb::ExportFormat,
        period: Option<pb::Period>,
        division: &str,
    ) -> Result<pb::ExportReportResponse, tonic::Status> {
        ReportingServiceClient::new(self.cluster.channel("reporting", who).await)
            .export_report(pb::ExportReportRequest {
                report: report as i32,
                format: format as i32,
                period,
                division: division.to_owned(),
            })
            .await
            .map(tonic::Response::into_inner)
    }
}

fn march() -> Option<pb::Period> {
    Some(pb::Period {
        kind: pb::PeriodKind::Month as i32,
        year: 2026,
        number: 3,
    })
}

fn mid_march() -> Option<DateTime<Utc>> {
    Some(instant("2026-03-15T10:00:00+08:00"))
}

/// The only sheet of an XLSX file, as rows of cells.
fn sheet(bytes: &[u8], name: &str) -> Vec<Vec<Data>> {
    let mut workbook: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes.to_vec())).unwrap();
    assert_eq!(workbook.sheet_names(), [name]);
    let range = workbook.worksheet_range(name).unwrap();
    assert_eq!(range.start(), Some((0, 0)));
    range.rows().map(<[Data]>::to_vec).collect()
}

/// The records of a CSV file after its byte-order mark.
fn records(bytes: &[u8]) -> Vec<Vec<String>> {
    assert!(bytes.starts_with(BOM), "a CSV file starts with a BOM");
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(&bytes[BOM.len()..])
        .records()
        .map(|record| record.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

fn text(value: &str) -> Data {
    Data::String(value.to_owned())
}

relief_testkit::cluster_tests!(
    Kit;
    malformed_requests_and_callers_of_other_reports_are_refused,
    start = mid_march(),
    |kit| {
        use pb::{ExportFormat as F, ReportKind as R};

        // No format; an unknown report and format; a period that is no month: every bad field
        // is named at once.
        let status = kit
            .export(&city_civil_affairs(), R::PeriodStatistics, F::Unspecified, march(), "")
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(fields(&status), ["format"]);
        let mut client =
            ReportingServiceClient::new(kit.cluster.channel("reporting", &city_civil_affairs()).await);
        let status = client
            .export_report(pb::ExportReportRequest {
                report: 99,
                format: 99,
                period: march(),
                division: String::new(),
            })
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(fields(&status), ["report", "format"]);
        let thirteenth = Some(pb::Period {
            number: 13,
            ..march().unwrap()
        });
        for period in [thirteenth, None] {
            let status = kit
                .export(&city_civil_affairs(), R::Funds, F::Csv, period, "")
                .await
                .unwrap_err();
            assert_eq!(status.code(), Code::InvalidArgument);
            assert_eq!(fields(&status), ["period"]);
        }

        // Police, stations and supervisors do not read period statistics, so they do not
        // export them either; a station does not read major situations.
        for who in [city_police(), xlt_station(), city_finance()] {
            let status = kit
                .export(&who, R::PeriodStatistics, F::Xlsx, march(), "")
                .await
                .unwrap_err();
            assert_eq!(status.code(), Code::PermissionDenied, "{}", who.unit);
        }
        let status = kit
            .export(&xlt_station(), R::MajorSituations, F::Csv, march(), "")
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::PermissionDenied);
    }
);

relief_testkit::cluster_tests!(
    Kit;
    statistics_export_as_xlsx_and_csv_with_the_figures_in_scope,
    start = mid_march(),
    |kit| {
        use pb::{ExportFormat as F, ReportKind as R};

        // A sighting in 兴隆台区 this month.
        IntakeServiceClient::new(kit.cluster.channel("intake", &city_grid_center()).await)
            .report_sighting(intake::ReportSightingRequest {
                request_id: request_id(),
                division: "211103".to_owned(),
                address: "兴隆台区 石油大街 站前广场".to_owned(),
                found_at: Some(relief_runtime::time::timestamp(instant(
                    "2026-03-15T09:30:00+08:00",
                ))),
                description: "男性，约50岁".to_owned(),
                flags: None,
            })
            .await
            .unwrap();

        // The city bureau's workbook: the title, the headers, a row per county, the city station
        // and the city; the sighting counted as a number once reporting has it.
        let title = "盘锦市流浪乞讨人员救助管理统计报表（2026年3月，盘锦市）";
        let city = city_civil_affairs();
        let export = || kit.export(&city, R::PeriodStatistics, F::Xlsx, march(), "");
        wait_until("the export counts the sighting", || async {
            let file = export().await.unwrap();
            sheet(&file.content, "统计报表")[3][1] == Data::Float(1.0)
        })
        .await;
        let file = export().await.unwrap();
        assert_eq!(file.file_name, "统计报表_2026年3月_盘锦市.xlsx");
        assert_eq!(file.media_type, XLSX);
        let rows = sheet(&file.content, "统计报表");
        assert_eq!(rows[0][0], text(title));
        assert_eq!(rows[1][..2], [text("地区"), text("发现报告数")]);
        assert!(rows[1].contains(&text("警方按时反馈率")), "{:?}", rows[1]);
        let areas: Vec<&Data> = rows[2..8].iter().map(|row| &row[0]).collect();
        assert_eq!(
            areas,
            [
                &text("双台子区"),
                &text("兴隆台区"),
                &text("大洼区"),
                &text("盘山县"),
                &text("市本级"),
                &text("盘锦市"),
            ]
        );
        assert_eq!(rows[2][1], Data::Float(0.0));
        assert_eq!(rows[7][1], Data::Float(1.0), "the city total counts it");
        // Below, after an empty row, repeat vagrancy by origin (none yet).
        assert_eq!(rows[9][0], text("重复流浪乞讨人员（按流出地）"));
        assert_eq!(rows[10][0], text("流出地区划代码"));
        assert_eq!(rows.len(), 11);

        // A county bureau's CSV: its own row only, named in the title and the file name.
        let file = kit
            .export(&xlt_civil_affairs(), R::PeriodStatistics, F::Csv, march(), "")
            .await
            .unwrap();
        assert_eq!(file.file_name, "统计报表_2026年3月_兴隆台区.csv");
        assert_eq!(file.media_type, "text/csv; charset=utf-8");
        let records = records(&file.content);
        assert_eq!(
            records[0][0],
            "盘锦市流浪乞讨人员救助管理统计报表（2026年3月，兴隆台区）"
        );
        assert_eq!(records[1][..2], ["地区", "发现报告数"]);
        assert_eq!(records[2][..2], ["兴隆台区", "1"]);
        assert!(
            !records.iter().any(|record| record[0] == "双台子区"),
            "another county's row is not in a county's file"
        );

        // Another county's division is outside its scope: NOT_FOUND, as from the report itself.
        let status = kit
            .export(&xlt_civil_affairs(), R::PeriodStatistics, F::Csv, march(), "211102")
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::NotFound);
    }
);

relief_testkit::cluster_tests!(
    Kit;
    funds_dashboard_and_alerts_export_for_their_own_callers,
    start = mid_march(),
    |kit| {
        use pb::{ExportFormat as F, ReportKind as R};

        // Finance (the funds role) exports the funds report with money columns in yuan.
        let file = kit
            .export(&city_finance(), R::Funds, F::Xlsx, march(), "")
            .await
            .unwrap();
        assert_eq!(file.file_name, "资金报表_2026年3月_盘锦市.xlsx");
        let rows = sheet(&file.content, "资金报表");
        assert_eq!(
            rows[0][0],
            text("盘锦市流浪乞讨人员救助管理救助资金报表（2026年3月，盘锦市）")
        );
        assert_eq!(rows[1][1], text("医疗救治费用（元）"));
        assert_eq!(rows[2][1], Data::Float(0.0));
        assert_eq!(rows.len(), 2 + 6);
        // A supervisor without it does not, as it does not read the funds report.
        let status = kit
            .export(&city_health(), R::Funds, F::Xlsx, march(), "")
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::PermissionDenied);

        // A station exports its division's dashboard as of now (the dev clock, running from
        // 09:00:00); the period is ignored.
        kit.cluster
            .clock
            .set(instant("2026-03-20T09:00:00+08:00"))
            .unwrap();
        let file = kit
            .export(&xlt_station(), R::Dashboard, F::Csv, march(), "")
            .await
            .unwrap();
        assert_eq!(file.file_name, "实时概况_2026年3月20日_兴隆台区.csv");
        let records = records(&file.content);
        let title = &records[0][0];
        assert!(
            title.starts_with("盘锦市流浪乞讨人员救助管理实时概况（截至2026年3月20日 09:0")
                && title.ends_with("，兴隆台区）"),
            "{title}"
        );
        assert_eq!(records[2][0], "兴隆台区");
        assert_eq!(records.len(), 3);

        // Every caller exports the alerts addressed to its own unit, named after it.
        let file = kit
            .export(&city_police(), R::Alerts, F::Xlsx, None, "")
            .await
            .unwrap();
        assert_eq!(file.file_name, "预警通知_2026年3月20日_盘锦市公安局.xlsx");
        let rows = sheet(&file.content, "预警通知");
        let Data::String(title) = &rows[0][0] else {
            panic!("no title: {:?}", rows[0]);
        };
        assert!(
            title.starts_with("盘锦市流浪乞讨人员救助管理预警通知清单（截至2026年3月20日 09:")
                && title.ends_with("，盘锦市公安局）"),
            "{title}"
        );
        assert_eq!(rows[1][0], text("通知编号"));
    }
);

relief_testkit::cluster_tests!(
    Kit;
    accountability_and_major_situations_export_with_their_sections,
    start = mid_march(),
    |kit| {
        use pb::{ExportFormat as F, ReportKind as R};

        // The plan's tasks, then each unit's late items, then the triggers, one below the other.
        let file = kit
            .export(&city_civil_affairs(), R::Accountability, F::Csv, march(), "")
            .await
            .unwrap();
        assert_eq!(file.file_name, "责任体系_2026年3月_盘锦市.csv");
        let records = records(&file.content);
        assert_eq!(
            records[0][0],
            "盘锦市流浪乞讨人员救助管理责任体系落实情况报表（2026年3月，盘锦市）"
        );
        assert_eq!(
            records[1],
            ["任务编号", "方案条目", "任务", "牵头单位", "责任单位", "配合单位", "对应时限类型"]
        );
        let sections: Vec<&str> = records
            .iter()
            .filter(|record| record.len() > 1 && record[1..].iter().all(String::is_empty))
            .map(|record| record[0].as_str())
            .collect();
        assert_eq!(
            sections[1..],
            ["各单位逾期事项", "问责情形"],
            "{sections:?}"
        );
        let tasks = records
            .iter()
            .skip(2)
            .take_while(|record| !record[1..].iter().all(String::is_empty))
            .count();
        assert!(tasks > 0, "every task of the plan is listed");

        // Major situations of the current month when no period is asked for: none yet.
        let file = kit
            .export(&city_government(), R::MajorSituations, F::Xlsx, None, "")
            .await
            .unwrap();
        assert_eq!(file.file_name, "重大情况_2026年3月_盘锦市.xlsx");
        let rows = sheet(&file.content, "重大情况");
        assert_eq!(
            rows[0][0],
            text("盘锦市流浪乞讨人员救助管理重大情况报表（2026年3月，盘锦市）")
        );
        assert_eq!(rows[1][..2], [text("编号"), text("类别")]);
        assert_eq!(rows.len(), 2);
    }
);
