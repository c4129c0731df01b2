//! The one place that builds client channels: mTLS, timeouts and keepalive, so every caller of a
//! relief service (another service, the CLI, the testkit) connects the same way.

use std::time::Duration;

use tonic::transport::{Channel, Endpoint};

use crate::tls::TlsMaterial;

/// Why a channel could not be built.
#[derive(Debug, thiserror::Error)]
#[error("cannot connect to {url}: {source}")]
pub struct ConnectError {
    /// The endpoint.
    pub url: String,
    /// The cause.
    #[source]
    pub source: tonic::transport::Error,
}

/// An endpoint for `url` (`https://host:port`, or `http://` for plaintext loopback), presenting
/// `tls` and expecting the server certificate to name `server_name`.
pub fn endpoint(url: &str, tls: Option<(&TlsMaterial, &str)>) -> Result<Endpoint, ConnectError> {
    let error = |source| ConnectError {
        url: url.to_owned(),
        source,
    };
    let mut endpoint = Endpoint::from_shared(url.to_owned())
        .map_err(error)?
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(30))
        .tcp_nodelay(true)
        .http2_keep_alive_interval(Duration::from_secs(30))
        .keep_alive_while_idle(true);
    if let Some((material, server_name)) = tls {
        endpoint = endpoint
            .tls_config(material.client_config(server_name))
            .map_err(error)?;
    }
    Ok(endpoint)
}

/// Connects now (fails fast when the server is down).
pub async fn connect(
    url: &str,
    tls: Option<(&TlsMaterial, &str)>,
) -> Result<Channel, ConnectError> {
    endpoint(url, tls)?
        .connect()
        .await
        .map_err(|source| ConnectError {
            url: url.to_owned(),
            source,
        })
}

/// A channel that connects on first use and reconnects as needed.
pub fn connect_lazy(url: &str, tls: Option<(&TlsMaterial, &str)>) -> Result<Channel, ConnectError> {
    Ok(endpoint(url, tls)?.connect_lazy())
}
