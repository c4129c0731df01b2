//! Which caller kinds may call each RPC of the identity service (DOMAIN.md, "Callers"). A method
//! missing here is never served; a test fails if one is missing. Object scope (a station's own
//! cases, a police unit's own requests) is checked by the handlers: NOT_FOUND outside it.

use relief_runtime::{AccessPolicy, CallerKind};

use crate::GRPC_SERVICE;

/// The allow-list of the identity service.
pub fn policy() -> AccessPolicy {
    use CallerKind::*;
    AccessPolicy::new()
        .allow(
            GRPC_SERVICE,
            "GetIdentityFile",
            &[Station, CivilAffairs, Government, Service],
        )
        .allow(GRPC_SERVICE, "ConfirmIdentity", &[Station])
        .allow(GRPC_SERVICE, "RecordNoticePublication", &[Station])
        .allow(GRPC_SERVICE, "FileVerificationRequest", &[Station])
        .allow(
            GRPC_SERVICE,
            "GetVerificationRequest",
            &[Station, Police, CivilAffairs, Government],
        )
        .allow(GRPC_SERVICE, "ListPendingVerificationRequests", &[Police])
        .allow(GRPC_SERVICE, "AcknowledgeVerificationRequest", &[Police])
        .allow(GRPC_SERVICE, "ForwardVerificationRequest", &[Police])
        .allow(GRPC_SERVICE, "SubmitVerificationResult", &[Police])
        .allow(
            GRPC_SERVICE,
            "ListVerificationRequests",
            &[Station, Police, CivilAffairs, Government],
        )
        .allow(
            GRPC_SERVICE,
            "ListStrandedPersons",
            &[Station, CivilAffairs, Government],
        )
        .allow(GRPC_SERVICE, "FileSettlementApplication", &[Station])
        .allow(GRPC_SERVICE, "DecideSettlement", &[CivilAffairs])
        .allow(
            GRPC_SERVICE,
            "ListSettlementApplications",
            &[Station, CivilAffairs, Government, Supervisor],
        )
        .allow(GRPC_SERVICE, "RequestHouseholdRestoration", &[Station])
        .allow(GRPC_SERVICE, "CompleteHouseholdRestoration", &[Police])
        .allow(
            GRPC_SERVICE,
            "ListHouseholdRestorations",
            &[Station, Police, CivilAffairs, Government],
        )
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
