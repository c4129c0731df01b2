//! `ExportReport`: any report as a CSV (UTF-8 with BOM) or XLSX file with Chinese column headers
//! and a title row naming the period and the area, for people who work in spreadsheets.
//!
//! The export asks the report's own read ([`crate::reads`]) with the caller, so who may export a
//! report, and which rows they see, is that report's rule: a caller kind the report's RPC does not
//! allow is refused here ([`REPORTS`], mirroring [`crate::policy()`]), a division outside the
//! caller's scope is NOT_FOUND (from [`Scope`] naming the area, as the read would answer). Every
//! report is converted into [`table::Table`]s
//! ([`reports`]) that both formats render ([`csv`], [`xlsx`]), so the two files cannot drift.
//!
//! - title: `盘锦市流浪乞讨人员救助管理<report>（<period>，<area>）`, e.g.
//!   "盘锦市流浪乞讨人员救助管理统计报表（2026年3月，兴隆台区）"; the dashboard and the alerts
//!   name the moment of the export instead of a period ("截至2026年3月15日 10:00"), the alerts the
//!   caller's unit instead of an area;
//! - file name: `<report>_<period>_<area>.<csv|xlsx>`, e.g. "统计报表_2026年3月_兴隆台区.xlsx".

mod csv;
mod reports;
mod table;
mod xlsx;

use chrono::{DateTime, Utc};
use relief_legal::division::PANJIN_CITY;
use relief_proto::reporting::v1 as pb;
use relief_runtime::CallerKind::{CivilAffairs, Government, Station, Supervisor};
use relief_runtime::validate::Violations;
use relief_runtime::{ApiError, Caller, CallerKind, ServiceContext};

use crate::areas::{self, Scope};
use crate::reads;
use crate::time::{self, DayRange};
use table::Table;

/// The start of every title: the city and the work the reports are about.
const TITLE_PREFIX: &str = "盘锦市流浪乞讨人员救助管理";

/// How many items a page of alerts or major situations asks for (the reads' maximum).
const PAGE_SIZE: i32 = 500;

/// What the export knows of one report.
#[derive(Debug)]
struct Report {
    /// The report.
    kind: pb::ReportKind,
    /// The RPC that reads it (its access rule is the export's).
    method: &'static str,
    /// Its name in the title.
    title: &'static str,
    /// Its short name: the file name's start and the sheet's name.
    short: &'static str,
    /// How it takes the request's period.
    period: PeriodUse,
    /// The caller kinds its RPC allows (crate::policy).
    callers: &'static [CallerKind],
}

/// Every report the export serves, with the caller kinds of its own RPC.
const REPORTS: [Report; 6] = [
    Report {
        kind: pb::ReportKind::Dashboard,
        method: "GetDashboard",
        title: "实时概况",
        short: "实时概况",
        period: PeriodUse::Ignored,
        callers: &[CivilAffairs, Government, Station],
    },
    Report {
        kind: pb::ReportKind::PeriodStatistics,
        method: "GetPeriodStatistics",
        title: "统计报表",
        short: "统计报表",
        period: PeriodUse::Required,
        callers: &[CivilAffairs, Government],
    },
    Report {
        kind: pb::ReportKind::Accountability,
        method: "GetAccountabilityReport",
        title: "责任体系落实情况报表",
        short: "责任体系",
        period: PeriodUse::Required,
        callers: &[CivilAffairs, Government],
    },
    Report {
        kind: pb::ReportKind::Alerts,
        method: "ListAlerts",
        title: "预警通知清单",
        short: "预警通知",
        period: PeriodUse::Ignored,
        // Every kind reads the alerts addressed to its own unit.
        callers: &CallerKind::ALL,
    },
    Report {
        kind: pb::ReportKind::MajorSituations,
        method: "ListMajorSituations",
        title: "重大情况报表",
        short: "重大情况",
        period: PeriodUse::CurrentMonthIfUnset,
        callers: &[CivilAffairs, Government],
    },
    Report {
        kind: pb::ReportKind::Funds,
        method: "GetFundsReport",
        title: "救助资金报表",
        short: "资金报表",
        period: PeriodUse::Required,
        // The read checks the supervisor's `funds` role.
        callers: &[CivilAffairs, Government, Supervisor],
    },
];

