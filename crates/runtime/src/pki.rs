//! Certificates: a CA and the certificates it issues to units and services.
//!
//! Every certificate carries one URI SAN, the caller's SPIFFE id
//! (`spiffe://relief.local/<kind>/<division>/<unit>`), and may be used both as a server and as a
//! client certificate (services call each other). `relief certs` writes a dev PKI with
//! [`DevPki::ensure`]; the testkit issues certificates in memory.

use std::path::{Path, PathBuf};

use chrono::Datelike;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SanType,
};

use crate::caller::Caller;
use crate::units::Units;

/// Why a certificate could not be made or stored.
#[derive(Debug, thiserror::Error)]
pub enum PkiError {
    /// rcgen refused.
    #[error("certificate generation failed: {0}")]
    Generate(#[from] rcgen::Error),
    /// Reading or writing a PEM file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
}

/// A PEM certificate with its PEM private key.
#[derive(Clone)]
pub struct IssuedCert {
    /// The certificate, PEM.
    pub cert_pem: String,
    /// The private key, PEM (PKCS#8).
    pub key_pem: String,
}

impl std::fmt::Debug for IssuedCert {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedCert").finish_non_exhaustive()
    }
}

/// A certificate authority that can issue relief certificates.
pub struct CertificateAuthority {
    cert_pem: String,
    issuer: Issuer<'static, KeyPair>,
    key_pem: String,
}

impl std::fmt::Debug for CertificateAuthority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CertificateAuthority")
            .finish_non_exhaustive()
    }
}

impl CertificateAuthority {
    /// A new self-signed CA named `common_name`.
    pub fn generate(common_name: &str) -> Result<Self, PkiError> {
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        params.distinguished_name = name(common_name);
        set_validity(&mut params, 10);
        let key = KeyPair::generate()?;
        let cert = params.self_signed(&key)?;
        let key_pem = key.serialize_pem();
        Ok(CertificateAuthority {
            cert_pem: cert.pem(),
            issuer: Issuer::new(params, key),
            key_pem,
        })
    }

    /// Loads a CA from its PEM certificate and key.
    pub fn from_pem(cert_pem: &str, key_pem: &str) -> Result<Self, PkiError> {
        let key = KeyPair::from_pem(key_pem)?;
        let issuer = Issuer::from_ca_cert_pem(cert_pem, key)?;
        Ok(CertificateAuthority {
            cert_pem: cert_pem.to_owned(),
            issuer,
            key_pem: key_pem.to_owned(),
        })
    }

    /// The CA certificate, PEM: what every client and server trusts.
    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    /// Issues a certificate for `caller`, valid for `dns_names` too when used by a server.
    pub fn issue(&self, caller: &Caller, dns_names: &[&str]) -> Result<IssuedCert, PkiError> {
        let mut params = CertificateParams::new(
            dns_names
                .iter()
                .map(|n| (*n).to_owned())
                .collect::<Vec<_>>(),
        )?;
        params
            .subject_alt_names
            .push(SanType::URI(caller.spiffe_id().try_into()?));
        params.distinguished_name = name(&caller.to_string());
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![
            ExtendedKeyUsagePurpose::ServerAuth,
            ExtendedKeyUsagePurpose::ClientAuth,
        ];
        params.use_authority_key_identifier_extension = true;
        set_validity(&mut params, 2);
        let key = KeyPair::generate()?;
        let cert = params.signed_by(&key, &self.issuer)?;
        Ok(IssuedCert {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        })
    }
}

fn name(common_name: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, "relief");
    dn.push(DnType::CommonName, common_name);
    dn
}

fn set_validity(params: &mut CertificateParams, years: i32) {
    let year = chrono::Utc::now().year();
    params.not_before = rcgen::date_time_ymd(year - 1, 1, 1);
    params.not_after = rcgen::date_time_ymd(year + years, 12, 31);
}

/// The DNS names a service certificate is valid for: loopback, the bare service name (compose
/// and Kubernetes service names) and `relief-<service>`.
pub fn service_dns_names(service: &str) -> Vec<String> {
    vec![
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
        service.to_owned(),
        format!("relief-{service}"),
    ]
}

