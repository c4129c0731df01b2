//! mTLS: server and client TLS settings, and the caller identity from a peer certificate.

use std::path::Path;

use tonic::transport::{Certificate, ClientTlsConfig, Identity, ServerTlsConfig};
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::caller::Caller;

/// PEM material of one party: the CA it trusts and its own certificate and key.
#[derive(Clone)]
pub struct TlsMaterial {
    /// The relief CA, PEM.
    pub ca_pem: String,
    /// This party's certificate, PEM.
    pub cert_pem: String,
    /// This party's private key, PEM.
    pub key_pem: String,
}

impl std::fmt::Debug for TlsMaterial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsMaterial").finish_non_exhaustive()
    }
}

/// A TLS file that cannot be read.
#[derive(Debug, thiserror::Error)]
#[error("cannot read {key} file {path}: {source}")]
pub struct TlsFileError {
    /// The configuration key naming the file.
    pub key: &'static str,
    /// The file.
    pub path: String,
    /// The cause.
    pub source: std::io::Error,
}

impl TlsMaterial {
    /// Reads the three PEM files.
    pub fn from_files(ca: &Path, cert: &Path, key: &Path) -> Result<Self, TlsFileError> {
        let read = |config_key: &'static str, path: &Path| {
            std::fs::read_to_string(path).map_err(|source| TlsFileError {
                key: config_key,
                path: path.display().to_string(),
                source,
            })
        };
        Ok(TlsMaterial {
            ca_pem: read("tls_ca_file", ca)?,
            cert_pem: read("tls_cert_file", cert)?,
            key_pem: read("tls_key_file", key)?,
        })
    }

    /// Server settings: present our certificate and require a client certificate signed by the CA.
    pub fn server_config(&self) -> ServerTlsConfig {
        ServerTlsConfig::new()
            .identity(Identity::from_pem(&self.cert_pem, &self.key_pem))
            .client_ca_root(Certificate::from_pem(&self.ca_pem))
    }

    /// Client settings: trust only the CA, present our certificate, and expect the server to be
    /// `server_name`.
    pub fn client_config(&self, server_name: &str) -> ClientTlsConfig {
        ClientTlsConfig::new()
            .ca_certificate(Certificate::from_pem(&self.ca_pem))
            .identity(Identity::from_pem(&self.cert_pem, &self.key_pem))
            .domain_name(server_name)
    }
}

/// Why a peer certificate does not name a relief caller.
#[derive(Debug, thiserror::Error)]
pub enum PeerIdentityError {
    /// No certificate was presented.
    #[error("no client certificate")]
    Missing,
    /// The certificate could not be parsed.
    #[error("client certificate cannot be parsed")]
    Unparsable,
    /// No, or more than one, relief SPIFFE id.
    #[error("client certificate must carry exactly one relief spiffe id as a URI SAN")]
    NoSpiffeId,
    /// The SPIFFE id is malformed.
    #[error("client certificate spiffe id: {0}")]
    BadSpiffeId(#[from] crate::caller::CallerParseError),
}

/// The caller named by the end-entity certificate (the first of the chain). The TLS handshake has
/// already verified the chain against the relief CA.
pub fn caller_from_certificate(der: &[u8]) -> Result<Caller, PeerIdentityError> {
    let (_, cert) = X509Certificate::from_der(der).map_err(|_| PeerIdentityError::Unparsable)?;
    let san = cert
        .subject_alternative_name()
        .map_err(|_| PeerIdentityError::Unparsable)?
        .ok_or(PeerIdentityError::NoSpiffeId)?;
    let mut uris = san
        .value
        .general_names
        .iter()
        .filter_map(|name| match name {
            GeneralName::URI(uri) if uri.starts_with("spiffe://") => Some(*uri),
            _ => None,
        });
    let (Some(uri), None) = (uris.next(), uris.next()) else {
        return Err(PeerIdentityError::NoSpiffeId);
    };
    Ok(Caller::from_spiffe_id(uri)?)
}
