//! `relief dev`: the whole system in one process, no setup. Four services on loopback ports,
//! each with its own SQLite file under the data directory, a dev PKI created on first start,
//! endpoints and certificate paths printed.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use relief_runtime::ServiceConfig;
use relief_runtime::clock::{self, Clock};
use relief_runtime::config::LogFormat;
use relief_runtime::personal_data;
use relief_runtime::pki::DevPki;
use relief_runtime::shutdown::Shutdown;
use relief_runtime::units::Units;
use tokio::net::TcpListener;

use crate::services;

/// The shipped reference data, used when the files are not found on disk.
const SHIPPED_UNITS: &str = include_str!("../../../../deploy/units.toml");
const SHIPPED_HOLIDAYS: &str = include_str!("../../../../deploy/holidays.toml");

/// Options of `relief dev`.
#[derive(Debug, Clone)]
pub struct DevOptions {
    /// Where SQLite files and the dev PKI live.
    pub data_dir: PathBuf,
    /// First port; the services take consecutive ports from it.
    pub base_port: u16,
    /// The units file (default `deploy/units.toml`, else the shipped copy).
    pub units_file: Option<PathBuf>,
    /// The holiday calendar (default `deploy/holidays.toml`, else the shipped copy).
    pub holidays_file: Option<PathBuf>,
    /// Plaintext on loopback instead of mTLS.
    pub insecure: bool,
    /// Log filter.
    pub log_filter: String,
    /// `None`: system clock. `Some("")`: a dev clock from now; `Some(START)`: from START.
    pub dev_clock: Option<String>,
}

/// Runs the dev cluster until SIGTERM or Ctrl-C.
pub async fn run(options: DevOptions) -> anyhow::Result<()> {
    std::fs::create_dir_all(&options.data_dir)
        .with_context(|| format!("cannot create {}", options.data_dir.display()))?;
    let units_file = reference_file(
        &options.data_dir,
        options.units_file.clone(),
        "units.toml",
        SHIPPED_UNITS,
    )?;
    let holidays_file = reference_file(
        &options.data_dir,
        options.holidays_file.clone(),
        "holidays.toml",
        SHIPPED_HOLIDAYS,
    )?;
    let pki = DevPki::at(options.data_dir.join("pki"));
    if !options.insecure {
        let units = Units::load(&units_file)?;
        let written = pki.ensure(&services::names(), &units)?;
        if written > 0 {
            println!(
                "created {written} dev certificate(s) in {}",
                pki.dir.display()
            );
        }
    }
    // One set of personal-data keys for all four services (the blind index is shared), made on
    // first start and kept beside the databases it protects.
    let keys_file = options.data_dir.join(personal_data::KEYS_FILE_NAME);
    let (personal_data_keys, created) = personal_data::load_or_create_keys_file(&keys_file)
        .with_context(|| format!("cannot read or create {}", keys_file.display()))?;
    if created {
        println!("created personal-data keys in {}", keys_file.display());
    }
    let _telemetry = relief_runtime::telemetry::init(
        "relief-dev",
        LogFormat::Pretty,
        &options.log_filter,
        relief_runtime::telemetry::otlp_endpoint_from_env(),
    )?;

    // One clock for all four services, so moving it moves the whole system.
    let clock = match &options.dev_clock {
        None => Clock::system(),
        Some(start) => Clock::dev(
            clock::parse_start(start)?,
            Some(options.data_dir.join(clock::DEV_CLOCK_FILE)),
        )?,
    };
    let shutdown = Shutdown::new();
    let mut tasks = tokio::task::JoinSet::new();
    // Bind every port first, so each service knows where its peers are.
    let scheme = if options.insecure { "http" } else { "https" };
    let mut listeners = Vec::new();
    let mut peers = relief_runtime::config::PeersConfig::default();
    for (index, entry) in services::ALL.iter().enumerate() {
        let port = u16::try_from(index)
            .ok()
            .and_then(|index| options.base_port.checked_add(index))
            .context("--base-port leaves no room for four consecutive ports")?;
        let listen = SocketAddr::from(([127, 0, 0, 1], port));
        let listener = TcpListener::bind(listen)
            .await
            .with_context(|| format!("cannot listen on {listen} for {}", entry.spec.name))?;
        let url = format!("{scheme}://{}", listener.local_addr()?);
        peers.set(entry.spec.name, url);
        listeners.push((entry, listener));
    }
    let mut endpoints = Vec::new();
    for (entry, listener) in listeners {
        let mut config = ServiceConfig::defaults(listener.local_addr()?.port());
        let (cert, key) = pki.service_files(entry.spec.name);
        config.data_dir = options.data_dir.clone();
        config.units_file = units_file.clone();
        config.holidays_file = holidays_file.clone();
        config.tls_ca_file = pki.ca_cert();
        config.tls_cert_file = cert;
        config.tls_key_file = key;
        config.insecure = options.insecure;
        config.log_filter = options.log_filter.clone();
        config.dev_clock = options.dev_clock.clone();
        config.personal_data = personal_data_keys.clone();
        config.peers = peers.clone();
        config.validate()?;
        endpoints.push((entry.spec.name, listener.local_addr()?));
        let run = entry.run;
        let clock = clock.clone();
        let stop = shutdown.wait();
        let name = entry.spec.name;
        tasks.spawn(async move { (name, run(config, clock, listener, Box::pin(stop)).await) });
    }
    print_banner(&options, &pki, &endpoints);
    if clock.is_dev() {
        println!(
            "dev clock: it is {} (move it with relief.admin.v1.ClockService/SetTime or Advance)",
            clock.now().with_timezone(&relief_legal::china())
        );
    }

    tokio::select! {
        () = relief_runtime::shutdown::signal() => {}
        Some(joined) = tasks.join_next() => {
            report(joined);
            println!("a service stopped; stopping the others");
        }
    }
    shutdown.trigger();
    let mut failed = false;
    while let Some(joined) = tasks.join_next().await {
        failed |= report(joined);
    }
    anyhow::ensure!(!failed, "a service stopped with an error");
    Ok(())
}

