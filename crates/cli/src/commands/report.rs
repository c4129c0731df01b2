//! `relief report`: exports a report of a running `relief dev` (or any reporting service on the
//! dev ports) as a CSV or XLSX file: calls `relief.reporting.v1.ReportingService/ExportReport` as
//! a unit (`--as`, by default the city civil-affairs bureau), writes the bytes to `--out` (by
//! default the file name the service gives, in the current directory) and prints the path.
//!
//! Over mTLS the unit's certificate comes from the dev PKI `relief dev` (or `relief certs`) writes
//! under the data directory (`pki/units/<unit>.{pem,key}`); with `--insecure` the unit's SPIFFE id,
//! from units.toml, goes in `x-relief-caller`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context as _, anyhow, bail};
use relief_proto::reporting::v1 as pb;
use relief_proto::reporting::v1::reporting_service_client::ReportingServiceClient;
use relief_runtime::auth::INSECURE_CALLER_HEADER;
use relief_runtime::client;
use relief_runtime::pki::DevPki;
use relief_runtime::tls::TlsMaterial;
use relief_runtime::units::Units;

use crate::services;

/// The unit a report is exported as unless `--as` names another: the city civil-affairs bureau.
pub const DEFAULT_UNIT: &str = "city-civil-affairs";

/// The shipped units file, used when neither `deploy/units.toml` nor the data directory's copy
/// is found (plaintext mode only).
const SHIPPED_UNITS: &str = include_str!("../../../../deploy/units.toml");

/// How long the export may take (every page of a long alert list included); the runtime's client
/// channel allows each call at most 30 s, so this is the same.
const EXPORT_TIMEOUT: Duration = Duration::from_secs(30);

/// Which report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportName {
    /// The situation now, per county, the city station and the city (GetDashboard).
    Dashboard,
    /// Figures of a month, quarter or year with compliance (GetPeriodStatistics).
    Statistics,
    /// The plan's tasks, late items per unit and the accountability triggers.
    Accountability,
    /// The notifications and escalations addressed to the calling unit.
    Alerts,
    /// Deaths, abuse, people gone missing and escalations left unresolved.
    Major,
    /// Medical costs and foster fees.
    Funds,
}

impl ReportName {
    /// The report's kind in the API.
    pub fn kind(self) -> pb::ReportKind {
        match self {
            ReportName::Dashboard => pb::ReportKind::Dashboard,
            ReportName::Statistics => pb::ReportKind::PeriodStatistics,
            ReportName::Accountability => pb::ReportKind::Accountability,
            ReportName::Alerts => pb::ReportKind::Alerts,
            ReportName::Major => pb::ReportKind::MajorSituations,
            ReportName::Funds => pb::ReportKind::Funds,
        }
    }

    /// How the report uses a period: required, optional (the current month), or ignored.
    fn period_use(self) -> PeriodUse {
        match self {
            ReportName::Statistics | ReportName::Accountability | ReportName::Funds => {
                PeriodUse::Required
            }
            ReportName::Major => PeriodUse::Optional,
            ReportName::Dashboard | ReportName::Alerts => PeriodUse::Ignored,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            ReportName::Dashboard => "dashboard",
            ReportName::Statistics => "statistics",
            ReportName::Accountability => "accountability",
            ReportName::Alerts => "alerts",
            ReportName::Major => "major",
            ReportName::Funds => "funds",
        }
    }
}

/// How a report uses `--period`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PeriodUse {
    Required,
    Optional,
    Ignored,
}

/// The file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FileFormat {
    /// Comma-separated values, UTF-8 with a byte-order mark.
    Csv,
    /// An Office Open XML workbook.
    Xlsx,
}

impl FileFormat {
    fn format(self) -> pb::ExportFormat {
        match self {
            FileFormat::Csv => pb::ExportFormat::Csv,
            FileFormat::Xlsx => pb::ExportFormat::Xlsx,
        }
    }
}

/// Options of `relief report`.
#[derive(Debug, Clone)]
pub struct ReportOptions {
    /// Which report.
    pub report: ReportName,
    /// The period (see [`parse_period`]).
    pub period: Option<pb::Period>,
    /// Only this division; `None`: every division in the unit's scope.
    pub division: Option<String>,
    /// CSV or XLSX.
    pub format: FileFormat,
    /// Where to write; `None`: the service's file name in the current directory.
    pub out: Option<PathBuf>,
    /// The unit to call as (its id in units.toml, or a registered unit with a certificate).
    pub unit: String,
    /// The data directory of `relief dev` (its dev PKI is under `pki/`).
    pub data_dir: PathBuf,
    /// The first port of `relief dev`; reporting is the fourth service.
    pub base_port: u16,
    /// Plaintext (`relief dev --insecure`).
    pub insecure: bool,
}

