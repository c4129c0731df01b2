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
        .allow(GRPC_SERVICE, "SignAgreement", &[Station])
        .allow(
            GRPC_SERVICE,
            "ListAgreements",
            &[Station, Foster, CivilAffairs, Government],
        )
        .allow(GRPC_SERVICE, "ProposePlacement", &[Station])
        .allow(GRPC_SERVICE, "ApprovePlacement", &[CivilAffairs])
        .allow(GRPC_SERVICE, "DeclinePlacement", &[CivilAffairs])
        .allow(GRPC_SERVICE, "WithdrawPlacement", &[Station])
        .allow(GRPC_SERVICE, "MoveResident", &[CivilAffairs])
        .allow(GRPC_SERVICE, "EndPlacement", &[Station, CivilAffairs])
        .allow(GRPC_SERVICE, "GetPlacement", PLACEMENT_READERS)
        .allow(GRPC_SERVICE, "ListPlacements", PLACEMENT_READERS)
        .allow(GRPC_SERVICE, "SetCountyRates", &[CivilAffairs])
        .allow(
            GRPC_SERVICE,
            "ListCountyRates",
            &[CivilAffairs, Government, Supervisor, Station, Foster],
        )
        .allow(
            GRPC_SERVICE,
            "ListFees",
            &[Foster, Station, CivilAffairs, Government, Supervisor],
        )
        .allow(GRPC_SERVICE, "RecordVisit", &[Station])
        .allow(GRPC_SERVICE, "ListVisits", PLACEMENT_READERS)
        .allow(GRPC_SERVICE, "FileReport", &[Foster])
        .allow(GRPC_SERVICE, "ListReports", PLACEMENT_READERS)
        .allow(GRPC_SERVICE, "ReportFosterIncident", &[Foster, Station])
        .allow(GRPC_SERVICE, "ListFosterIncidents", PLACEMENT_READERS)
        .allow(
            GRPC_SERVICE,
            "RecordInspection",
            &[Station, CivilAffairs, Police, Supervisor],
        )
        .allow(
            GRPC_SERVICE,
            "RecordRectification",
            &[Station, Foster, CivilAffairs, Police, Supervisor],
        )
        .allow(
            GRPC_SERVICE,
            "ListInspections",
            &[
                Station,
                Foster,
                CivilAffairs,
                Government,
                Police,
                Supervisor,
            ],
        )
        .allow(GRPC_SERVICE, "RecordOpenDay", &[Station, Foster])
        .allow(
            GRPC_SERVICE,
            "ListOpenDays",
            &[Station, Foster, CivilAffairs, Government],
        )
}

/// Who reads placements and what hangs off them (visits, reports, incidents): the institution,
/// the sending station, civil affairs and governments; object scope in `placements::sees`.
const PLACEMENT_READERS: &[CallerKind] = &[
    CallerKind::Foster,
    CallerKind::Station,
    CallerKind::CivilAffairs,
    CallerKind::Government,
];

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