type Joined = Result<(&'static str, Result<(), relief_runtime::RunError>), tokio::task::JoinError>;

/// Prints a failure; returns whether there was one.
fn report(joined: Joined) -> bool {
    match joined {
        Ok((_, Ok(()))) => false,
        Ok((name, Err(error))) => {
            eprintln!("{name}: {error}");
            true
        }
        Err(error) => {
            eprintln!("a service task failed: {error}");
            true
        }
    }
}

/// The configured file, else `deploy/<name>` if present, else the shipped copy written into the
/// data directory.
fn reference_file(
    data_dir: &Path,
    configured: Option<PathBuf>,
    name: &str,
    shipped: &str,
) -> anyhow::Result<PathBuf> {
    if let Some(path) = configured {
        return Ok(path);
    }
    let in_repo = Path::new("deploy").join(name);
    if in_repo.is_file() {
        return Ok(in_repo);
    }
    let copy = data_dir.join(name);
    if !copy.is_file() {
        std::fs::write(&copy, shipped)
            .with_context(|| format!("cannot write {}", copy.display()))?;
    }
    Ok(copy)
}

fn print_banner(options: &DevOptions, pki: &DevPki, endpoints: &[(&str, SocketAddr)]) {
    let scheme = if options.insecure { "http" } else { "https" };
    println!();
    println!(
        "relief dev: {} services, data in {}",
        endpoints.len(),
        options.data_dir.display()
    );
    for (name, addr) in endpoints {
        println!("  {name:<10} {scheme}://{addr}");
    }
    let (first_name, first_addr) = endpoints
        .first()
        .copied()
        .unwrap_or(("intake", SocketAddr::from(([127, 0, 0, 1], 50051))));
    if options.insecure {
        println!("plaintext: send the caller in the x-relief-caller header, e.g.");
        println!(
            "  grpcurl -plaintext -H 'x-relief-caller: spiffe://relief.local/station/211100/city-station' {first_addr} list"
        );
    } else {
        let (cert, key) = pki.unit_files("city-station");
        println!("CA certificate:      {}", pki.ca_cert().display());
        println!(
            "client certificates: {}/units/<unit-id>.pem and .key (one per unit of units.toml)",
            pki.dir.display()
        );
        println!("try ({first_name}, as the city relief station):");
        println!(
            "  grpcurl -cacert {} -cert {} -key {} {first_addr} list",
            pki.ca_cert().display(),
            cert.display(),
            key.display()
        );
    }
    println!("check: relief health    stop: Ctrl-C");
}
