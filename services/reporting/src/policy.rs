//! Which caller kinds may call each RPC of the reporting service (DOMAIN.md, "Callers"). A method
//! missing here is refused to everyone; a test fails if one is missing. Which rows a caller sees is
//! checked by the handlers ([`crate::areas::Scope`]): NOT_FOUND outside it.

use relief_runtime::{AccessPolicy, CallerKind};

use crate::GRPC_SERVICE;

/// Every caller kind: each may read the alerts addressed to its own unit.
const EVERY_KIND: &[CallerKind] = &[
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

/// The allow-list of the reporting service.
pub fn policy() -> AccessPolicy {
    use CallerKind::*;
    AccessPolicy::new()
        .allow(
            GRPC_SERVICE,
            "GetIngestionStatus",
            &[CivilAffairs, Government, Service],
        )
        .allow(
            GRPC_SERVICE,
            "GetDashboard",
            &[CivilAffairs, Government, Station],
        )
        .allow(
            GRPC_SERVICE,
            "GetPeriodStatistics",
            &[CivilAffairs, Government],
        )
        .allow(
            GRPC_SERVICE,
            "GetAccountabilityReport",
            &[CivilAffairs, Government],
        )
        .allow(GRPC_SERVICE, "ListAlerts", EVERY_KIND)
        .allow(
            GRPC_SERVICE,
            "ListMajorSituations",
            &[CivilAffairs, Government],
        )
        .allow(
            GRPC_SERVICE,
            "GetFundsReport",
            &[CivilAffairs, Government, Supervisor],
        )
        .allow(GRPC_SERVICE, "ExportReport", EVERY_KIND)
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
