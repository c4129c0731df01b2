//! The units the intake rules address: stations, hospitals, the local station of a division,
//! the civil-affairs bureaus and governments to notify.

use relief_runtime::units::Unit;
use relief_runtime::{Caller, CallerKind, ServiceContext};

/// The station with unit id `id`, if there is one.
pub fn station<'a>(context: &'a ServiceContext, id: &str) -> Option<&'a Unit> {
    context
        .units
        .get(id)
        .filter(|unit| unit.kind == CallerKind::Station)
}

/// The hospital with unit id `id`, if there is one.
pub fn hospital<'a>(context: &'a ServiceContext, id: &str) -> Option<&'a Unit> {
    context
        .units
        .get(id)
        .filter(|unit| unit.kind == CallerKind::Hospital)
}

/// The station responsible for `division` (属地救助管理机构): the station of that division, else
/// the city station.
pub fn local_station(context: &ServiceContext, division: &str) -> Option<Caller> {
    context
        .units
        .iter()
        .find(|unit| unit.kind == CallerKind::Station && unit.division == division)
        .or_else(|| context.units.with_role("city-station").next())
        .map(Unit::caller)
}

/// The units holding `role` in `division` (e.g. the county civil-affairs bureau of 211103).
pub fn with_role_in(context: &ServiceContext, role: &str, division: &str) -> Vec<Caller> {
    context
        .units
        .with_role(role)
        .filter(|unit| unit.division == division)
        .map(Unit::caller)
        .collect()
}
