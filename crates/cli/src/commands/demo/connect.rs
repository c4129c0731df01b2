//! Reaching a running `relief dev` as its units: the four services on consecutive loopback
//! ports, each call made with the calling unit's certificate from the dev PKI under the data
//! directory (mTLS), or in plaintext mode with the unit's SPIFFE id in `x-relief-caller`.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;

use anyhow::{Context as _, anyhow};
use relief_proto::admin::v1::clock_service_client::ClockServiceClient;
use relief_proto::foster::v1::foster_supervision_service_client::FosterSupervisionServiceClient;
use relief_proto::identity::v1::identity_query_service_client::IdentityQueryServiceClient;
use relief_proto::intake::v1::intake_service_client::IntakeServiceClient;
use relief_proto::notifications::v1::notification_service_client::NotificationServiceClient;
use relief_proto::reporting::v1::reporting_service_client::ReportingServiceClient;
use relief_runtime::auth::INSECURE_CALLER_HEADER;
use relief_runtime::pki::DevPki;
use relief_runtime::tls::TlsMaterial;
use relief_runtime::{Caller, client};
use tonic::metadata::{Ascii, MetadataValue};
use tonic::service::Interceptor;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

use crate::services;

/// A channel that speaks as one unit.
pub type UnitChannel = InterceptedService<Channel, AsCaller>;

/// Adds `x-relief-caller` to every call in plaintext mode; does nothing over mTLS, where the
/// certificate says who calls.
#[derive(Debug, Clone)]
pub struct AsCaller(Option<MetadataValue<Ascii>>);

impl Interceptor for AsCaller {
    fn call(
        &mut self,
        mut request: tonic::Request<()>,
    ) -> Result<tonic::Request<()>, tonic::Status> {
        if let Some(caller) = &self.0 {
            request
                .metadata_mut()
                .insert(INSECURE_CALLER_HEADER, caller.clone());
        }
        Ok(request)
    }
}

/// The running cluster, as its units reach it.
#[derive(Debug)]
pub struct Connection {
    pki: DevPki,
    base_port: u16,
    insecure: bool,
    channels: Mutex<HashMap<(&'static str, String), Channel>>,
}

impl Connection {
    /// The cluster of `relief dev --data-dir DATA_DIR --base-port BASE_PORT [--insecure]`.
    pub fn new(data_dir: &Path, base_port: u16, insecure: bool) -> Self {
        Connection {
            pki: DevPki::at(data_dir.join("pki")),
            base_port,
            insecure,
            channels: Mutex::new(HashMap::new()),
        }
    }

    /// The URL of `service` (intake, identity, foster, reporting: consecutive ports).
    pub fn url(&self, service: &str) -> anyhow::Result<String> {
        let index = services::ALL
            .iter()
            .position(|entry| entry.spec.name == service)
            .ok_or_else(|| anyhow!("no service {service}"))?;
        let port = u16::try_from(index)
            .ok()
            .and_then(|index| self.base_port.checked_add(index))
            .context("--base-port leaves no room for four consecutive ports")?;
        let scheme = if self.insecure { "http" } else { "https" };
        Ok(format!("{scheme}://127.0.0.1:{port}"))
    }

    /// A channel to `service` as `who` (made once per service and unit; it connects on first
    /// use and reconnects as needed).
    fn channel(&self, service: &'static str, who: &Caller) -> anyhow::Result<UnitChannel> {
        let key = (service, who.unit.clone());
        let mut channels = self
            .channels
            .lock()
            .map_err(|_| anyhow!("a demo task panicked"))?;
        let channel = match channels.get(&key) {
            Some(channel) => channel.clone(),
            None => {
                let url = self.url(service)?;
                let channel = if self.insecure {
                    client::connect_lazy(&url, None)?
                } else {
                    let material = self.material(who)?;
                    client::connect_lazy(&url, Some((&material, service)))?
                };
                channels.insert(key, channel.clone());
                channel
            }
        };
        let header = if self.insecure {
            Some(who.spiffe_id().parse()?)
        } else {
            None
        };
        Ok(InterceptedService::new(channel, AsCaller(header)))
    }

    /// The CA and `who`'s certificate from the dev PKI.
    fn material(&self, who: &Caller) -> anyhow::Result<TlsMaterial> {
        let (cert, key) = self.pki.unit_files(&who.unit);
        if !cert.is_file() {
            anyhow::bail!(
                "no certificate for {} at {}: is --data-dir the one `relief dev` uses (and was \
                 it started without --insecure)?",
                who.unit,
                cert.display()
            );
        }
        TlsMaterial::from_files(&self.pki.ca_cert(), &cert, &key)
            .with_context(|| format!("cannot read the certificate of {}", who.unit))
    }

    /// Gives a unit registered through the API (a foster institution) its certificate, as
    /// `relief certs issue` does, unless it has one; plaintext mode needs none.
    pub fn ensure_certificate(&self, who: &Caller) -> anyhow::Result<()> {
        if self.insecure || self.pki.unit_files(&who.unit).0.is_file() {
            return Ok(());
        }
        self.pki
            .issue(who)
            .with_context(|| format!("cannot issue a certificate for {who}"))?;
        Ok(())
    }

    /// The intake service, as `who`.
    pub fn intake(&self, who: &Caller) -> anyhow::Result<IntakeServiceClient<UnitChannel>> {
        Ok(IntakeServiceClient::new(self.channel("intake", who)?))
    }

    /// The identity service, as `who`.
    pub fn identity(
        &self,
        who: &Caller,
    ) -> anyhow::Result<IdentityQueryServiceClient<UnitChannel>> {
        Ok(IdentityQueryServiceClient::new(
            self.channel("identity", who)?,
        ))
    }

    /// The foster service, as `who`.
    pub fn foster(
        &self,
        who: &Caller,
    ) -> anyhow::Result<FosterSupervisionServiceClient<UnitChannel>> {
        Ok(FosterSupervisionServiceClient::new(
            self.channel("foster", who)?,
        ))
    }

    /// The reporting service, as `who`.
    pub fn reporting(&self, who: &Caller) -> anyhow::Result<ReportingServiceClient<UnitChannel>> {
        Ok(ReportingServiceClient::new(self.channel("reporting", who)?))
    }

    /// The notifications `service` issued, as `who`.
    pub fn notifications(
        &self,
        service: &'static str,
        who: &Caller,
    ) -> anyhow::Result<NotificationServiceClient<UnitChannel>> {
        Ok(NotificationServiceClient::new(self.channel(service, who)?))
    }

    /// The dev clock (served by every service of `relief dev --dev-clock`; they share it), as
    /// `who`.
    pub fn clock(&self, who: &Caller) -> anyhow::Result<ClockServiceClient<UnitChannel>> {
        Ok(ClockServiceClient::new(self.channel("intake", who)?))
    }
}
