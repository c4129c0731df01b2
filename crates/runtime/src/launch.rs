//! The body of every service binary's `main`: configuration, telemetry, listener, signals,
//! exit codes (0 after a clean shutdown, 64 for bad configuration, 1 for any other failure).

use std::future::Future;
use std::path::PathBuf;
use std::process::ExitCode;

use tokio::net::TcpListener;

use crate::clock::Clock;
use crate::config::{ConfigError, ServiceConfig, exit_on_error};
use crate::server::{RunError, ServiceSpec, bind};

/// Runs one service as its own process. `run` is the service crate's
/// `run(config, clock, listener, shutdown)`.
pub async fn service_main<F, Fut>(spec: &ServiceSpec, run: F) -> ExitCode
where
    F: FnOnce(
        ServiceConfig,
        Clock,
        TcpListener,
        std::pin::Pin<Box<dyn Future<Output = ()> + Send>>,
    ) -> Fut,
    Fut: Future<Output = Result<(), RunError>>,
{
    let args = Args::parse();
    let mut config = exit_on_error(ServiceConfig::load(
        spec.default_port,
        args.config.as_deref(),
    ));
    if let Some(start) = args.dev_clock {
        config.dev_clock = Some(start);
    }
    let clock = exit_on_error(Clock::from_config(&config).map_err(|e| ConfigError {
        key: "dev_clock".to_owned(),
        message: e.to_string(),
    }));
    let _telemetry = match crate::telemetry::init(
        &format!("relief-{}", spec.name),
        config.log_format,
        &config.log_filter,
        crate::telemetry::otlp_endpoint_from_env(),
    ) {
        Ok(guard) => guard,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
    };
    let result = async {
        let listener = bind(&config).await?;
        run(config, clock, listener, Box::pin(crate::shutdown::signal())).await
    }
    .await;
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(error = %error, "service stopped with an error");
            eprintln!("error: {error}");
            ExitCode::from(error.exit_code())
        }
    }
}

/// The few flags a service binary takes; everything else is configuration.
struct Args {
    /// `--config FILE` (or `-c FILE`); `RELIEF_CONFIG` works too.
    config: Option<PathBuf>,
    /// `--dev-clock` (from now) or `--dev-clock=START`; `RELIEF_DEV_CLOCK` works too.
    dev_clock: Option<String>,
}

impl Args {
    fn parse() -> Args {
        let mut parsed = Args {
            config: None,
            dev_clock: None,
        };
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            if arg == "--config" || arg == "-c" {
                parsed.config = args.next().map(PathBuf::from);
            } else if let Some(path) = arg.strip_prefix("--config=") {
                parsed.config = Some(PathBuf::from(path));
            } else if arg == "--dev-clock" {
                parsed.dev_clock = Some(String::new());
            } else if let Some(start) = arg.strip_prefix("--dev-clock=") {
                parsed.dev_clock = Some(start.to_owned());
            } else {
                eprintln!(
                    "error: unknown argument {arg:?} (flags: --config FILE, --dev-clock[=START]; the rest is RELIEF_* configuration)"
                );
                std::process::exit(crate::config::EXIT_BAD_CONFIG);
            }
        }
        parsed
    }
}
