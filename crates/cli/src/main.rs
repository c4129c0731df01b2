//! `relief`: run the whole system on one machine (`relief dev`), issue certificates, migrate
//! databases and check health.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use relief_cli::commands::{certs, demo, dev, health, migrate, reencrypt, report};

#[derive(Parser)]
#[command(
    name = "relief",
    version,
    about = "Relief management for homeless people without means of living"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run all four services in this process on loopback, with SQLite under the data directory.
    Dev {
        /// Data directory (SQLite files, dev PKI).
        #[arg(long, default_value = "data")]
        data_dir: PathBuf,
        /// First port; intake, identity, foster and reporting take consecutive ports.
        #[arg(long, default_value_t = 50051)]
        base_port: u16,
        /// Units reference file (default: deploy/units.toml, else the shipped copy).
        #[arg(long)]
        units: Option<PathBuf>,
        /// Holiday calendar (default: deploy/holidays.toml, else the shipped copy).
        #[arg(long)]
        holidays: Option<PathBuf>,
        /// Plaintext gRPC on loopback instead of mTLS (callers send x-relief-caller).
        #[arg(long)]
        insecure: bool,
        /// Log filter (tracing EnvFilter syntax; RUST_LOG overrides).
        #[arg(long, default_value = "info")]
        log: String,
        /// Run on a dev clock, from now or from START (RFC 3339, e.g. 2026-01-15T09:00:00+08:00),
        /// movable forward through relief.admin.v1.ClockService. Kept across restarts.
        #[arg(long, value_name = "START", num_args = 0..=1, default_missing_value = "")]
        dev_clock: Option<String>,
    },
    /// Drive a realistic month through a running `relief dev --dev-clock`, then print the
    /// dashboard and write the month's statistics as XLSX.
    ///
    /// Patrols, grid officers, police, stations, the hospital, the police identity units, the
    /// civil-affairs bureaus and the foster institutions each call with their own certificate
    /// from the dev PKI, as they would; the dev clock moves day by day through the last week of
    /// one month and the whole of the next, the month reported on.
    Demo {
        /// Data directory of the running `relief dev` (its dev PKI is under pki/).
        #[arg(long, default_value = "data")]
        data_dir: PathBuf,
        /// First port of the running `relief dev`.
        #[arg(long, default_value_t = 50051)]
        base_port: u16,
        /// `relief dev` runs with --insecure (plaintext; the caller goes in x-relief-caller).
        #[arg(long)]
        insecure: bool,
        /// Where to write the month's XLSX [default: 报表_<YYYY-MM>.xlsx in the current directory].
        #[arg(long)]
        out: Option<PathBuf>,
        /// Seed of the month's mix of people and events (default: random, printed).
        #[arg(long)]
        seed: Option<u64>,
        /// Drive only this many days (the run-up at the end of the previous month included).
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=60))]
        days: Option<u32>,
    },
    /// Create the dev CA and a certificate for every service and unit that has none.
    Certs {
        /// PKI directory.
        #[arg(long, global = true, default_value = "data/pki")]
        dir: PathBuf,
        /// Units reference file.
        #[arg(long, global = true, default_value = "deploy/units.toml")]
        units: PathBuf,
        #[command(subcommand)]
        action: Option<CertsAction>,
    },
    /// Apply a service's database migrations (configured like the service: RELIEF_* and --config).
    Migrate {
        /// intake, identity, foster or reporting.
        service: String,
        /// Optional TOML configuration file.
        #[arg(long, short)]
        config: Option<PathBuf>,
    },
    /// Rewrite a service's personal data under the active key after a key rotation (configured
    /// like the service: RELIEF_* and --config); afterwards the old key may be removed.
    Reencrypt {
        /// intake, identity, foster or reporting.
        service: String,
        /// Optional TOML configuration file.
        #[arg(long, short)]
        config: Option<PathBuf>,
        /// Rows rewritten per transaction.
        #[arg(long, default_value_t = relief_runtime::personal_data::DEFAULT_BATCH_SIZE)]
        batch_size: u32,
    },
    /// Check every service's gRPC health and print a table; exit 1 unless all are SERVING.
    Health {
        /// SERVICE=URL, repeatable (default: the four dev endpoints on 127.0.0.1).
        #[arg(long = "endpoint", value_parser = health::parse_target)]
        endpoints: Vec<health::Target>,
        /// PKI directory of `relief certs`.
        #[arg(long, default_value = "data/pki")]
        pki_dir: PathBuf,
        /// CA file (default: <pki-dir>/ca.pem).
        #[arg(long)]
        ca: Option<PathBuf>,
        /// Client certificate (default: each service's own in <pki-dir>/services).
        #[arg(long, requires = "key")]
        cert: Option<PathBuf>,
        /// Client key.
        #[arg(long, requires = "cert")]
        key: Option<PathBuf>,
        /// Plaintext (services started with --insecure).
        #[arg(long)]
        insecure: bool,
    },
    /// Export a report of a running `relief dev` as a CSV or XLSX file (Chinese headers, a title
    /// row naming the period and the area); prints the path written.
    Report {
        /// Which report.
        #[arg(value_enum)]
        report: report::ReportName,
        /// A month (2026-03), a quarter (2026Q1) or a year (2026); required by statistics,
        /// accountability and funds, the current month for major, ignored by dashboard and alerts.
        #[arg(long, value_parser = report::parse_period)]
        period: Option<relief_proto::reporting::v1::Period>,
        /// Only this division (GB/T 2260 code; default: every division in the unit's scope).
        #[arg(long)]
        division: Option<String>,
        /// File format.
        #[arg(long, value_enum, default_value = "xlsx")]
        format: report::FileFormat,
        /// Where to write the file [default: the name the service gives, e.g.
        /// 统计报表_2026年3月_盘锦市.xlsx, in the current directory].
        #[arg(long)]
        out: Option<PathBuf>,
        /// The unit to export as (its certificate in <data-dir>/pki/units).
        #[arg(long = "as", value_name = "UNIT", default_value = report::DEFAULT_UNIT)]
        unit: String,
        /// Data directory of the running `relief dev` (its dev PKI is under pki/).
        #[arg(long, default_value = "data")]
        data_dir: PathBuf,
        /// First port of the running `relief dev` (reporting is base + 3).
        #[arg(long, default_value_t = 50051)]
        base_port: u16,
        /// `relief dev` runs with --insecure (plaintext; the unit goes in x-relief-caller).
        #[arg(long)]
        insecure: bool,
    },
}

