//! `relief-reporting`: the reporting service as its own process, configured by `RELIEF_*` environment
//! variables and an optional `--config FILE`. Exit codes: 0 after a clean shutdown (SIGTERM or
//! Ctrl-C), 64 for bad configuration, 1 for any other failure.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    relief_runtime::launch::service_main(&relief_reporting::SPEC, relief_reporting::run).await
}
