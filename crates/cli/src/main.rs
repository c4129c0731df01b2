//! `relief`: run the whole system on one machine (`relief dev`), issue certificates, migrate
//! databases and check health.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use relief_cli::commands::{certs, dev, health, migrate, reencrypt};

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
    }
    Ok(ExitCode::SUCCESS)
}