#[derive(Subcommand)]
enum CertsAction {
    /// Issue a certificate for a unit registered through the API (a rescue point, an institution).
    Issue {
        /// Caller kind: station, civil-affairs, police, patrol, grid, relay, hospital, foster,
        /// government, supervisor, service.
        kind: String,
        /// GB/T 2260 division code.
        division: String,
        /// Unit id.
        unit: String,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    match run(Cli::parse()).await {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Dev {
            data_dir,
            base_port,
            units,
            holidays,
            insecure,
            log,
            dev_clock,
        } => {
            dev::run(dev::DevOptions {
                data_dir,
                base_port,
                units_file: units,
                holidays_file: holidays,
                insecure,
                log_filter: log,
                dev_clock,
            })
            .await?;
        }
        Command::Demo {
            data_dir,
            base_port,
            insecure,
            out,
            seed,
            days,
        } => {
            demo::run(demo::DemoOptions {
                data_dir,
                base_port,
                insecure,
                out,
                seed,
                days,
                progress: true,
            })
            .await?;
        }
        Command::Certs { dir, units, action } => match action {
            None => certs::ensure(&dir, &units)?,
            Some(CertsAction::Issue {
                kind,
                division,
                unit,
            }) => certs::issue(&dir, &kind, &division, &unit)?,
        },
        Command::Migrate { service, config } => migrate::run(&service, config.as_deref()).await?,
        Command::Reencrypt {
            service,
            config,
            batch_size,
        } => reencrypt::run(&service, config.as_deref(), batch_size).await?,
        Command::Health {
            endpoints,
            pki_dir,
            ca,
            cert,
            key,
            insecure,
        } => {
            let targets = if endpoints.is_empty() {
                health::dev_targets(insecure, "127.0.0.1")
            } else {
                endpoints
            };
            let credentials = if insecure {
                health::Credentials::Insecure
            } else {
                health::Credentials::Tls {
                    pki_dir,
                    ca,
                    cert,
                    key,
                }
            };
            if !health::run(&targets, &credentials).await {
                return Ok(ExitCode::FAILURE);
            }
        }
        Command::Report {
            report,
            period,
            division,
            format,
            out,
            unit,
            data_dir,
            base_port,
            insecure,
        } => {
            let path = report::run(&report::ReportOptions {
                report,
                period,
                division,
                format,
                out,
                unit,
                data_dir,
                base_port,
                insecure,
            })
            .await?;
            println!("{}", path.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}
