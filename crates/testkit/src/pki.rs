//! A throwaway CA for tests, issuing certificates for any caller in memory.

use std::path::Path;

use relief_runtime::pki::{CertificateAuthority, service_caller, service_dns_names};
use relief_runtime::tls::TlsMaterial;
use relief_runtime::{Caller, CallerKind};

/// A test CA.
#[derive(Debug)]
pub struct TestPki {
    ca: CertificateAuthority,
}

impl Default for TestPki {
    fn default() -> Self {
        Self::new()
    }
}

impl TestPki {
    /// A new CA.
    pub fn new() -> Self {
        TestPki {
            ca: CertificateAuthority::generate("relief test CA").unwrap(),
        }
    }

    /// The CA certificate, PEM.
    pub fn ca_pem(&self) -> &str {
        self.ca.cert_pem()
    }

    /// Client material for `caller`, trusting this CA.
    pub fn client(&self, caller: &Caller) -> TlsMaterial {
        let issued = self.ca.issue(caller, &[]).unwrap();
        TlsMaterial {
            ca_pem: self.ca.cert_pem().to_owned(),
            cert_pem: issued.cert_pem,
            key_pem: issued.key_pem,
        }
    }

    /// Client material for a caller of `kind` in `division` with unit id `unit`.
    pub fn client_for(&self, kind: CallerKind, division: &str, unit: &str) -> TlsMaterial {
        self.client(&Caller::new(kind, division, unit).unwrap())
    }

    /// Server material for the service `name`.
    pub fn server(&self, name: &str) -> TlsMaterial {
        let names = service_dns_names(name);
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let issued = self.ca.issue(&service_caller(name), &names).unwrap();
        TlsMaterial {
            ca_pem: self.ca.cert_pem().to_owned(),
            cert_pem: issued.cert_pem,
            key_pem: issued.key_pem,
        }
    }

    /// Writes server material for `name` into `dir` as `ca.pem`, `<name>.pem`, `<name>.key` and
    /// returns the three paths.
    pub fn write_server_files(
        &self,
        dir: &Path,
        name: &str,
    ) -> (std::path::PathBuf, std::path::PathBuf, std::path::PathBuf) {
        let material = self.server(name);
        std::fs::create_dir_all(dir).unwrap();
        let ca = dir.join("ca.pem");
        let cert = dir.join(format!("{name}.pem"));
        let key = dir.join(format!("{name}.key"));
        std::fs::write(&ca, &material.ca_pem).unwrap();
        std::fs::write(&cert, &material.cert_pem).unwrap();
        std::fs::write(&key, &material.key_pem).unwrap();
        (ca, cert, key)
    }
}
