//! The case of a placement as intake has it: `GetCase` as the foster service, without a purpose
//! (personal fields are omitted). Called before a placement's transaction, never inside one;
//! intake unreachable is UNAVAILABLE (retry), an unknown case `None`.

use relief_proto::intake::v1 as intake;
use relief_proto::intake::v1::intake_service_client::IntakeServiceClient;
use relief_runtime::client::Peer;
use relief_runtime::{ApiError, ServiceContext};

use super::CASE_NOT_IN_STATION;
use crate::placements::store::PlacementRow;

/// The `UNAVAILABLE` reason of approving a proposal intake has not learnt of yet.
pub const PROPOSAL_NOT_YET_AT_INTAKE: &str = "PROPOSAL_NOT_YET_AT_INTAKE";

/// What a placement needs of intake's case.
#[derive(Debug, Clone, PartialEq)]
pub struct IntakeCase {
    pub case_id: String,
    pub case_number: String,
    /// The admitting station (the sending station).
    pub station: String,
    /// The case's division.
    pub division: String,
    pub status: intake::CaseStatus,
    pub flags: intake::VulnerableFlags,
    /// The proposed placement intake has learnt of (foster's feed); empty if none.
    pub proposed_placement_id: String,
}

impl IntakeCase {
    /// FAILED_PRECONDITION CASE_NOT_IN_STATION unless the person is in the station.
    pub fn require_in_station(&self) -> Result<(), ApiError> {
        if self.status == intake::CaseStatus::InStation {
            return Ok(());
        }
        Err(ApiError::failed_precondition(
            CASE_NOT_IN_STATION,
            format!(
                "case {} is not in the station (intake: {})",
                self.case_number,
                self.status.as_str_name()
            ),
        ))
    }

    /// [`Self::require_in_station`], and UNAVAILABLE PROPOSAL_NOT_YET_AT_INTAKE until intake
    /// shows placement `placement_id` as the case's proposal (it learns of it from foster's
    /// feed): from then on the station cannot discharge the person, so an approved placement
    /// always finds its case in the station.
    pub fn require_proposal_of(&self, placement_id: &str) -> Result<(), ApiError> {
        self.require_in_station()?;
        if self.proposed_placement_id == placement_id {
            return Ok(());
        }
        Err(ApiError::unavailable(
            PROPOSAL_NOT_YET_AT_INTAKE,
            format!(
                "intake has not learnt of placement {placement_id} yet (its feed is behind); \
                 retry with backoff"
            ),
        ))
    }

    /// The age group from the flags: minor, elderly, else adult.
    pub fn age_group(&self) -> i32 {
        age_group(&self.flags) as i32
    }

    /// A special group (mental disorder, intellectual or other disability).
    pub fn special_group(&self) -> bool {
        special_group(&self.flags)
    }
}

/// The age group of a person with `flags`.
pub fn age_group(flags: &intake::VulnerableFlags) -> relief_proto::foster::v1::AgeGroup {
    use relief_proto::foster::v1::AgeGroup;
    if flags.minor {
        AgeGroup::Minor
    } else if flags.elderly {
        AgeGroup::Elderly
    } else {
        AgeGroup::Adult
    }
}

/// Whether a person with `flags` belongs to a special group (特殊人群).
pub fn special_group(flags: &intake::VulnerableFlags) -> bool {
    flags.mental_disorder || flags.intellectual_disability || flags.disabled
}

/// Intake's case `case_id`; `None` if intake does not know it. UNAVAILABLE when intake cannot
/// be reached or is slow.
pub async fn fetch(
    context: &ServiceContext,
    case_id: &str,
) -> Result<Option<IntakeCase>, ApiError> {
    let peer = Peer::new(context, "intake");
    let mut client = IntakeServiceClient::new(peer.channel().await?);
    let request = peer.request(
        intake::GetCaseRequest {
            case_id: case_id.to_owned(),
        },
        None,
    )?;
    let case = match peer.call("GetCase", client.get_case(request)).await {
        Ok(response) => response.case,
        Err(error) if error.code() == tonic::Code::NotFound => return Ok(None),
        Err(error) => return Err(error.into_api_error()),
    };
    let case = case.ok_or_else(|| ApiError::internal("GetCase returned no case"))?;
    Ok(Some(IntakeCase {
        status: intake::CaseStatus::try_from(case.status).unwrap_or_default(),
        flags: case.flags.unwrap_or_default(),
        case_id: case.case_id,
        case_number: case.case_number,
        station: case.station,
        division: case.division,
        proposed_placement_id: case.proposed_placement_id,
    }))
}

/// The case of placement `row` as intake has it now, for a decision on the placement: `None`
/// if intake no longer knows it.
pub async fn of_placement(
    context: &ServiceContext,
    row: &PlacementRow,
) -> Result<Option<IntakeCase>, ApiError> {
    fetch(context, &row.case_id).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use relief_proto::foster::v1::AgeGroup;
    use tonic::Code;

    fn case(status: intake::CaseStatus, proposed_placement_id: &str) -> IntakeCase {
        IntakeCase {
            case_id: "c1".to_owned(),
            case_number: "XLT-2026-0001".to_owned(),
            station: "station".to_owned(),
            division: "211103".to_owned(),
            status,
            flags: intake::VulnerableFlags::default(),
            proposed_placement_id: proposed_placement_id.to_owned(),
        }
    }

    fn refusal(result: Result<(), ApiError>) -> (Code, String) {
        let status = tonic::Status::from(result.unwrap_err());
        let reason = tonic_types::StatusExt::get_details_error_info(&status)
            .map(|info| info.reason)
            .unwrap_or_default();
        (status.code(), reason)
    }

    #[test]
    fn an_approval_waits_until_intake_shows_the_proposal() {
        let in_station = intake::CaseStatus::InStation;
        assert!(case(in_station, "p1").require_proposal_of("p1").is_ok());
        // Intake has not applied PlacementProposed yet, or still shows an earlier proposal.
        for shown in ["", "p0"] {
            assert_eq!(
                refusal(case(in_station, shown).require_proposal_of("p1")),
                (Code::Unavailable, PROPOSAL_NOT_YET_AT_INTAKE.to_owned())
            );
        }
        // The case left the station: no retry helps.
        for status in [intake::CaseStatus::Closed, intake::CaseStatus::InFosterCare] {
            assert_eq!(
                refusal(case(status, "").require_proposal_of("p1")),
                (Code::FailedPrecondition, CASE_NOT_IN_STATION.to_owned())
            );
        }
    }

    #[test]
    fn the_classification_follows_the_flags() {
        let flags = |minor, elderly, disabled| intake::VulnerableFlags {
            minor,
            elderly,
            disabled,
            ..Default::default()
        };
        assert_eq!(age_group(&flags(true, false, false)), AgeGroup::Minor);
        assert_eq!(age_group(&flags(false, true, false)), AgeGroup::Elderly);
        assert_eq!(age_group(&flags(false, false, false)), AgeGroup::Adult);
        assert!(special_group(&flags(false, false, true)));
        assert!(!special_group(&flags(true, true, false)));
        assert!(special_group(&intake::VulnerableFlags {
            mental_disorder: true,
            ..Default::default()
        }));
        assert!(special_group(&intake::VulnerableFlags {
            intellectual_disability: true,
            ..Default::default()
        }));
    }
}