/// How a report takes the request's period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PeriodUse {
    /// It needs one.
    Required,
    /// The current month when unset.
    CurrentMonthIfUnset,
    /// It is as of now.
    Ignored,
}

/// The two file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Csv,
    Xlsx,
}

impl Format {
    fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
        }
    }

    fn media_type(self) -> &'static str {
        match self {
            Format::Csv => csv::MEDIA_TYPE,
            Format::Xlsx => xlsx::MEDIA_TYPE,
        }
    }
}

/// A checked request.
#[derive(Debug)]
struct Checked {
    report: &'static Report,
    format: Format,
    /// The period of a report that takes one (the current month for major situations asked
    /// without one).
    range: Option<DayRange>,
}

/// `ExportReport`.
pub async fn export(
    context: &ServiceContext,
    caller: &Caller,
    request: pb::ExportReportRequest,
) -> Result<pb::ExportReportResponse, ApiError> {
    let now = context.clock.now();
    let checked = check(&request, now)?;
    let report = checked.report;
    if !report.callers.contains(&caller.kind) {
        return Err(ApiError::PermissionDenied {
            message: format!(
                "caller kind {} may not export this report (it may not call {})",
                caller.kind, report.method
            ),
        });
    }
    let (label, file_label) = match &checked.range {
        Some(range) => (range.label.clone(), range.label.clone()),
        None => moment_labels(now),
    };
    let area = if report.kind == pb::ReportKind::Alerts {
        unit_name(context, &caller.unit)
    } else {
        area_name(caller, &request.division)?
    };
    let title = format!("{TITLE_PREFIX}{}（{label}，{area}）", report.title);
    let tables = read(context, caller, &request, &checked, title).await?;
    let content = match checked.format {
        Format::Csv => csv::render(&tables)?,
        Format::Xlsx => xlsx::render(report.short, &tables, now)?,
    };
    Ok(pb::ExportReportResponse {
        content,
        file_name: file_name(report.short, &file_label, &area, checked.format),
        media_type: checked.format.media_type().to_owned(),
    })
}

/// Checks the report, the format and (for a report that takes one) the period, all at once.
fn check(request: &pb::ExportReportRequest, now: DateTime<Utc>) -> Result<Checked, ApiError> {
    let mut violations = Violations::new();
    let kind = violations.required_enum("report", pb::ReportKind::try_from(request.report));
    let format = violations.required_enum("format", pb::ExportFormat::try_from(request.format));
    let report = REPORTS.iter().find(|report| report.kind == kind);
    let period_use = report.map_or(PeriodUse::Ignored, |report| report.period);
    let range = match (period_use, request.period.as_ref()) {
        (PeriodUse::Ignored, _) => None,
        (PeriodUse::CurrentMonthIfUnset, None) => time::range_of(&time::month_period(now)),
        (PeriodUse::Required, _) | (PeriodUse::CurrentMonthIfUnset, Some(_)) => {
            match time::period_range("period", request.period.as_ref()) {
                Ok(found) => Some(found),
                Err(ApiError::InvalidArgument {
                    violations: bad, ..
                }) => {
                    for violation in bad {
                        violations.add(&violation.field, &violation.description);
                    }
                    None
                }
                Err(other) => return Err(other),
            }
        }
    };
    violations.finish()?;
    let format = match format {
        pb::ExportFormat::Csv => Format::Csv,
        pb::ExportFormat::Xlsx => Format::Xlsx,
        pb::ExportFormat::Unspecified => {
            return Err(ApiError::invalid_field("format", "is required"));
        }
    };
    let report = report.ok_or_else(|| ApiError::invalid_field("report", "is required"))?;
    Ok(Checked {
        report,
        format,
        range,
    })
}

