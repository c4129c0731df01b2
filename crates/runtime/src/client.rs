//! The one place that builds client channels: mTLS, timeouts and keepalive, so every caller of a
//! relief service (another service, the CLI, the testkit) connects the same way. A service calling
//! another one uses a [`Peer`]: the peer's URL and the TLS material from the service context, a
//! deadline on every call, the purpose header, and in plaintext mode the caller header.

use std::future::Future;
use std::time::Duration;

use tokio::sync::OnceCell;
use tonic::transport::{Channel, Endpoint};

use crate::auth::INSECURE_CALLER_HEADER;
use crate::error::ApiError;
use crate::personal_data::PURPOSE_HEADER;
use crate::server::ServiceContext;
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

/// How long one call to a peer may take unless [`Peer::with_timeout`] says otherwise.
pub const PEER_CALL_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a call to a peer gave no answer.
#[derive(Debug, thiserror::Error)]
pub enum PeerError {
    /// No answer within the call's deadline.
    #[error("{method} on {peer} timed out after {timeout:?}")]
    TimedOut {
        /// The peer.
        peer: &'static str,
        /// The method called.
        method: String,
        /// The deadline.
        timeout: Duration,
    },
    /// The peer (or the transport) answered with an error status.
    #[error("{method} on {peer} failed: {status}")]
    Status {
        /// The peer.
        peer: &'static str,
        /// The method called.
        method: String,
        /// The status.
        status: tonic::Status,
    },
}

impl PeerError {
    /// The gRPC code of the failure (DEADLINE_EXCEEDED for a timeout).
    pub fn code(&self) -> tonic::Code {
        match self {
            PeerError::TimedOut { .. } => tonic::Code::DeadlineExceeded,
            PeerError::Status { status, .. } => status.code(),
        }
    }

    /// Whether trying again later may succeed: the peer was unreachable, overloaded or slow.
    pub fn is_transient(&self) -> bool {
        matches!(
            self.code(),
            tonic::Code::Unavailable
                | tonic::Code::DeadlineExceeded
                | tonic::Code::ResourceExhausted
                | tonic::Code::Aborted
                | tonic::Code::Cancelled
                | tonic::Code::Unknown
        )
    }

    /// This service's answer when the peer's failure stops a call: UNAVAILABLE (retry with
    /// backoff) if [transient](Self::is_transient), INTERNAL otherwise.
    pub fn into_api_error(self) -> ApiError {
        if self.is_transient() {
            ApiError::unavailable("PEER_UNAVAILABLE", format!("{self}; retry with backoff"))
        } else {
            ApiError::internal(self)
        }
    }
}

/// A client of another relief service (`context.config.peers`), as this service: its
/// certificate (or, in plaintext mode, its SPIFFE id in `x-relief-caller`), a deadline on every
/// call, and an optional `x-relief-purpose`. The channel connects on first use and reconnects as
/// needed; keep the peer to reuse it.
#[derive(Debug)]
pub struct Peer {
    name: &'static str,
    url: Option<String>,
    tls: Option<TlsMaterial>,
    caller: String,
    timeout: Duration,
    channel: OnceCell<Channel>,
}

impl Peer {
    /// The peer service called `name` (`intake`, `identity`, `foster`, `reporting`) of
    /// `context`; nothing connects yet.
    pub fn new(context: &ServiceContext, name: &'static str) -> Self {
        Peer {
            name,
            url: context.config.peers.url(name).map(str::to_owned),
            tls: context.tls.clone(),
            caller: crate::pki::service_caller(context.service).spiffe_id(),
            timeout: PEER_CALL_TIMEOUT,
            channel: OnceCell::new(),
        }
    }

    /// The same peer with another deadline per call.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The peer's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The channel (built on first use; an unknown peer or a bad URL is INTERNAL: configuration).
    pub async fn channel(&self) -> Result<Channel, ApiError> {
        self.channel
            .get_or_try_init(|| async {
                let url = self
                    .url
                    .as_deref()
                    .ok_or_else(|| ApiError::internal(format!("no peer url for {}", self.name)))?;
                let tls = self.tls.as_ref().map(|material| (material, self.name));
                connect_lazy(url, tls).map_err(ApiError::internal)
            })
            .await
            .cloned()
    }

    /// A request carrying `message` with the call's deadline, `purpose` (if any) in
    /// `x-relief-purpose`, and in plaintext mode this service's SPIFFE id in `x-relief-caller`.
    pub fn request<M>(
        &self,
        message: M,
        purpose: Option<&str>,
    ) -> Result<tonic::Request<M>, ApiError> {
        let mut request = tonic::Request::new(message);
        request.set_timeout(self.timeout);
        let metadata = request.metadata_mut();
        if let Some(purpose) = purpose {
            metadata.insert(PURPOSE_HEADER, purpose.parse().map_err(ApiError::internal)?);
        }
        if self.tls.is_none() {
            metadata.insert(
                INSECURE_CALLER_HEADER,
                self.caller.parse().map_err(ApiError::internal)?,
            );
        }
        Ok(request)
    }

    /// Awaits `call` (a client method on a [`request`](Self::request)) for at most the call's
    /// deadline; the answer's message, or why there was none.
    pub async fn call<T>(
        &self,
        method: &str,
        call: impl Future<Output = Result<tonic::Response<T>, tonic::Status>>,
    ) -> Result<T, PeerError> {
        match tokio::time::timeout(self.timeout, call).await {
            Err(_) => Err(PeerError::TimedOut {
                peer: self.name,
                method: method.to_owned(),
                timeout: self.timeout,
            }),
            Ok(Err(status)) => Err(PeerError::Status {
                peer: self.name,
                method: method.to_owned(),
                status,
            }),
            Ok(Ok(response)) => Ok(response.into_inner()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unreachable_and_slow_peers_are_transient_refusals_are_not() {
        let status = |code| PeerError::Status {
            peer: "intake",
            method: "GetCase".to_owned(),
            status: tonic::Status::new(code, "x"),
        };
        assert!(status(tonic::Code::Unavailable).is_transient());
        assert!(
            PeerError::TimedOut {
                peer: "intake",
                method: "GetCase".to_owned(),
                timeout: PEER_CALL_TIMEOUT,
            }
            .is_transient()
        );
        assert!(!status(tonic::Code::NotFound).is_transient());
        assert!(!status(tonic::Code::PermissionDenied).is_transient());
        assert!(matches!(
            status(tonic::Code::Unavailable).into_api_error(),
            ApiError::Unavailable { .. }
        ));
        assert!(matches!(
            status(tonic::Code::PermissionDenied).into_api_error(),
            ApiError::Internal(_)
        ));
    }
}
