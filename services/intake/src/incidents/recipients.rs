//! Who is told about an incident or suspected abuse, and who hears when they do not acknowledge
//! (DOMAIN.md "Deadlines and escalations", row "incident / abuse notification").

use relief_runtime::units::Unit;
use relief_runtime::{Caller, CallerKind, ServiceContext};

use crate::units;

/// The city civil-affairs bureau (牵头单位: escalations of both kinds go to it).
const CITY_CIVIL_AFFAIRS: &str = "city-civil-affairs";
/// The city government.
const CITY_GOVERNMENT: &str = "city-government";
/// The city police bureau.
const CITY_POLICE_BUREAU: &str = "city-police-bureau";
/// A county-level civil-affairs bureau.
const COUNTY_CIVIL_AFFAIRS: &str = "county-civil-affairs";
/// A county-level government.
const COUNTY_GOVERNMENT: &str = "county-government";
/// Police units doing DNA or face comparison: not the addressee of a report.
const IDENTITY_UNIT: &str = "identity-unit";

fn with_role(context: &ServiceContext, role: &str) -> Vec<Caller> {
    context.units.with_role(role).map(Unit::caller).collect()
}

/// Whether `division` is the city's own (市本级): the city civil-affairs bureau's division.
fn is_city_division(context: &ServiceContext, division: &str) -> bool {
    context
        .units
        .with_role(CITY_CIVIL_AFFAIRS)
        .any(|unit| unit.division == division)
}

/// The units told of an incident of a case of `division`: the county civil-affairs bureau and
/// the county government of the division, and the city civil-affairs bureau; for a case of the
/// city station (the city's own division), the city bureau and the city government.
pub fn incident_recipients(context: &ServiceContext, division: &str) -> Vec<Caller> {
    let mut recipients = if is_city_division(context, division) {
        let mut city = with_role(context, CITY_CIVIL_AFFAIRS);
        city.extend(with_role(context, CITY_GOVERNMENT));
        city
    } else {
        let mut county = units::with_role_in(context, COUNTY_CIVIL_AFFAIRS, division);
        county.extend(units::with_role_in(context, COUNTY_GOVERNMENT, division));
        county.extend(with_role(context, CITY_CIVIL_AFFAIRS));
        county
    };
    dedup(&mut recipients);
    recipients
}

/// Who hears of an incident notification left unacknowledged: the city civil-affairs bureau.
pub fn incident_escalation(context: &ServiceContext) -> Vec<Caller> {
    with_role(context, CITY_CIVIL_AFFAIRS)
}

/// The police told of suspected abuse in `division`: for the city's own division the city
/// police bureau; otherwise the police units of the division (identity units aside); where
/// there are none, the city police bureau.
///
/// (The city's own division holds several specialised units — forensics, face comparison,
/// traffic — that are not the addressee of an abuse report: the city bureau is.)
pub fn abuse_recipients(context: &ServiceContext, division: &str) -> Vec<Caller> {
    let bureau = with_role(context, CITY_POLICE_BUREAU);
    if bureau.iter().any(|unit| unit.division == division) {
        return bureau;
    }
    let mut local: Vec<Caller> = context
        .units
        .iter()
        .filter(|unit| {
            unit.kind == CallerKind::Police
                && unit.division == division
                && !unit.roles.iter().any(|role| role == IDENTITY_UNIT)
        })
        .map(Unit::caller)
        .collect();
    dedup(&mut local);
    if local.is_empty() { bureau } else { local }
}

/// Who hears of an abuse notification left unacknowledged: the city police bureau and the city
/// civil-affairs bureau.
pub fn abuse_escalation(context: &ServiceContext) -> Vec<Caller> {
    let mut units = with_role(context, CITY_POLICE_BUREAU);
    units.extend(with_role(context, CITY_CIVIL_AFFAIRS));
    dedup(&mut units);
    units
}

fn dedup(units: &mut Vec<Caller>) {
    let mut seen = std::collections::HashSet::new();
    units.retain(|unit| seen.insert(unit.unit.clone()));
}
