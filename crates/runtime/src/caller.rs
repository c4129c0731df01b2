//! Who is calling: the certificate's SPIFFE id turned into a [`Caller`].
//!
//! Every caller holds a certificate whose URI SAN is
//! `spiffe://relief.local/<kind>/<division>/<unit>`. The kind decides which RPCs it may call;
//! the division and unit decide which objects it may see.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The trust domain of every relief identity.
pub const TRUST_DOMAIN: &str = "relief.local";

/// The kinds of calling systems (DOMAIN.md, "Callers").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CallerKind {
    /// A relief station (救助管理站), city or county.
    Station,
    /// A civil-affairs bureau (民政局): city, county or provincial.
    CivilAffairs,
    /// A police unit: patrol, police station, identity unit.
    Police,
    /// City-management law enforcement (城市管理综合行政执法局).
    Patrol,
    /// Grid officers and street/township rescue points.
    Grid,
    /// A department system relaying tips from volunteers and the public.
    Relay,
    /// A designated hospital.
    Hospital,
    /// A foster institution.
    Foster,
    /// A county or city government office.
    Government,
    /// A supervising department (finance, audit, health, ...).
    Supervisor,
    /// One of the relief services itself.
    Service,
}

impl CallerKind {
    /// Every kind, in declaration order.
    pub const ALL: [CallerKind; 11] = [
        CallerKind::Station,
        CallerKind::CivilAffairs,
        CallerKind::Police,
        CallerKind::Patrol,
        CallerKind::Grid,
        CallerKind::Relay,
        CallerKind::Hospital,
        CallerKind::Foster,
        CallerKind::Government,
        CallerKind::Supervisor,
        CallerKind::Service,
    ];

    /// The path segment used in SPIFFE ids and `units.toml`.
    pub fn as_str(self) -> &'static str {
        match self {
            CallerKind::Station => "station",
            CallerKind::CivilAffairs => "civil-affairs",
            CallerKind::Police => "police",
            CallerKind::Patrol => "patrol",
            CallerKind::Grid => "grid",
            CallerKind::Relay => "relay",
            CallerKind::Hospital => "hospital",
            CallerKind::Foster => "foster",
            CallerKind::Government => "government",
            CallerKind::Supervisor => "supervisor",
            CallerKind::Service => "service",
        }
    }
}

impl fmt::Display for CallerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CallerKind {
    type Err = CallerParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CallerKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == s)
            .ok_or_else(|| CallerParseError::UnknownKind(s.to_owned()))
    }
}

/// An authenticated caller, taken from its certificate.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Caller {
    /// What kind of system is calling.
    pub kind: CallerKind,
    /// The GB/T 2260 division code of the calling unit.
    pub division: String,
    /// The unit's id (units.toml, or the id a registration RPC returned).
    pub unit: String,
}

/// Why a SPIFFE id is not a relief caller.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallerParseError {
    /// Not `spiffe://relief.local/...`.
    #[error("not a relief spiffe id (expected spiffe://{TRUST_DOMAIN}/<kind>/<division>/<unit>)")]
    NotRelief,
    /// The path does not have exactly three segments.
    #[error("a relief spiffe id has three path segments: <kind>/<division>/<unit>")]
    Shape,
    /// The first segment is not a caller kind.
    #[error("unknown caller kind {0:?}")]
    UnknownKind(String),
    /// The division is not six digits.
    #[error("division must be six digits")]
    Division,
    /// The unit id is empty or has characters outside `[A-Za-z0-9._-]`.
    #[error("unit id must be 1-64 characters of A-Z a-z 0-9 . _ -")]
    Unit,
}

impl Caller {
    /// Builds a caller, checking the division and unit id the same way a SPIFFE id is checked.
    pub fn new(
        kind: CallerKind,
        division: impl Into<String>,
        unit: impl Into<String>,
    ) -> Result<Self, CallerParseError> {
        let caller = Caller {
            kind,
            division: division.into(),
            unit: unit.into(),
        };
        if !is_division(&caller.division) {
            return Err(CallerParseError::Division);
        }
        if !is_unit_id(&caller.unit) {
            return Err(CallerParseError::Unit);
        }
        Ok(caller)
    }

    /// Parses `spiffe://relief.local/<kind>/<division>/<unit>`.
    pub fn from_spiffe_id(uri: &str) -> Result<Self, CallerParseError> {
        let path = uri
            .strip_prefix("spiffe://")
            .and_then(|rest| rest.strip_prefix(TRUST_DOMAIN))
            .and_then(|rest| rest.strip_prefix('/'))
            .ok_or(CallerParseError::NotRelief)?;
        let segments: Vec<&str> = path.split('/').collect();
        let [kind, division, unit] = segments.as_slice() else {
            return Err(CallerParseError::Shape);
        };
        Caller::new(kind.parse()?, *division, *unit)
    }

    /// The caller's SPIFFE id.
    pub fn spiffe_id(&self) -> String {
        format!(
            "spiffe://{TRUST_DOMAIN}/{}/{}/{}",
            self.kind, self.division, self.unit
        )
    }
}

impl fmt::Display for Caller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.kind, self.division, self.unit)
    }
}

fn is_division(s: &str) -> bool {
    s.len() == 6 && s.bytes().all(|b| b.is_ascii_digit())
}

/// Unit ids appear in SPIFFE ids, file names and logs: keep them to a safe alphabet.
pub fn is_unit_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_relief_spiffe_id() {
        let caller =
            Caller::from_spiffe_id("spiffe://relief.local/civil-affairs/211103/xlt-civil-affairs")
                .unwrap();
        assert_eq!(caller.kind, CallerKind::CivilAffairs);
        assert_eq!(caller.division, "211103");
        assert_eq!(caller.unit, "xlt-civil-affairs");
        assert_eq!(
            caller.spiffe_id(),
            "spiffe://relief.local/civil-affairs/211103/xlt-civil-affairs"
        );
    }

    #[test]
    fn rejects_foreign_and_malformed_ids() {
        let cases = [
            (
                "spiffe://other.domain/station/211100/a",
                CallerParseError::NotRelief,
            ),
            (
                "https://relief.local/station/211100/a",
                CallerParseError::NotRelief,
            ),
            (
                "spiffe://relief.local/station/211100",
                CallerParseError::Shape,
            ),
            (
                "spiffe://relief.local/station/211100/a/b",
                CallerParseError::Shape,
            ),
            (
                "spiffe://relief.local/mayor/211100/a",
                CallerParseError::UnknownKind("mayor".into()),
            ),
            (
                "spiffe://relief.local/station/21110/a",
                CallerParseError::Division,
            ),
            (
                "spiffe://relief.local/station/211100/",
                CallerParseError::Unit,
            ),
            (
                "spiffe://relief.local/station/211100/a b",
                CallerParseError::Unit,
            ),
        ];
        for (uri, expected) in cases {
            assert_eq!(Caller::from_spiffe_id(uri), Err(expected), "{uri}");
        }
    }

    #[test]
    fn every_kind_round_trips() {
        for kind in CallerKind::ALL {
            assert_eq!(kind.as_str().parse::<CallerKind>().unwrap(), kind);
        }
    }
}
