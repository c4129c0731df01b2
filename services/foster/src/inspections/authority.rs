//! For which department a caller may record an inspection (the authority must be the caller's):
//! a station for itself as the sending station; civil affairs, also as the registration
//! authority of social organisations; police for public security; a supervisor by its role in
//! units.toml (market supervision, also the registration authority of enterprises; emergency
//! management; health).

use relief_proto::foster::v1::InspectionAuthority;
use relief_runtime::units::Units;
use relief_runtime::{Caller, CallerKind};

/// The role of the market-supervision bureau (food and drugs; registration of enterprises).
pub const MARKET_SUPERVISION_ROLE: &str = "market-supervision";
/// The role of the emergency-management bureau (fire safety).
pub const EMERGENCY_MANAGEMENT_ROLE: &str = "emergency-management";
/// The role of the health commission (medical care).
pub const HEALTH_ROLE: &str = "health";

/// The authorities `caller` may inspect for; `roles` are its unit's roles in units.toml.
pub fn allowed(kind: CallerKind, roles: &[String]) -> Vec<InspectionAuthority> {
    use InspectionAuthority as A;
    match kind {
        CallerKind::Station => vec![A::SendingStation],
        CallerKind::CivilAffairs => vec![A::CivilAffairs, A::Registration],
        CallerKind::Police => vec![A::PublicSecurity],
        CallerKind::Supervisor => {
            let mut allowed = Vec::new();
            for role in roles {
                match role.as_str() {
                    MARKET_SUPERVISION_ROLE => {
                        allowed.extend([A::MarketSupervision, A::Registration]);
                    }
                    EMERGENCY_MANAGEMENT_ROLE => allowed.push(A::EmergencyManagement),
                    HEALTH_ROLE => allowed.push(A::Health),
                    _ => {}
                }
            }
            allowed
        }
        _ => Vec::new(),
    }
}

/// The roles of `caller`'s unit in units.toml (none if it is not listed under its kind).
pub fn roles_of(units: &Units, caller: &Caller) -> Vec<String> {
    units
        .get(&caller.unit)
        .filter(|unit| unit.kind == caller.kind)
        .map(|unit| unit.roles.clone())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]

    use super::*;
    use InspectionAuthority as A;

    fn roles(names: &[&str]) -> Vec<String> {
        names.iter().map(|name| (*name).to_owned()).collect()
    }

    #[test]
    fn each_kind_inspects_for_its_own_department() {
        assert_eq!(allowed(CallerKind::Station, &[]), [A::SendingStation]);
        assert_eq!(
            allowed(CallerKind::CivilAffairs, &[]),
            [A::CivilAffairs, A::Registration]
        );
        assert_eq!(allowed(CallerKind::Police, &[]), [A::PublicSecurity]);
        assert!(allowed(CallerKind::Foster, &[]).is_empty());
        assert!(allowed(CallerKind::Government, &[]).is_empty());
    }

    #[test]
    fn a_supervisor_inspects_by_its_role() {
        assert_eq!(
            allowed(CallerKind::Supervisor, &roles(&["market-supervision"])),
            [A::MarketSupervision, A::Registration]
        );
        assert_eq!(
            allowed(CallerKind::Supervisor, &roles(&["emergency-management"])),
            [A::EmergencyManagement]
        );
        assert_eq!(
            allowed(CallerKind::Supervisor, &roles(&["health"])),
            [A::Health]
        );
        assert!(allowed(CallerKind::Supervisor, &roles(&["funds"])).is_empty());
        assert!(allowed(CallerKind::Supervisor, &[]).is_empty());
    }

    #[test]
    fn the_shipped_units_give_the_inspecting_supervisors_their_roles() {
        let units = Units::from_toml_str(include_str!("../../../../deploy/units.toml")).unwrap();
        let supervisor = |id: &str| Caller {
            kind: CallerKind::Supervisor,
            division: "211100".to_owned(),
            unit: id.to_owned(),
        };
        for (id, authority) in [
            ("city-health", A::Health),
            ("city-market-supervision", A::MarketSupervision),
            ("city-emergency", A::EmergencyManagement),
        ] {
            let roles = roles_of(&units, &supervisor(id));
            assert!(
                allowed(CallerKind::Supervisor, &roles).contains(&authority),
                "{id}"
            );
        }
        assert!(
            allowed(
                CallerKind::Supervisor,
                &roles_of(&units, &supervisor("city-finance"))
            )
            .is_empty()
        );
    }
}
