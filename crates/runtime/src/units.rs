//! Reference data on the fixed units of the system (`units.toml`): stations, police units,
//! hospitals, government offices, departments. Rescue points and foster institutions are
//! registered through the API instead.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::caller::{Caller, CallerKind, is_unit_id};

/// One fixed unit.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Unit {
    /// Stable id, used in certificates: `spiffe://relief.local/<kind>/<division>/<id>`.
    pub id: String,
    /// The unit's caller kind.
    pub kind: CallerKind,
    /// GB/T 2260 division code of the unit.
    pub division: String,
    /// Official name, for people reading reports.
    pub name: String,
    /// Roles the rules address by name, e.g. `city-police-bureau` (escalations of overdue
    /// verification answers) or `city-civil-affairs`.
    #[serde(default)]
    pub roles: Vec<String>,
}

impl Unit {
    /// The caller identity a certificate for this unit carries.
    pub fn caller(&self) -> Caller {
        Caller {
            kind: self.kind,
            division: self.division.clone(),
            unit: self.id.clone(),
        }
    }
}

/// Why a units file was refused.
#[derive(Debug, thiserror::Error)]
pub enum UnitsError {
    /// The file could not be read.
    #[error("cannot read units file {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The TOML does not have the expected shape.
    #[error("units file is not valid: {0}")]
    Parse(#[from] toml::de::Error),
    /// A unit breaks a rule.
    #[error("unit {id:?}: {problem}")]
    Invalid {
        /// The unit's id.
        id: String,
        /// What is wrong.
        problem: String,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UnitsFile {
    #[serde(default)]
    units: Vec<Unit>,
}

/// The loaded units, by id.
#[derive(Debug, Clone, Default)]
pub struct Units {
    by_id: BTreeMap<String, Unit>,
}

impl Units {
    /// Reads and validates a units file.
    pub fn load(path: &Path) -> Result<Self, UnitsError> {
        let text = std::fs::read_to_string(path).map_err(|source| UnitsError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_toml_str(&text)
    }

    /// Parses and validates units from TOML text.
    pub fn from_toml_str(text: &str) -> Result<Self, UnitsError> {
        let file: UnitsFile = toml::from_str(text)?;
        let mut by_id = BTreeMap::new();
        for unit in file.units {
            let invalid = |problem: &str| UnitsError::Invalid {
                id: unit.id.clone(),
                problem: problem.to_owned(),
            };
            if !is_unit_id(&unit.id) {
                return Err(invalid("id must be 1-64 characters of A-Z a-z 0-9 . _ -"));
            }
            if relief_legal::DivisionCode::parse(&unit.division).is_err() {
                return Err(invalid("division must be a six-digit GB/T 2260 code"));
            }
            if unit.name.trim().is_empty() {
                return Err(invalid("name must not be empty"));
            }
            if by_id.contains_key(&unit.id) {
                return Err(invalid("id is used twice"));
            }
            by_id.insert(unit.id.clone(), unit);
        }
        Ok(Units { by_id })
    }

    /// The unit with this id.
    pub fn get(&self, id: &str) -> Option<&Unit> {
        self.by_id.get(id)
    }

    /// Every unit, ordered by id.
    pub fn iter(&self) -> impl Iterator<Item = &Unit> {
        self.by_id.values()
    }

    /// The units that hold a role, ordered by id.
    pub fn with_role<'a>(&'a self, role: &'a str) -> impl Iterator<Item = &'a Unit> + 'a {
        self.by_id
            .values()
            .filter(move |unit| unit.roles.iter().any(|r| r == role))
    }

    /// The units holding `role` in `division`, as callers (e.g. the county civil-affairs bureau
    /// of 211103).
    pub fn with_role_in(&self, role: &str, division: &str) -> Vec<Caller> {
        self.with_role(role)
            .filter(|unit| unit.division == division)
            .map(Unit::caller)
            .collect()
    }

    /// The civil-affairs bureau responsible for `division`: the county bureau (role
    /// `county-civil-affairs`), or the city bureau (`city-civil-affairs`) for the city's own
    /// division (市本级) and wherever no county bureau is listed.
    pub fn civil_affairs_for(&self, division: &str) -> Vec<Caller> {
        let county = self.with_role_in("county-civil-affairs", division);
        if county.is_empty() {
            self.with_role("city-civil-affairs")
                .map(Unit::caller)
                .collect()
        } else {
            county
        }
    }

    /// How many units there are.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_panjin_file_is_valid_and_covers_every_kind() {
        let units = Units::from_toml_str(include_str!("../../../deploy/units.toml")).unwrap();
        for kind in CallerKind::ALL {
            if kind == CallerKind::Service || kind == CallerKind::Foster {
                // services get their certificates from `relief certs`; foster institutions
                // and rescue points are registered through the API.
                continue;
            }
            assert!(
                units.iter().any(|unit| unit.kind == kind),
                "units.toml has no {kind} unit"
            );
        }
        for role in ["city-police-bureau", "city-civil-affairs", "city-station"] {
            assert_eq!(units.with_role(role).count(), 1, "exactly one {role}");
        }
    }

    #[test]
    fn rejects_duplicates_and_bad_divisions() {
        let dup = r#"
            [[units]]
            id = "a"
            kind = "station"
            division = "211100"
            name = "x"
            [[units]]
            id = "a"
            kind = "police"
            division = "211100"
            name = "y"
        "#;
        assert!(matches!(
            Units::from_toml_str(dup),
            Err(UnitsError::Invalid { .. })
        ));
        let bad = r#"
            [[units]]
            id = "a"
            kind = "station"
            division = "2111"
            name = "x"
        "#;
        assert!(matches!(
            Units::from_toml_str(bad),
            Err(UnitsError::Invalid { .. })
        ));
    }
}
