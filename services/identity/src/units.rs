//! The units the identity rules address: police units (requests, restorations), the city police
//! bureau and the civil-affairs bureaus (escalations), the finance bureau (settlement).

use relief_runtime::units::Unit;
use relief_runtime::{Caller, CallerKind, ServiceContext};

/// The police unit with unit id `id`, if there is one in units.toml.
pub fn police_unit<'a>(context: &'a ServiceContext, id: &str) -> Option<&'a Unit> {
    context
        .units
        .get(id)
        .filter(|unit| unit.kind == CallerKind::Police)
}

/// The units holding `role` anywhere (e.g. `city-police-bureau`, `city-civil-affairs`).
pub fn with_role(context: &ServiceContext, role: &str) -> Vec<Caller> {
    context.units.with_role(role).map(Unit::caller).collect()
}

/// The civil-affairs bureau responsible for `division` (see
/// `relief_runtime::units::Units::civil_affairs_for`).
pub fn civil_affairs_for(context: &ServiceContext, division: &str) -> Vec<Caller> {
    context.units.civil_affairs_for(division)
}

/// The station (as a caller) with unit id `station` in `division`.
pub fn station(division: &str, station: &str) -> Option<Caller> {
    Caller::new(CallerKind::Station, division, station).ok()
}