/// Reads the report as the caller, as tables under `title`.
async fn read(
    context: &ServiceContext,
    caller: &Caller,
    request: &pb::ExportReportRequest,
    checked: &Checked,
    title: String,
) -> Result<Vec<Table>, ApiError> {
    let division = request.division.clone();
    let period = checked.range.as_ref().map(|range| range.period);
    Ok(match checked.report.kind {
        pb::ReportKind::Dashboard => {
            let request = pb::GetDashboardRequest { division };
            reports::dashboard(
                title,
                &reads::dashboard::get(context, caller, request).await?,
            )
        }
        pb::ReportKind::PeriodStatistics => {
            let request = pb::GetPeriodStatisticsRequest { period, division };
            reports::statistics(
                title,
                &reads::statistics::get(context, caller, request).await?,
            )
        }
        pb::ReportKind::Accountability => {
            let request = pb::GetAccountabilityReportRequest { period, division };
            let response = reads::accountability::get(context, caller, request).await?;
            reports::accountability(title, &response)
        }
        pb::ReportKind::Alerts => {
            let alerts = every_alert(context, caller).await?;
            reports::alerts(title, &alerts, |unit| unit_name(context, unit))
        }
        pb::ReportKind::MajorSituations => {
            let situations = every_major_situation(context, caller, period, &division).await?;
            reports::major(title, &situations)
        }
        pb::ReportKind::Funds => {
            let request = pb::GetFundsReportRequest { period, division };
            reports::funds(title, &reads::funds::get(context, caller, request).await?)
        }
        pb::ReportKind::Unspecified => {
            return Err(ApiError::invalid_field("report", "is required"));
        }
    })
}

/// Every alert addressed to the caller's own unit, newest first, page by page.
async fn every_alert(
    context: &ServiceContext,
    caller: &Caller,
) -> Result<Vec<pb::Alert>, ApiError> {
    let mut alerts = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = reads::alerts::list(
            context,
            caller,
            pb::ListAlertsRequest {
                page_size: PAGE_SIZE,
                page_token: page_token.clone(),
                unit: String::new(),
                filter: pb::AlertFilter::Unspecified as i32,
            },
        )
        .await?;
        alerts.extend(page.alerts);
        match next_page(page_token, page.next_page_token)? {
            Some(next) => page_token = next,
            None => return Ok(alerts),
        }
    }
}

/// Every major situation of the period in the caller's scope (or `division`), oldest first.
async fn every_major_situation(
    context: &ServiceContext,
    caller: &Caller,
    period: Option<pb::Period>,
    division: &str,
) -> Result<Vec<pb::MajorSituation>, ApiError> {
    let mut situations = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = reads::major::list(
            context,
            caller,
            pb::ListMajorSituationsRequest {
                page_size: PAGE_SIZE,
                page_token: page_token.clone(),
                period,
                division: division.to_owned(),
                kind: pb::MajorSituationKind::Unspecified as i32,
            },
        )
        .await?;
        situations.extend(page.situations);
        match next_page(page_token, page.next_page_token)? {
            Some(next) => page_token = next,
            None => return Ok(situations),
        }
    }
}

/// The token of the next page, `None` at the end; a read answering the token it was given would
/// loop for ever, so that is a fault.
fn next_page(previous: String, next: String) -> Result<Option<String>, ApiError> {
    if next.is_empty() {
        Ok(None)
    } else if next == previous {
        Err(ApiError::internal(
            "a read answered the page token it was asked for",
        ))
    } else {
        Ok(Some(next))
    }
}

/// The title's and the file name's label of a moment: "截至2026年3月15日 10:00", "2026年3月15日".
fn moment_labels(at: DateTime<Utc>) -> (String, String) {
    let local = at.with_timezone(&relief_legal::china());
    let day = local.format("%Y年%-m月%-d日").to_string();
    (format!("截至{day} {}", local.format("%H:%M")), day)
}

/// The area a report covers for `caller`: the division asked for (市本级 for 211100), the whole
/// city (盘锦市) when every row and the total are in scope, else the rows in scope.
fn area_name(caller: &Caller, division: &str) -> Result<String, ApiError> {
    let scope = Scope::of(caller, division)?;
    if scope.city_total {
        return Ok(areas::name_of(PANJIN_CITY));
    }
    let names: Vec<String> = scope.areas().into_iter().map(|area| area.name).collect();
    Ok(if names.is_empty() {
        areas::name_of(&caller.division)
    } else {
        names.join("、")
    })
}

