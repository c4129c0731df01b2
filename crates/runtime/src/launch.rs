//! The body of every service binary's `main`: configuration, telemetry, listener, signals,
//! exit codes (0 after a clean shutdown, 64 for bad configuration, 1 for any other failure).

use std::future::Future;
use std::path::PathBuf;
use std::process::ExitCode;

use tokio::net::TcpListener;

use crate::config::{ServiceConfig, exit_on_error};
use crate::server::{RunError, ServiceSpec, bind};

/// Runs one service as its own process. `run` is the service crate's
/// `run(config, listener, shutdown)`.
pub async fn service_main<F, Fut>(spec: &ServiceSpec, run: F) -> ExitCode
where
    F: FnOnce(
        ServiceConfig,
        TcpListener,
        std::pin::Pin<Box<dyn Future<Output = ()> + Send>>,
    ) -> Fut,
    Fut: Future<Output = Result<(), RunError>>,
{
    let file = config_file_arg();
    let config = exit_on_error(ServiceConfig::load(spec.default_port, file.as_deref()));
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
        run(config, listener, Box::pin(crate::shutdown::signal())).await
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

/// `--config FILE` (or `-c FILE`) from the command line; `RELIEF_CONFIG` works too.
fn config_file_arg() -> Option<PathBuf> {
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--config" || arg == "-c" {
            return args.next().map(PathBuf::from);
        }
        if let Some(path) = arg.strip_prefix("--config=") {
            return Some(PathBuf::from(path));
        }
    }
    None
}