/// Exports the report and writes it; returns the path written.
pub async fn run(options: &ReportOptions) -> anyhow::Result<PathBuf> {
    let report = options.report;
    match (report.period_use(), &options.period) {
        (PeriodUse::Required, None) => bail!(
            "the {} report needs --period (a month 2026-03, a quarter 2026Q1 or a year 2026)",
            report.as_str()
        ),
        (PeriodUse::Ignored, Some(_)) => eprintln!(
            "note: the {} report is as of now; --period is ignored",
            report.as_str()
        ),
        _ => {}
    }
    if report == ReportName::Alerts && options.division.is_some() {
        eprintln!("note: the alerts are those addressed to the unit; --division is ignored");
    }
    let mut client = connect(options).await?;
    let mut request = tonic::Request::new(pb::ExportReportRequest {
        report: report.kind() as i32,
        format: options.format.format() as i32,
        period: options.period,
        division: options.division.clone().unwrap_or_default(),
    });
    request.set_timeout(EXPORT_TIMEOUT);
    if options.insecure {
        let caller = unit_caller(&options.data_dir, &options.unit)?;
        request
            .metadata_mut()
            .insert(INSECURE_CALLER_HEADER, caller.parse()?);
    }
    let file = client
        .export_report(request)
        .await
        .map_err(|status| {
            anyhow!(
                "ExportReport as {}: {:?}: {}",
                options.unit,
                status.code(),
                status.message()
            )
        })?
        .into_inner();
    let path = match &options.out {
        Some(path) => path.clone(),
        None => default_path(&file.file_name, options.format),
    };
    std::fs::write(&path, &file.content)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(path)
}

/// A channel to the reporting service of `relief dev`, over mTLS as the unit or in plaintext.
async fn connect(
    options: &ReportOptions,
) -> anyhow::Result<ReportingServiceClient<tonic::transport::Channel>> {
    let url = reporting_url(options.base_port, options.insecure)?;
    let channel = if options.insecure {
        client::connect(&url, None).await?
    } else {
        let pki = DevPki::at(options.data_dir.join("pki"));
        let (cert, key) = pki.unit_files(&options.unit);
        if !cert.is_file() {
            bail!(
                "no certificate for unit {} at {}: is --data-dir the one `relief dev` uses (and \
                 was it started without --insecure)? A unit registered through the API gets one \
                 with `relief certs issue KIND DIVISION UNIT`",
                options.unit,
                cert.display()
            );
        }
        let material = TlsMaterial::from_files(&pki.ca_cert(), &cert, &key)
            .with_context(|| format!("cannot read the certificate of {}", options.unit))?;
        client::connect(&url, Some((&material, "reporting"))).await?
    };
    // A year of a busy unit's alerts is more than tonic's default 4 MiB.
    Ok(ReportingServiceClient::new(channel).max_decoding_message_size(MAX_REPORT_BYTES))
}

/// The largest report file the command accepts.
const MAX_REPORT_BYTES: usize = 64 * 1024 * 1024;

/// The URL of the reporting service of `relief dev --base-port BASE_PORT` (the services take
/// consecutive ports in their table's order).
pub fn reporting_url(base_port: u16, insecure: bool) -> anyhow::Result<String> {
    let index = services::ALL
        .iter()
        .position(|entry| entry.spec.name == "reporting")
        .context("no reporting service in the table")?;
    let port = u16::try_from(index)
        .ok()
        .and_then(|index| base_port.checked_add(index))
        .context("--base-port leaves no room for four consecutive ports")?;
    let scheme = if insecure { "http" } else { "https" };
    Ok(format!("{scheme}://127.0.0.1:{port}"))
}

/// The SPIFFE id of `unit` from units.toml (as `relief dev` finds it: `deploy/units.toml`, else
/// the copy in the data directory, else the shipped one).
fn unit_caller(data_dir: &Path, unit: &str) -> anyhow::Result<String> {
    let candidates = [
        Path::new("deploy").join("units.toml"),
        data_dir.join("units.toml"),
    ];
    let (units, source) = match candidates.iter().find(|path| path.is_file()) {
        Some(path) => (Units::load(path)?, path.display().to_string()),
        None => (
            Units::from_toml_str(SHIPPED_UNITS)?,
            "the shipped units.toml".to_owned(),
        ),
    };
    let found = units.get(unit).with_context(|| {
        format!("unit {unit} is not in {source}; with --insecure, --as names a unit of units.toml")
    })?;
    Ok(found.caller().spiffe_id())
}

/// Where a file goes without `--out`: the service's file name (its last component only) in the
/// current directory.
fn default_path(file_name: &str, format: FileFormat) -> PathBuf {
    Path::new(file_name)
        .file_name()
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(match format {
                FileFormat::Csv => "report.csv",
                FileFormat::Xlsx => "report.xlsx",
            })
        })
}