/// The caller identity of one of the four services.
pub fn service_caller(service: &str) -> Caller {
    Caller {
        kind: crate::caller::CallerKind::Service,
        division: relief_legal::PANJIN_CITY.to_owned(),
        unit: service.to_owned(),
    }
}

/// A PKI on disk: `ca.pem`, `ca.key`, `services/<name>.{pem,key}`, `units/<id>.{pem,key}`.
#[derive(Debug, Clone)]
pub struct DevPki {
    /// The directory.
    pub dir: PathBuf,
}

impl DevPki {
    /// The PKI in `dir` (nothing is read or written yet).
    pub fn at(dir: impl Into<PathBuf>) -> Self {
        DevPki { dir: dir.into() }
    }

    /// The CA certificate file.
    pub fn ca_cert(&self) -> PathBuf {
        self.dir.join("ca.pem")
    }

    /// The certificate and key files of a service.
    pub fn service_files(&self, service: &str) -> (PathBuf, PathBuf) {
        let base = self.dir.join("services");
        (
            base.join(format!("{service}.pem")),
            base.join(format!("{service}.key")),
        )
    }

    /// The certificate and key files of a unit.
    pub fn unit_files(&self, unit: &str) -> (PathBuf, PathBuf) {
        let base = self.dir.join("units");
        (
            base.join(format!("{unit}.pem")),
            base.join(format!("{unit}.key")),
        )
    }

    /// Creates the CA if there is none, and a certificate for every service and every unit that
    /// has none yet. Returns how many certificates were written.
    pub fn ensure(&self, services: &[&str], units: &Units) -> Result<usize, PkiError> {
        let ca = self.load_or_create_ca()?;
        let mut written = 0;
        for service in services {
            let (cert, key) = self.service_files(service);
            if !cert.exists() {
                let names = service_dns_names(service);
                let names: Vec<&str> = names.iter().map(String::as_str).collect();
                write_pair(&cert, &key, &ca.issue(&service_caller(service), &names)?)?;
                written += 1;
            }
        }
        for unit in units.iter() {
            let (cert, key) = self.unit_files(&unit.id);
            if !cert.exists() {
                write_pair(&cert, &key, &ca.issue(&unit.caller(), &[])?)?;
                written += 1;
            }
        }
        Ok(written)
    }

    /// Issues (or re-issues) a certificate for one caller into `units/<unit>.{pem,key}`.
    pub fn issue(&self, caller: &Caller) -> Result<(PathBuf, PathBuf), PkiError> {
        let ca = self.load_or_create_ca()?;
        let (cert, key) = self.unit_files(&caller.unit);
        write_pair(&cert, &key, &ca.issue(caller, &[])?)?;
        Ok((cert, key))
    }

    fn load_or_create_ca(&self) -> Result<CertificateAuthority, PkiError> {
        let cert = self.ca_cert();
        let key = self.dir.join("ca.key");
        if cert.exists() && key.exists() {
            return CertificateAuthority::from_pem(&read(&cert)?, &read(&key)?);
        }
        let ca = CertificateAuthority::generate("relief dev CA")?;
        write_file(&cert, ca.cert_pem(), false)?;
        write_file(&key, &ca.key_pem, true)?;
        Ok(ca)
    }
}

fn read(path: &Path) -> Result<String, PkiError> {
    std::fs::read_to_string(path).map_err(|source| PkiError::Io {
        path: path.display().to_string(),
        source,
    })
}

fn write_pair(cert: &Path, key: &Path, issued: &IssuedCert) -> Result<(), PkiError> {
    write_file(cert, &issued.cert_pem, false)?;
    write_file(key, &issued.key_pem, true)
}

fn write_file(path: &Path, contents: &str, private: bool) -> Result<(), PkiError> {
    let io = |source| PkiError::Io {
        path: path.display().to_string(),
        source,
    };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io)?;
    }
    // A private key is created with mode 0600, never briefly readable by others.
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = private;
    let mut file = options.open(path).map_err(io)?;
    std::io::Write::write_all(&mut file, contents.as_bytes()).map_err(io)?;
    Ok(())
}