/// A unit's name from units.toml, else its id (a registered institution, a rescue point).
fn unit_name(context: &ServiceContext, unit: &str) -> String {
    context
        .units
        .get(unit)
        .map_or_else(|| unit.to_owned(), |found| found.name.clone())
}

/// `<report>_<label>_<area>.<ext>`, with anything a file system refuses replaced.
fn file_name(short: &str, label: &str, area: &str, format: Format) -> String {
    let name: String = format!("{short}_{label}_{area}")
        .chars()
        .map(|character| {
            if character.is_control() || "/\\:*?\"<>|".contains(character) {
                '_'
            } else {
                character
            }
        })
        .collect();
    format!("{name}.{}", format.extension())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(report: pb::ReportKind, format: pb::ExportFormat) -> pb::ExportReportRequest {
        pb::ExportReportRequest {
            report: report as i32,
            format: format as i32,
            period: Some(pb::Period {
                kind: pb::PeriodKind::Month as i32,
                year: 2026,
                number: 3,
            }),
            division: String::new(),
        }
    }

    fn fields(error: ApiError) -> Vec<String> {
        match error {
            ApiError::InvalidArgument { violations, .. } => {
                violations.into_iter().map(|v| v.field).collect()
            }
            other => panic!("expected INVALID_ARGUMENT, got {other:?}"),
        }
    }

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-03-15T10:00:00+08:00")
            .expect("rfc3339")
            .with_timezone(&Utc)
    }

    #[test]
    fn every_report_kind_is_served_once() {
        for kind in [
            pb::ReportKind::Dashboard,
            pb::ReportKind::PeriodStatistics,
            pb::ReportKind::Accountability,
            pb::ReportKind::Alerts,
            pb::ReportKind::MajorSituations,
            pb::ReportKind::Funds,
        ] {
            assert_eq!(
                REPORTS.iter().filter(|report| report.kind == kind).count(),
                1,
                "{kind:?}"
            );
        }
    }

    /// The export's table of caller kinds is the service's access policy of each report's RPC.
    #[test]
    fn each_report_allows_the_callers_of_its_rpc() {
        let policy = crate::policy();
        for report in &REPORTS {
            let path = format!("/{}/{}", crate::GRPC_SERVICE, report.method);
            for kind in CallerKind::ALL {
                let caller = Caller::new(kind, "211100", "unit-under-test").expect("a caller");
                assert_eq!(
                    report.callers.contains(&kind),
                    policy.check(&path, &caller).is_ok(),
                    "{kind} on {}",
                    report.method
                );
            }
        }
    }

    #[test]
    fn report_format_and_period_are_checked_together() {
        let mut bad = request(
            pb::ReportKind::PeriodStatistics,
            pb::ExportFormat::Unspecified,
        );
        bad.period = Some(pb::Period {
            kind: pb::PeriodKind::Month as i32,
            year: 2026,
            number: 13,
        });
        assert_eq!(
            fields(check(&bad, now()).expect_err("refused")),
            vec!["format", "period"]
        );
        let mut unknown = request(pb::ReportKind::Unspecified, pb::ExportFormat::Csv);
        unknown.format = 7;
        assert_eq!(
            fields(check(&unknown, now()).expect_err("refused")),
            vec!["report", "format"]
        );
        let mut no_period = request(pb::ReportKind::Funds, pb::ExportFormat::Xlsx);
        no_period.period = None;
        assert_eq!(
            fields(check(&no_period, now()).expect_err("refused")),
            vec!["period"]
        );
    }

    #[test]
    fn the_dashboard_ignores_the_period_and_major_situations_default_to_this_month() {
        let mut dashboard = request(pb::ReportKind::Dashboard, pb::ExportFormat::Csv);
        dashboard.period = Some(pb::Period::default());
        let checked = check(&dashboard, now()).expect("accepted");
        assert_eq!(checked.range, None);
        assert_eq!(checked.format, Format::Csv);

        let mut major = request(pb::ReportKind::MajorSituations, pb::ExportFormat::Xlsx);
        major.period = None;
        let checked = check(&major, now()).expect("accepted");
        assert_eq!(
            checked.range.map(|range| range.label).as_deref(),
            Some("2026年3月")
        );
    }

    /// A report converted once and rendered in both formats shows the same title, headers and
    /// figures; the XLSX keeps numbers and money as numbers.
    #[test]
    fn both_formats_show_the_same_report() {
        use std::io::Cursor;

        use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};

        let area = |kind: pb::AreaKind, name: &str| pb::Area {
            kind: kind as i32,
            division: "211103".to_owned(),
            name: name.to_owned(),
        };
        let fen = |fen| Some(relief_proto::common::v1::Money { fen });
        let response = pb::GetFundsReportResponse {
            period: None,
            rows: vec![pb::FundsRow {
                area: Some(area(pb::AreaKind::County, "兴隆台区")),
                medical_costs: fen(1_234_505),
                other_service_costs: fen(0),
                foster_fees: fen(90_000),
                foster_days_in_care: 31,
            }],
        };
        let title = "盘锦市流浪乞讨人员救助管理救助资金报表（2026年3月，兴隆台区）";
        let tables = reports::funds(title.to_owned(), &response);

        let csv = csv::render(&tables).expect("csv");
        assert!(csv.starts_with(csv::BOM));
        let mut reader = ::csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(&csv[csv::BOM.len()..]);
        let records: Vec<Vec<String>> = reader
            .records()
            .map(|record| {
                record
                    .expect("a record")
                    .iter()
                    .map(str::to_owned)
                    .collect()
            })
            .collect();
        assert_eq!(records[0][0], title);
        assert_eq!(records[1], tables[0].headers);
        assert_eq!(
            records[2],
            ["兴隆台区", "12345.05", "0.00", "900.00", "13245.05", "31"]
        );

        let xlsx = xlsx::render("资金报表", &tables, now()).expect("xlsx");
        let mut workbook: Xlsx<_> = open_workbook_from_rs(Cursor::new(xlsx)).expect("opens");
        let range = workbook.worksheet_range("资金报表").expect("the sheet");
        let at = |row: u32, column: u32| range.get_value((row, column)).cloned();
        assert_eq!(at(0, 0), Some(Data::String(title.to_owned())));
        for (column, header) in tables[0].headers.iter().enumerate() {
            let column = u32::try_from(column).expect("a few columns");
            assert_eq!(at(1, column), Some(Data::String(header.clone())));
        }
        assert_eq!(at(2, 0), Some(Data::String("兴隆台区".to_owned())));
        assert_eq!(at(2, 1), Some(Data::Float(12345.05)));
        assert_eq!(at(2, 4), Some(Data::Float(13245.05)));
        assert_eq!(at(2, 5), Some(Data::Float(31.0)));
    }

    #[test]
    fn titles_and_file_names_name_the_period_and_the_area() {
        let county =
            Caller::new(CallerKind::CivilAffairs, "211103", "xlt-civil-affairs").expect("a caller");
        assert_eq!(area_name(&county, "").expect("in scope"), "兴隆台区");
        let city = Caller::new(CallerKind::CivilAffairs, "211100", "city-civil-affairs")
            .expect("a caller");
        assert_eq!(area_name(&city, "").expect("in scope"), "盘锦市");
        assert_eq!(area_name(&city, "211100").expect("in scope"), "市本级");
        assert!(matches!(
            area_name(&county, "211102"),
            Err(ApiError::NotFound { .. })
        ));
        assert_eq!(
            file_name("统计报表", "2026年3月", "兴隆台区", Format::Xlsx),
            "统计报表_2026年3月_兴隆台区.xlsx"
        );
        assert_eq!(
            moment_labels(now()),
            (
                "截至2026年3月15日 10:00".to_owned(),
                "2026年3月15日".to_owned()
            )
        );
        assert_eq!(file_name("a/b", "c:d", "e", Format::Csv), "a_b_c_d_e.csv");
    }
}
