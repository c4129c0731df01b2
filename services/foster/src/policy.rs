//! Which caller kinds may call each RPC of the foster service (DOMAIN.md, "Callers"). A method
//! missing here is refused to everyone; a test fails if one is missing.

use relief_runtime::{AccessPolicy, CallerKind};

use crate::GRPC_SERVICE;

/// The allow-list of the foster service. Object scope (a county's institutions, an institution
/// itself) is checked by the handlers: NOT_FOUND outside it.
pub fn policy() -> AccessPolicy {
    use CallerKind::*;
    AccessPolicy::new()
        .allow(GRPC_SERVICE, "RegisterInstitution", &[CivilAffairs])
        .allow(
            GRPC_SERVICE,
            "GetInstitution",
            &[CivilAffairs, Government, Station, Foster],
        )
        .allow(
            GRPC_SERVICE,
            "ListInstitutions",
            &[CivilAffairs, Government, Station, Foster],
        )
        .allow(GRPC_SERVICE, "SuspendInstitution", &[CivilAffairs])
        .allow(GRPC_SERVICE, "ReinstateInstitution", &[CivilAffairs])
        .allow(GRPC_SERVICE, "RenewInstitutionDocument", &[CivilAffairs])
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_rpc_has_an_access_rule() {
        let missing = super::policy()
            .methods_without_rule(relief_proto::FILE_DESCRIPTOR_SET, crate::GRPC_SERVICE);
        assert!(
            missing.is_empty(),
            "methods without an access rule: {missing:?}"
        );
    }
}
