//! Who is told of an incident in an institution, and who hears when they do not acknowledge
//! (DOMAIN.md "Deadlines and escalations", row "incident / abuse notification"; the same rule
//! as intake's station incidents).

use relief_runtime::units::Unit;
use relief_runtime::{Caller, ServiceContext};

use crate::placements::store::PlacementRow;

/// The city civil-affairs bureau (牵头单位: escalations go to it).
const CITY_CIVIL_AFFAIRS: &str = "city-civil-affairs";
/// The city government (本级政府 of the city's own division).
const CITY_GOVERNMENT: &str = "city-government";
/// A county-level government.
const COUNTY_GOVERNMENT: &str = "county-government";

fn with_role(context: &ServiceContext, role: &str) -> Vec<Caller> {
    context.units.with_role(role).map(Unit::caller).collect()
}

/// The government of `division` (本级政府): the county government, or for the city's own
/// division (and wherever no county government is listed) the city government.
fn government_of(context: &ServiceContext, division: &str) -> Vec<Caller> {
    let county = context.units.with_role_in(COUNTY_GOVERNMENT, division);
    if county.is_empty() {
        with_role(context, CITY_GOVERNMENT)
    } else {
        county
    }
}

/// The units told of an incident of the resident of `placement`: the sending station, the
/// civil-affairs bureau and the government of the institution's division, and the city
/// civil-affairs bureau; each once, without `reporter` (a unit is not told what it reported).
pub fn incident_recipients(
    context: &ServiceContext,
    placement: &PlacementRow,
    reporter: &Caller,
) -> Vec<Caller> {
    let division = placement
        .institution_division
        .as_deref()
        .unwrap_or_default();
    let mut recipients: Vec<Caller> = context
        .units
        .get(&placement.station)
        .map(Unit::caller)
        .into_iter()
        .collect();
    recipients.extend(context.units.civil_affairs_for(division));
    recipients.extend(government_of(context, division));
    recipients.extend(with_role(context, CITY_CIVIL_AFFAIRS));
    let mut seen = std::collections::HashSet::new();
    recipients.retain(|unit| {
        !(unit.kind == reporter.kind && unit.unit == reporter.unit)
            && seen.insert((unit.kind, unit.unit.clone()))
    });
    recipients
}

/// Who hears of an incident notification left unacknowledged: the city civil-affairs bureau.
pub fn incident_escalation(context: &ServiceContext) -> Vec<Caller> {
    with_role(context, CITY_CIVIL_AFFAIRS)
}
