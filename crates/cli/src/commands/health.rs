//! `relief health`: asks every service's `grpc.health.v1.Health/Check` and prints a table.
//! Exits non-zero unless every one answers SERVING (container health checks use it).

use std::path::PathBuf;
use std::time::Duration;

use relief_runtime::auth::INSECURE_CALLER_HEADER;
use relief_runtime::client;
use relief_runtime::pki::service_caller;
use relief_runtime::tls::TlsMaterial;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;

/// One endpoint to check.
#[derive(Debug, Clone)]
pub struct Target {
    /// The service's name (also the server name its certificate carries).
    pub service: String,
    /// `https://host:port`, or `http://127.0.0.1:port` in plaintext mode.
    pub url: String,
}

/// Credentials: a CA and a client certificate, or plaintext.
#[derive(Debug, Clone)]
pub enum Credentials {
    /// mTLS with these PEM files; `None` cert/key means "the service's own certificate in the
    /// dev PKI directory".
    Tls {
        /// The PKI directory of `relief certs`.
        pki_dir: PathBuf,
        /// Explicit CA file.
        ca: Option<PathBuf>,
        /// Explicit certificate.
        cert: Option<PathBuf>,
        /// Explicit key.
        key: Option<PathBuf>,
    },
    /// Plaintext on loopback.
    Insecure,
}

/// Checks every target; returns whether all are SERVING.
pub async fn run(targets: &[Target], credentials: &Credentials) -> bool {
    println!("{:<11} {:<28} STATUS", "SERVICE", "ENDPOINT");
    let mut all_serving = true;
    for target in targets {
        let status = match check(target, credentials).await {
            Ok(status) => status,
            Err(error) => format!("UNREACHABLE ({error})"),
        };
        all_serving &= status == "SERVING";
        println!("{:<11} {:<28} {status}", target.service, target.url);
    }
    all_serving
}

async fn check(target: &Target, credentials: &Credentials) -> anyhow::Result<String> {
    let channel = match credentials {
        Credentials::Insecure => client::connect(&target.url, None).await?,
        Credentials::Tls {
            pki_dir,
            ca,
            cert,
            key,
        } => {
            let own = |ext: &str| {
                pki_dir
                    .join("services")
                    .join(format!("{}.{ext}", target.service))
            };
            let material = TlsMaterial::from_files(
                ca.as_deref().unwrap_or(&pki_dir.join("ca.pem")),
                cert.as_deref().unwrap_or(&own("pem")),
                key.as_deref().unwrap_or(&own("key")),
            )?;
            client::connect(&target.url, Some((&material, &target.service))).await?
        }
    };
    let mut request = tonic::Request::new(HealthCheckRequest {
        service: String::new(),
    });
    request.set_timeout(Duration::from_secs(5));
    if matches!(credentials, Credentials::Insecure) {
        let caller = service_caller(&target.service).spiffe_id();
        request
            .metadata_mut()
            .insert(INSECURE_CALLER_HEADER, caller.parse()?);
    }
    let response = HealthClient::new(channel).check(request).await?;
    Ok(response.into_inner().status().as_str_name().to_owned())
}

/// The dev endpoints: every service on loopback at its default port.
pub fn dev_targets(insecure: bool, host: &str) -> Vec<Target> {
    let scheme = if insecure { "http" } else { "https" };
    crate::services::ALL
        .iter()
        .map(|entry| Target {
            service: entry.spec.name.to_owned(),
            url: format!("{scheme}://{host}:{}", entry.spec.default_port),
        })
        .collect()
}

/// Parses `NAME=URL`.
pub fn parse_target(text: &str) -> Result<Target, String> {
    let (service, url) = text.split_once('=').ok_or_else(|| {
        "expected SERVICE=URL, e.g. intake=https://relief-intake:50051".to_owned()
    })?;
    Ok(Target {
        service: service.to_owned(),
        url: url.to_owned(),
    })
}
