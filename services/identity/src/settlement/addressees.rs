//! To whom a settlement application goes (一人一函, "to civil affairs and finance"): the
//! civil-affairs bureau responsible for the case's division, and the finance bureau.
//!
//! units.toml has no role that names the finance bureau alone: `funds` is held by finance and
//! audit alike, and audit has no part in a settlement. The rule, without a new role: the units
//! holding `funds`, of kind supervisor, whose unit id ends in `-finance` (`city-finance`); the
//! bureau of the case's own division when one is listed, else those whose division covers it
//! (the city's), as `units::civil_affairs_for` does for civil affairs.

use relief_runtime::scope::covers;
use relief_runtime::units::{Unit, Units};
use relief_runtime::{Caller, CallerKind, ServiceContext};

use crate::units;

/// The role finance and audit hold in units.toml.
const FUNDS_ROLE: &str = "funds";

/// The suffix of a finance bureau's unit id.
const FINANCE_SUFFIX: &str = "-finance";

/// The addressees of an application for a case of `division`: civil affairs first, then
/// finance; each unit once.
pub fn of(context: &ServiceContext, division: &str) -> Vec<Caller> {
    let mut to = units::civil_affairs_for(context, division);
    for bureau in finance_bureaus(&context.units, division) {
        if !to.contains(&bureau) {
            to.push(bureau);
        }
    }
    to
}

/// The finance bureaus for a case of `division` (see the module comment).
pub fn finance_bureaus(units: &Units, division: &str) -> Vec<Caller> {
    let finance: Vec<&Unit> = units
        .with_role(FUNDS_ROLE)
        .filter(|unit| unit.kind == CallerKind::Supervisor && unit.id.ends_with(FINANCE_SUFFIX))
        .collect();
    let own: Vec<Caller> = finance
        .iter()
        .filter(|unit| unit.division == division)
        .map(|unit| unit.caller())
        .collect();
    if !own.is_empty() {
        return own;
    }
    finance
        .iter()
        .filter(|unit| covers(&unit.division, division))
        .map(|unit| unit.caller())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const UNITS: &str = r#"
[[units]]
id = "city-finance"
kind = "supervisor"
division = "211100"
name = "盘锦市财政局"
roles = ["funds"]

[[units]]
id = "city-audit"
kind = "supervisor"
division = "211100"
name = "盘锦市审计局"
roles = ["funds"]

[[units]]
id = "dw-finance"
kind = "supervisor"
division = "211104"
name = "大洼区财政局"
roles = ["funds"]

[[units]]
id = "city-health"
kind = "supervisor"
division = "211100"
name = "盘锦市卫生健康委员会"
"#;

    fn ids(callers: &[Caller]) -> Vec<&str> {
        callers.iter().map(|caller| caller.unit.as_str()).collect()
    }

    #[test]
    fn finance_is_the_county_bureau_where_listed_else_the_city_one_never_audit() {
        let units = Units::from_toml_str(UNITS).unwrap();
        assert_eq!(ids(&finance_bureaus(&units, "211103")), ["city-finance"]);
        assert_eq!(ids(&finance_bureaus(&units, "211100")), ["city-finance"]);
        assert_eq!(ids(&finance_bureaus(&units, "211104")), ["dw-finance"]);
        assert!(finance_bureaus(&units, "210102").is_empty());
    }

    #[test]
    fn the_deployed_units_address_city_finance() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../deploy/units.toml"
        ))
        .unwrap();
        let units = Units::from_toml_str(&text).unwrap();
        for division in ["211100", "211102", "211103", "211104", "211122"] {
            assert_eq!(ids(&finance_bureaus(&units, division)), ["city-finance"]);
        }
    }
}