/// Parses `--period`: a month `YYYY-MM` (2026-03), a quarter `YYYYQn` (2026Q1) or a year `YYYY`
/// (2026), of a year 2000-2100.
pub fn parse_period(text: &str) -> Result<pb::Period, String> {
    let shape =
        || format!("expected a month (2026-03), a quarter (2026Q1) or a year (2026), not {text:?}");
    let digits = |part: &str| !part.is_empty() && part.bytes().all(|byte| byte.is_ascii_digit());
    let (year, rest) = match text.get(..4) {
        Some(year) if digits(year) => (year, &text[4..]),
        _ => return Err(shape()),
    };
    let year: i32 = year.parse().map_err(|_| shape())?;
    if !(2000..=2100).contains(&year) {
        return Err(format!(
            "the year must be 2000-2100, not {year} in {text:?}"
        ));
    }
    let (kind, number) = if rest.is_empty() {
        (pb::PeriodKind::Year, 0)
    } else if let Some(month) = rest.strip_prefix('-') {
        if month.len() != 2 || !digits(month) {
            return Err(shape());
        }
        let month: i32 = month.parse().map_err(|_| shape())?;
        if !(1..=12).contains(&month) {
            return Err(format!(
                "the month must be 01-12, not {month:02} in {text:?}"
            ));
        }
        (pb::PeriodKind::Month, month)
    } else if let Some(quarter) = rest.strip_prefix(['Q', 'q']) {
        if quarter.len() != 1 || !digits(quarter) {
            return Err(shape());
        }
        let quarter: i32 = quarter.parse().map_err(|_| shape())?;
        if !(1..=4).contains(&quarter) {
            return Err(format!(
                "the quarter must be 1-4, not {quarter} in {text:?}"
            ));
        }
        (pb::PeriodKind::Quarter, quarter)
    } else {
        return Err(shape());
    };
    Ok(pb::Period {
        kind: kind as i32,
        year,
        number,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn period(kind: pb::PeriodKind, year: i32, number: i32) -> pb::Period {
        pb::Period {
            kind: kind as i32,
            year,
            number,
        }
    }

    #[test]
    fn periods_are_months_quarters_and_years() {
        assert_eq!(
            parse_period("2026-03"),
            Ok(period(pb::PeriodKind::Month, 2026, 3))
        );
        assert_eq!(
            parse_period("2026-12"),
            Ok(period(pb::PeriodKind::Month, 2026, 12))
        );
        assert_eq!(
            parse_period("2026Q1"),
            Ok(period(pb::PeriodKind::Quarter, 2026, 1))
        );
        assert_eq!(
            parse_period("2027q4"),
            Ok(period(pb::PeriodKind::Quarter, 2027, 4))
        );
        assert_eq!(
            parse_period("2026"),
            Ok(period(pb::PeriodKind::Year, 2026, 0))
        );
    }

    #[test]
    fn anything_else_is_refused_saying_why() {
        for bad in [
            "",
            "26",
            "2026-3",
            "2026-003",
            "2026-",
            "2026/03",
            "2026Q",
            "2026Q12",
            "2026-03-01",
            " 2026",
            "2026 ",
            "２０２６",
            "2026M03",
            "abcd-03",
            "-2026",
            "2026Q+1",
            "2026-+3",
        ] {
            let error = parse_period(bad).expect_err(bad);
            assert!(error.contains("expected a month"), "{bad:?}: {error}");
        }
        assert_eq!(
            parse_period("2026-13"),
            Err("the month must be 01-12, not 13 in \"2026-13\"".to_owned())
        );
        assert_eq!(
            parse_period("2026-00"),
            Err("the month must be 01-12, not 00 in \"2026-00\"".to_owned())
        );
        assert_eq!(
            parse_period("2026Q5"),
            Err("the quarter must be 1-4, not 5 in \"2026Q5\"".to_owned())
        );
        assert_eq!(
            parse_period("1999"),
            Err("the year must be 2000-2100, not 1999 in \"1999\"".to_owned())
        );
    }

    #[test]
    fn the_default_file_is_the_service_name_in_the_current_directory() {
        assert_eq!(
            default_path("统计报表_2026年3月_兴隆台区.xlsx", FileFormat::Xlsx),
            PathBuf::from("统计报表_2026年3月_兴隆台区.xlsx")
        );
        assert_eq!(
            default_path("../../etc/passwd", FileFormat::Csv),
            PathBuf::from("passwd")
        );
        assert_eq!(
            default_path("", FileFormat::Csv),
            PathBuf::from("report.csv")
        );
        assert_eq!(
            reporting_url(50051, false).expect("a url"),
            "https://127.0.0.1:50054"
        );
        assert_eq!(
            reporting_url(60000, true).expect("a url"),
            "http://127.0.0.1:60003"
        );
        assert!(reporting_url(65534, false).is_err());
    }
}
