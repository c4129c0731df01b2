//! `relief certs`: a dev CA and a certificate for every service and every unit of `units.toml`;
//! `relief certs issue KIND DIVISION UNIT` for a unit registered through the API.

use std::path::Path;

use anyhow::Context as _;
use relief_runtime::pki::DevPki;
use relief_runtime::units::Units;
use relief_runtime::{Caller, CallerKind};

use crate::services;

/// Creates what is missing of the PKI in `dir`; prints what it wrote.
pub fn ensure(dir: &Path, units_file: &Path) -> anyhow::Result<()> {
    let units = Units::load(units_file)?;
    let pki = DevPki::at(dir);
    let written = pki.ensure(&services::names(), &units)?;
    println!(
        "pki in {}: {written} new certificate(s); CA {}",
        dir.display(),
        pki.ca_cert().display()
    );
    println!(
        "  services: {}/services/<service>.{{pem,key}}",
        dir.display()
    );
    println!(
        "  units:    {}/units/<unit-id>.{{pem,key}} ({} units)",
        dir.display(),
        units.len()
    );
    Ok(())
}

/// Issues one certificate for `kind/division/unit`.
pub fn issue(dir: &Path, kind: &str, division: &str, unit: &str) -> anyhow::Result<()> {
    let kind: CallerKind = kind.parse().with_context(|| {
        let kinds: Vec<_> = CallerKind::ALL.iter().map(|k| k.as_str()).collect();
        format!("kind must be one of {}", kinds.join(", "))
    })?;
    let caller = Caller::new(kind, division, unit)?;
    let (cert, key) = DevPki::at(dir).issue(&caller)?;
    println!(
        "issued {} -> {} {}",
        caller.spiffe_id(),
        cert.display(),
        key.display()
    );
    Ok(())
}
