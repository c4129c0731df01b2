//! Which caller kinds may call each RPC of the intake service (DOMAIN.md, "Callers"). A method
//! missing here is never served; a test fails if one is missing.

use relief_runtime::{AccessPolicy, CallerKind};

use crate::GRPC_SERVICE;

/// The allow-list of the intake service.
pub fn policy() -> AccessPolicy {
    use CallerKind::*;
    let readers = [
        Station,
        CivilAffairs,
        Government,
        Police,
        Patrol,
        Grid,
        Relay,
        Hospital,
    ];
    AccessPolicy::new()
        .allow(
            GRPC_SERVICE,
            "ReportSighting",
            &[Police, Patrol, Grid, Relay, Station, Hospital],
        )
        .allow(GRPC_SERVICE, "GetSighting", &readers)
        .allow(GRPC_SERVICE, "ListSightings", &readers)
        .allow(
            GRPC_SERVICE,
            "RecordEncounter",
            &[Police, Patrol, Grid, Station],
        )
        .allow(GRPC_SERVICE, "AcceptHandover", &[Station])
        .allow(GRPC_SERVICE, "CompleteHospitalIdentification", &[Station])
        .allow(GRPC_SERVICE, "ReportHospitalStay", &[Hospital])
        .allow(GRPC_SERVICE, "AdmitPerson", &[Station])
        .allow(GRPC_SERVICE, "RecordReliefRefusal", &[Station])
        // Foster: its current residents' cases only (`cases::sees`).
        .allow(
            GRPC_SERVICE,
            "GetCase",
            &[Station, CivilAffairs, Government, Foster, Service],
        )
        .allow(
            GRPC_SERVICE,
            "ListCases",
            &[Station, CivilAffairs, Government, Service],
        )
        .allow(GRPC_SERVICE, "JustifyLongStay", &[Station])
        .allow(GRPC_SERVICE, "RecordService", &[Station])
        .allow(
            GRPC_SERVICE,
            "ListServices",
            &[Station, CivilAffairs, Government, Service],
        )
        .allow(GRPC_SERVICE, "ReportIncident", &[Station])
        .allow(
            GRPC_SERVICE,
            "ReportAbuseSuspicion",
            &[Station, Hospital, Foster, Relay, CivilAffairs, Police],
        )
        .allow(GRPC_SERVICE, "DischargeCase", &[Station])
        .allow(GRPC_SERVICE, "ListFollowUps", &[CivilAffairs])
        .allow(GRPC_SERVICE, "RecordFollowUp", &[CivilAffairs])
        .allow(GRPC_SERVICE, "SplitRepeatLink", &[Station, CivilAffairs])
        .allow(GRPC_SERVICE, "RegisterRescuePoint", &[CivilAffairs])
        .allow(
            GRPC_SERVICE,
            "ListRescuePoints",
            &[
                Station,
                CivilAffairs,
                Government,
                Police,
                Patrol,
                Grid,
                Relay,
                Hospital,
                Foster,
                Supervisor,
            ],
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
