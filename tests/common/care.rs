//! The foster-care steps the scenarios share: an institution registered and an agreement signed
//! for the Xinglongtai station, a placement proposed and approved, and intake's case read and
//! waited on.

use relief_proto::foster::v1 as foster;
use relief_proto::intake::v1 as intake;
use relief_runtime::{Caller, CallerKind};
use relief_testkit::fixtures::units::{xlt_civil_affairs, xlt_station};
use relief_testkit::fixtures::{request_id, unit};
use relief_testkit::wait_until;

use super::Scene;

impl Scene {
    /// A qualified, government-run elderly-care institution of `division` registered by
    /// `registrar` (its county bureau); returns its id.
    pub async fn institution(&self, registrar: &Caller, division: &str, name: &str) -> String {
        self.foster(registrar)
            .await
            .register_institution(registration(division, name))
            .await
            .unwrap()
            .into_inner()
            .institution
            .unwrap()
            .institution_id
    }

    /// The station's agreement with `institution_id` for 2026, 5 beds.
    pub async fn sign(&self, institution_id: &str) {
        self.foster(&xlt_station())
            .await
            .sign_agreement(foster::SignAgreementRequest {
                request_id: request_id(),
                institution_id: institution_id.to_owned(),
                starts_on: "2026-01-01".to_owned(),
                ends_on: "2026-12-31".to_owned(),
                beds: 5,
                margin_bps: 500,
                reference: format!("托养协议-{}", &request_id()[..8]),
            })
            .await
            .unwrap();
    }

    /// The station proposes placing the person of `case_id`; the county bureau approves it into
    /// `institution_id`; waits until intake shows the case in foster care. Returns the ACTIVE
    /// placement.
    pub async fn place(&self, case_id: &str, institution_id: &str) -> foster::Placement {
        let proposed = self.propose(case_id).await;
        let placed = self
            .foster(&xlt_civil_affairs())
            .await
            .approve_placement(foster::ApprovePlacementRequest {
                request_id: request_id(),
                placement_id: proposed.placement_id,
                institution_id: institution_id.to_owned(),
                justification: String::new(),
            })
            .await
            .unwrap()
            .into_inner()
            .placement
            .unwrap();
        assert_eq!(placed.status, foster::PlacementStatus::Active as i32);
        self.wait_status(
            case_id,
            "intake shows the case in foster care",
            intake::CaseStatus::InFosterCare,
        )
        .await;
        placed
    }

    /// The station proposes placing the person of `case_id`; waits until intake shows the
    /// proposal (the approval needs it). Returns the PROPOSED placement.
    pub async fn propose(&self, case_id: &str) -> foster::Placement {
        let proposed = self
            .foster(&xlt_station())
            .await
            .propose_placement(foster::ProposePlacementRequest {
                request_id: request_id(),
                case_id: case_id.to_owned(),
                reason: foster::PlacementReason::LacksFacilities as i32,
                reason_details: "本站无护理床位".to_owned(),
                self_care: foster::SelfCare::Partial as i32,
            })
            .await
            .unwrap()
            .into_inner()
            .placement
            .unwrap();
        self.wait_case(case_id, "intake shows the proposal", |case| {
            case.proposed_placement_id == proposed.placement_id
        })
        .await;
        proposed
    }

    /// Intake's case `case_id` read by `who`.
    pub async fn case(&self, who: &Caller, case_id: &str) -> Result<intake::Case, tonic::Status> {
        self.intake(who)
            .await
            .get_case(intake::GetCaseRequest {
                case_id: case_id.to_owned(),
            })
            .await
            .map(|r| r.into_inner().case.unwrap())
    }

    /// Waits (60 s ceiling) until the station's read of case `case_id` satisfies `ready`;
    /// returns it.
    pub async fn wait_case(
        &self,
        case_id: &str,
        what: &str,
        ready: impl Fn(&intake::Case) -> bool,
    ) -> intake::Case {
        let ready = &ready;
        wait_until(what, || async move {
            self.case(&xlt_station(), case_id)
                .await
                .is_ok_and(|case| ready(&case))
        })
        .await;
        self.case(&xlt_station(), case_id).await.unwrap()
    }

    /// Waits (60 s ceiling) until the station's read of case `case_id` has `status`; returns it.
    pub async fn wait_status(
        &self,
        case_id: &str,
        what: &str,
        status: intake::CaseStatus,
    ) -> intake::Case {
        self.wait_case(case_id, what, |case| case.status == status as i32)
            .await
    }
}

/// The foster institution `id` of `division`, as a caller.
pub fn institution(id: &str, division: &str) -> Caller {
    unit(CallerKind::Foster, division, id)
}

/// A document numbered `number`, valid through `expires_on` (empty: no expiry).
pub fn document(number: &str, expires_on: &str) -> Option<foster::Document> {
    Some(foster::Document {
        number: number.to_owned(),
        expires_on: expires_on.to_owned(),
    })
}

/// An internal rule adopted under `reference`.
pub fn adopted(reference: &str) -> Option<foster::InternalRule> {
    Some(foster::InternalRule {
        adopted: true,
        document_reference: reference.to_owned(),
    })
}

/// A registration meeting every condition in 2026 (operating since 2024, documents valid
/// through 2030), government-run elderly care, 120 beds.
pub fn registration(division: &str, name: &str) -> foster::RegisterInstitutionRequest {
    foster::RegisterInstitutionRequest {
        request_id: request_id(),
        name: name.to_owned(),
        division: division.to_owned(),
        address: format!("{name}院内1号楼"),
        kind: foster::InstitutionKind::ElderlyCare as i32,
        government_run: true,
        capacity: 120,
        approved_for_minors: false,
        qualification: Some(foster::Qualification {
            legal_person: document("52211103MJ0000001X", ""),
            service_qualification: document("辽民养字第2024001号", "2030-12-31"),
            fixed_premises: "产权证 辽(2023)盘锦市不动产权第0012345号".to_owned(),
            operating_since: "2024-06-01".to_owned(),
            food_business_licence: document("JY32111030012345", "2030-12-31"),
            fire_safety: Some(foster::FireSafety {
                kind: foster::FireSafetyKind::Acceptance as i32,
                reference: "盘建消验字〔2024〕第018号".to_owned(),
                dated_on: "2024-05-20".to_owned(),
            }),
            internal_rules: Some(foster::InternalRules {
                management: adopted("管理制度2024版"),
                finance_and_accounting: adopted("财务会计制度2024版"),
                emergencies: adopted("应急预案2024版"),
                information_reporting: adopted("信息报送制度2024版"),
            }),
        }),
    }
}
