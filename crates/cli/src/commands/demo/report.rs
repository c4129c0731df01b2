//! The end of the demo: the city civil-affairs bureau waits until reporting has applied every
//! event of the three feeds, prints the dashboard, and exports the month's statistics as an
//! XLSX workbook (relief.reporting.v1.ReportingService).

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context as _, anyhow};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use indicatif::{ProgressBar, ProgressStyle};
use relief_proto::reporting::v1 as reporting;
use relief_runtime::time::instant;
use tonic::Code;

use super::connect::Connection;
use super::units;

/// How long reporting may take to catch up with the feeds.
const CATCH_UP_CEILING: Duration = Duration::from_secs(300);

/// How long reporting may apply nothing while it is behind before the demo gives up on it.
const STALL_CEILING: Duration = Duration::from_secs(30);

/// The default name of the workbook: `报表_<YYYY-MM>.xlsx`.
pub fn default_file_name(month: NaiveDate) -> PathBuf {
    PathBuf::from(format!(
        "报表_{:04}-{:02}.xlsx",
        month.year(),
        month.month()
    ))
}

/// Why a reporting call failed, with what to do about it.
fn reporting_error(what: &str, status: &tonic::Status) -> anyhow::Error {
    match status.code() {
        Code::Unimplemented => anyhow!(
            "{what}: the reporting service does not serve it yet ({}); the month was driven, \
             the other services hold it",
            status.message()
        ),
        code => anyhow!("{what}: {code:?}: {}", status.message()),
    }
}

/// How long the sources' heads must stay still, reporting caught up, before the figures are read.
const SETTLE: Duration = Duration::from_secs(3);

