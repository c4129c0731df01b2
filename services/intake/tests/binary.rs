//! The `relief-intake` binary as an operator runs it: a bad configuration exits 64 naming the
//! key, and SIGTERM stops a serving process with exit code 0. (Every service binary goes
//! through the same `relief_runtime::launch::service_main`.)

#![allow(clippy::unwrap_used, reason = "test helpers: a panic is a failed test")]

use std::process::{Command, Stdio};
use std::time::Duration;

use relief_runtime::auth::INSECURE_CALLER_HEADER;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

const BINARY: &str = env!("CARGO_BIN_EXE_relief-intake");

fn intake() -> Command {
    let deploy = relief_testkit::deploy_dir();
    let mut command = Command::new(BINARY);
    command
        .env("RELIEF_UNITS_FILE", deploy.join("units.toml"))
        .env("RELIEF_HOLIDAYS_FILE", deploy.join("holidays.toml"))
        .stdin(Stdio::null());
    command
}

#[test]
fn a_bad_configuration_exits_64_naming_the_key() {
    let cases = [
        (
            "RELIEF_LIMITS__REQUEST_TIMEOUT_MS",
            "soon",
            "limits.request_timeout_ms",
        ),
        ("RELIEF_LISTEN", "not-an-address", "listen"),
        ("RELIEF_DATABASE_URL", "mysql://x/y", "database_url"),
        (
            "RELIEF_HOLIDAYS_FILE",
            "/nonexistent/holidays.toml",
            "holidays_file",
        ),
        ("RELIEF_TLS_CA_FILE", "/nonexistent/ca.pem", "tls_ca_file"),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (variable, value, key) in cases {
        let output = intake()
            .env("RELIEF_DATA_DIR", dir.path())
            .env(variable, value)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(
            output.status.code(),
            Some(64),
            "{variable}={value}: {stderr}"
        );
        assert!(
            stderr.contains(key),
            "{variable}={value} should name {key}: {stderr}"
        );
    }
}

#[tokio::test]
async fn sigterm_stops_a_serving_process_with_exit_code_0() {
    let dir = tempfile::tempdir().unwrap();
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().port()
    };
    let mut child = intake()
        .env("RELIEF_DATA_DIR", dir.path())
        .env("RELIEF_LISTEN", format!("127.0.0.1:{port}"))
        .env("RELIEF_INSECURE", "true")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();

    let url = format!("http://127.0.0.1:{port}");
    let mut serving = false;
    for _ in 0..600 {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("relief-intake exited before serving: {status}");
        }
        if is_serving(&url).await {
            serving = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(serving, "relief-intake did not serve within 60 s");

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let mut status = None;
    for _ in 0..600 {
        status = child.try_wait().unwrap();
        if status.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let Some(status) = status else {
        child.kill().unwrap();
        panic!("relief-intake did not stop within 60 s of SIGTERM");
    };
    assert_eq!(status.code(), Some(0));
}

/// Whether the plaintext service at `url` answers its health check with SERVING.
async fn is_serving(url: &str) -> bool {
    let Ok(channel) = relief_runtime::client::connect(url, None).await else {
        return false;
    };
    let mut request = tonic::Request::new(HealthCheckRequest::default());
    request.metadata_mut().insert(
        INSECURE_CALLER_HEADER,
        "spiffe://relief.local/station/211100/city-station"
            .parse()
            .unwrap(),
    );
    HealthClient::new(channel)
        .check(request)
        .await
        .is_ok_and(|r| r.into_inner().status() == ServingStatus::Serving)
}
