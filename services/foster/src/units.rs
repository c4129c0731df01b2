//! The units the foster rules address: the civil-affairs bureau responsible for a division, and
//! an institution as a caller (its certificate's unit is its id).

use relief_runtime::{Caller, CallerKind, ServiceContext};

/// The civil-affairs bureau responsible for `division` (see
/// `relief_runtime::units::Units::civil_affairs_for`).
pub fn civil_affairs_for(context: &ServiceContext, division: &str) -> Vec<Caller> {
    context.units.civil_affairs_for(division)
}

/// Institution `id` of `division` as a caller (the unit its certificate names).
pub fn institution(division: &str, id: &str) -> Option<Caller> {
    Caller::new(CallerKind::Foster, division, id).ok()
}