/// Waits until reporting has applied every event its feeds hold and the feeds have stopped
/// growing for [`SETTLE`] (a spinner shows the lag).
pub async fn wait_until_caught_up(conn: &Connection, show: bool) -> anyhow::Result<()> {
    let mut client = conn.reporting(&units::civil_affairs("211100"))?;
    let spinner = if show {
        ProgressBar::new_spinner()
    } else {
        ProgressBar::hidden()
    };
    spinner.set_style(
        ProgressStyle::with_template("{spinner} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    spinner.enable_steady_tick(Duration::from_millis(120));
    let deadline = tokio::time::Instant::now() + CATCH_UP_CEILING;
    // The cursors last seen, and since when they have not moved.
    let mut progress: (i64, tokio::time::Instant) = (-1, tokio::time::Instant::now());
    // The heads when reporting was last seen caught up, and since when they have not moved.
    let mut settled: Option<(i64, tokio::time::Instant)> = None;
    loop {
        let status = client
            .get_ingestion_status(reporting::GetIngestionStatusRequest {})
            .await
            .map_err(|status| reporting_error("reporting's ingestion status", &status))?
            .into_inner();
        let lag: i64 = status.feeds.iter().map(|feed| feed.lag_events.max(0)).sum();
        let applied: i64 = status.feeds.iter().map(|feed| feed.cursor).sum();
        let unreachable: Vec<&str> = status
            .feeds
            .iter()
            .filter(|feed| !feed.source_reachable)
            .map(|feed| feed.source.as_str())
            .collect();
        let now = tokio::time::Instant::now();
        // Caught up, and the sources' heads have not moved for a while: the deadline sweepers
        // have written what the last clock move made due (SetTime returns before they run).
        let heads: i64 = status.feeds.iter().map(|feed| feed.head_seq).sum();
        if !status.feeds.is_empty() && lag == 0 && unreachable.is_empty() {
            match settled {
                Some((seen, since)) if seen == heads => {
                    if now.duration_since(since) >= SETTLE {
                        spinner.finish_and_clear();
                        return Ok(());
                    }
                }
                _ => settled = Some((heads, now)),
            }
        } else {
            settled = None;
        }
        if applied != progress.0 {
            progress = (applied, now);
        }
        let behind = status
            .feeds
            .iter()
            .map(|feed| format!("{} {}", feed.source, feed.lag_events))
            .collect::<Vec<_>>()
            .join(", ");
        let stalled = now.duration_since(progress.1) >= STALL_CEILING;
        if stalled || now >= deadline {
            spinner.finish_and_clear();
            anyhow::bail!(
                "reporting {} ({lag} event(s) behind: {behind}{}); see the log of `relief dev`",
                if stalled {
                    format!("applied nothing for {} s", STALL_CEILING.as_secs())
                } else {
                    format!("did not catch up within {} s", CATCH_UP_CEILING.as_secs())
                },
                if unreachable.is_empty() {
                    String::new()
                } else {
                    format!("; cannot reach {}", unreachable.join(", "))
                }
            );
        }
        spinner.set_message(format!("reporting catches up: {behind} event(s) to apply"));
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// The dashboard, as the city bureau sees it (every area).
pub async fn dashboard(conn: &Connection) -> anyhow::Result<reporting::GetDashboardResponse> {
    let mut client = conn.reporting(&units::civil_affairs("211100"))?;
    Ok(client
        .get_dashboard(reporting::GetDashboardRequest {
            division: String::new(),
        })
        .await
        .map_err(|status| reporting_error("the dashboard", &status))?
        .into_inner())
}

/// The month's statistics as an XLSX workbook, written to `out`; returns where it went.
pub async fn export_month(
    conn: &Connection,
    month: NaiveDate,
    out: &Path,
) -> anyhow::Result<PathBuf> {
    let mut client = conn
        .reporting(&units::civil_affairs("211100"))?
        .max_decoding_message_size(64 * 1024 * 1024);
    let response = client
        .export_report(reporting::ExportReportRequest {
            report: reporting::ReportKind::PeriodStatistics as i32,
            format: reporting::ExportFormat::Xlsx as i32,
            period: Some(reporting::Period {
                kind: reporting::PeriodKind::Month as i32,
                year: month.year(),
                number: i32::try_from(month.month()).unwrap_or(1),
            }),
            division: String::new(),
        })
        .await
        .map_err(|status| reporting_error("the month's statistics export", &status))?
        .into_inner();
    anyhow::ensure!(
        !response.content.is_empty(),
        "the reporting service exported an empty file ({})",
        response.file_name
    );
    if let Some(parent) = out.parent().filter(|parent| !parent.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    std::fs::write(out, &response.content)
        .with_context(|| format!("cannot write {}", out.display()))?;
    Ok(out.to_path_buf())
}

/// The display width of `text` in a terminal (CJK characters take two columns).
fn width(text: &str) -> usize {
    text.chars()
        .map(|c| if u32::from(c) >= 0x2e80 { 2 } else { 1 })
        .sum()
}

/// `text` padded with spaces to `columns` display columns.
fn pad(text: &str, columns: usize) -> String {
    format!("{text}{}", " ".repeat(columns.saturating_sub(width(text))))
}

/// The dashboard as a table, one row per area.
pub fn render_dashboard(dashboard: &reporting::GetDashboardResponse) -> String {
    let as_of = instant("as_of", dashboard.as_of.as_ref())
        .map(|at: DateTime<Utc>| {
            at.with_timezone(&relief_legal::china())
                .format("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_default();
    let headers = [
        "地区",
        "在站",
        "托养",
        "超10天(有/无理由)",
        "滞留",
        "核查逾期",
        "7日内到期",
        "本月未探视",
        "上月漏探",
        "通知未签收(逾期)",
        "证照将到期",
    ];
    let rows: Vec<Vec<String>> = dashboard
        .rows
        .iter()
        .map(|row| {
            let area = row.area.clone().unwrap_or_default();
            vec![
                if area.name.is_empty() {
                    area.division
                } else {
                    area.name
                },
                row.in_station.to_string(),
                row.in_foster_care.to_string(),
                format!(
                    "{}/{}",
                    row.stays_over_10_days_justified, row.stays_over_10_days_unjustified
                ),
                row.stranded.to_string(),
                row.verifications_overdue.to_string(),
                row.verifications_due_within_7_days.to_string(),
                row.residents_not_visited_this_month.to_string(),
                row.visits_overdue_last_month.to_string(),
                format!(
                    "{}({})",
                    row.notifications_unacknowledged, row.notifications_overdue
                ),
                row.institutions_documents_expiring.to_string(),
            ]
        })
        .collect();
    let columns: Vec<usize> = headers
        .iter()
        .enumerate()
        .map(|(column, header)| {
            rows.iter()
                .map(|row| row.get(column).map_or(0, |cell| width(cell)))
                .chain([width(header)])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: Vec<&str>| {
        cells
            .iter()
            .zip(&columns)
            .map(|(cell, columns)| pad(cell, *columns))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_owned()
    };
    let mut text = format!(
        "Dashboard (看板) as of {as_of} (Asia/Shanghai){}\n",
        if dashboard.stale {
            ", some figures may lag"
        } else {
            ""
        }
    );
    text.push_str(&line(headers.to_vec()));
    text.push('\n');
    for row in &rows {
        text.push_str(&line(row.iter().map(String::as_str).collect()));
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dashboard_lines_up_chinese_and_numbers() {
        let row = |name: &str, in_station| reporting::DashboardRow {
            area: Some(reporting::Area {
                kind: reporting::AreaKind::County as i32,
                division: "211103".to_owned(),
                name: name.to_owned(),
            }),
            in_station,
            ..Default::default()
        };
        let text = render_dashboard(&reporting::GetDashboardResponse {
            as_of: Some(relief_runtime::time::timestamp(Utc::now())),
            rows: vec![row("兴隆台区", 12), row("盘锦市", 3)],
            stale: false,
        });
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4, "{text}");
        // The second column starts at the same display column on every line.
        let second = |line: &str| {
            let first_gap = line.find("  ").unwrap_or(0);
            width(&line[..first_gap])
                + (line[first_gap..].len() - line[first_gap..].trim_start().len())
        };
        assert_eq!(second(lines[1]), second(lines[2]), "{text}");
        assert_eq!(second(lines[2]), second(lines[3]), "{text}");
        assert!(lines[2].contains("12"));
        assert_eq!(
            default_file_name(NaiveDate::from_ymd_opt(2027, 1, 1).unwrap_or_default()),
            PathBuf::from("报表_2027-01.xlsx")
        );
    }
}
