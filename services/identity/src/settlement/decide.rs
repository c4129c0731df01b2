//! `DecideSettlement`: civil affairs covering the case decides a filed application. Approval
//! registers the person in a welfare institution's collective household (集体户) and, when the
//! extreme-poverty conditions are met, takes them into state support with central care
//! (集中供养); state support without the conditions cannot be asked for (there is no separate
//! input). SettlementDecided tells intake (which closes a case in the station as settled) and
//! foster (which ends a placement).

use chrono::{DateTime, SubsecRound, Utc};
use relief_proto::identity::v1 as pb;
use relief_runtime::db::{Conn, Tx};
use relief_runtime::events::append;
use relief_runtime::scope::covers;
use relief_runtime::time::timestamp;
use relief_runtime::validate::Violations;
use relief_runtime::{ApiError, Caller, CallerKind, ServiceContext, caller, idempotency};
use tonic::Request;

use super::store::{self, ApplicationRow, DecisionRow, status};
use super::{SETTLEMENT_DECIDED_NOTIFICATION, subject};
use crate::files::FILE_NOT_OPEN;
use crate::files::store::{self as files, FileRow};
use crate::units;

/// The `FAILED_PRECONDITION` reason of a decision on an application already decided.
const SETTLEMENT_ALREADY_DECIDED: &str = "SETTLEMENT_ALREADY_DECIDED";

/// The longest institution name accepted, in characters.
const MAX_INSTITUTION: usize = 200;

/// The longest rejection reason accepted, in characters.
const MAX_REASON: usize = 1000;

/// A checked decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub application_id: String,
    pub approve: bool,
    /// Approval only.
    pub collective_household: Option<String>,
    /// Approval meeting the conditions.
    pub state_support: bool,
    /// State support only.
    pub central_care_institution: Option<String>,
    /// Rejection only.
    pub reason: Option<String>,
}

impl Decision {
    /// Checks `request`: approval needs the collective household, and the institution of central
    /// care exactly when the conditions are met; rejection needs a reason and nothing of an
    /// approval. Every bad field at once.
    pub fn from_request(request: &pb::DecideSettlementRequest) -> Result<Decision, ApiError> {
        let mut check = Violations::new();
        let application_id = check.required_id("application_id", &request.application_id);
        let decision = if request.approve {
            let household = check.required_text(
                "collective_household",
                &request.collective_household,
                MAX_INSTITUTION,
            );
            let central_care = if request.meets_state_support_conditions {
                Some(check.required_text(
                    "central_care_institution",
                    &request.central_care_institution,
                    MAX_INSTITUTION,
                ))
            } else {
                empty_unless(
                    &mut check,
                    "central_care_institution",
                    &request.central_care_institution,
                    "must be empty unless the state-support conditions are met",
                );
                None
            };
            empty_unless(
                &mut check,
                "reason",
                &request.reason,
                "must be empty for an approval",
            );
            Decision {
                application_id,
                approve: true,
                collective_household: Some(household),
                state_support: request.meets_state_support_conditions,
                central_care_institution: central_care,
                reason: None,
            }
        } else {
            let reason = check.required_text("reason", &request.reason, MAX_REASON);
            for (field, value) in [
                ("collective_household", &request.collective_household),
                (
                    "central_care_institution",
                    &request.central_care_institution,
                ),
            ] {
                empty_unless(&mut check, field, value, "must be empty for a rejection");
            }
            if request.meets_state_support_conditions {
                check.add(
                    "meets_state_support_conditions",
                    "must be false for a rejection",
                );
            }
            Decision {
                application_id,
                approve: false,
                collective_household: None,
                state_support: false,
                central_care_institution: None,
                reason: Some(reason),
            }
        };
        check.finish()?;
        Ok(decision)
    }

    /// What the decision stores, made by `by` at `at`.
    fn row(&self, by: &Caller, at: DateTime<Utc>) -> DecisionRow {
        DecisionRow {
            status: if self.approve {
                status::APPROVED
            } else {
                status::REJECTED
            },
            decided_at: at,
            decided_by: by.unit.clone(),
            collective_household: self.collective_household.clone(),
            state_support: self.approve.then_some(self.state_support),
            central_care_institution: self.central_care_institution.clone(),
            reason: self.reason.clone(),
        }
    }
}

/// A violation of `field` when `value` holds text.
fn empty_unless(check: &mut Violations, field: &str, value: &str, description: &str) {
    if !value.trim().is_empty() {
        check.add(field, description);
    }
}

/// `DecideSettlement` (civil affairs covering the case; the province only reads).
pub async fn decide(
    context: &ServiceContext,
    request: Request<pb::DecideSettlementRequest>,
) -> Result<pb::DecideSettlementResponse, ApiError> {
    let caller = caller(&request)?.clone();
    refuse_read_only(&caller)?;
    let request = request.into_inner();
    // Stored to the microsecond (PostgreSQL): the event says what the row says.
    let now = context.clock.now().trunc_subsecs(6);
    let decision = Decision::from_request(&request)?;
    idempotency::run(
        context,
        &caller,
        "/relief.identity.v1.IdentityQueryService/DecideSettlement",
        &request.request_id,
        &request,
        async |tx| {
            // The file locked first, then the application and the file read under the lock:
            // serialises with the file's confirmation, closing and continuation by a transfer,
            // so the checks and the event see the file as it is.
            lock_file_of(tx, &decision.application_id).await?;
            let (row, file) = fetch_in_scope(tx, &caller, &decision.application_id).await?;
            if row.status != status::FILED {
                return Err(already_decided());
            }
            if decision.approve && !file.is_open() {
                return Err(ApiError::failed_precondition(
                    FILE_NOT_OPEN,
                    "the person was identified or the stay ended since the application was \
                     filed: it can only be rejected",
                ));
            }
            if !store::decide(tx, &row.id, &decision.row(&caller, now)).await? {
                return Err(already_decided());
            }
            let row = store::fetch(Conn::Tx(tx), &row.id)
                .await?
                .ok_or(ApiError::NotFound {
                    what: "settlement application",
                })?;
            announce(context, tx, &row, &file, now).await?;
            Ok(pb::DecideSettlementResponse {
                application: Some(row.to_proto()),
            })
        },
    )
    .await
}

/// Locks the file of application `id` (which never changes), if the application exists; a
/// missing one is NOT_FOUND later, when it is read.
async fn lock_file_of(tx: &mut Tx, id: &str) -> Result<(), ApiError> {
    if let Some(row) = store::fetch(Conn::Tx(tx), id).await? {
        files::lock(tx, &row.file_id).await?;
    }
    Ok(())
}

/// The application `id` and its file, if `caller`'s division covers the division the
/// application was filed in or the file's division now (a transfer may have moved the stay).
/// NOT_FOUND otherwise, as if it did not exist.
async fn fetch_in_scope(
    tx: &mut Tx,
    caller: &Caller,
    id: &str,
) -> Result<(ApplicationRow, FileRow), ApiError> {
    let not_found = || ApiError::NotFound {
        what: "settlement application",
    };
    let row = store::fetch(Conn::Tx(tx), id)
        .await?
        .ok_or_else(not_found)?;
    let file = files::fetch(Conn::Tx(tx), &row.file_id)
        .await?
        .ok_or_else(not_found)?;
    if covers(&caller.division, &row.division) || covers(&caller.division, &file.division) {
        Ok((row, file))
    } else {
        Err(not_found())
    }
}

/// SettlementDecided of the decided application `row`, for `file`'s current case, from what
/// the row stores. A transfer admission continuing the file sends an approval again for the
/// receiving case ([`super::announce_again`]).
pub fn decided_event(
    row: &ApplicationRow,
    file: &FileRow,
) -> Result<pb::SettlementDecided, ApiError> {
    let decided_at = row.decided_at.ok_or_else(|| {
        ApiError::internal(format!("settlement application {} is not decided", row.id))
    })?;
    Ok(pb::SettlementDecided {
        application_id: row.id.clone(),
        file_id: file.id.clone(),
        case_id: file.case_id.clone(),
        division: file.division.clone(),
        approved: row.status == status::APPROVED,
        state_support: row.state_support.unwrap_or(false),
        central_care: row.central_care_institution.is_some(),
        decided_at: Some(timestamp(decided_at)),
    })
}

/// SettlementDecided (with the file's current case) and the notification of the station
/// holding the file (and of the filing station, if another), for the decided `row`.
async fn announce(
    context: &ServiceContext,
    tx: &mut Tx,
    row: &ApplicationRow,
    file: &FileRow,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let event = decided_event(row, file)?;
    let approved = event.approved;
    append(tx, now, &event).await?;
    let mut recipients = Vec::new();
    for (division, station) in [
        (&file.division, &file.station),
        (&row.division, &row.station),
    ] {
        if let Some(unit) = units::station(division, station)
            && !recipients.contains(&unit)
        {
            recipients.push(unit);
        }
    }
    let outcome = if approved { "approved" } else { "rejected" };
    relief_runtime::notifications::tracked(
        context,
        tx,
        now,
        relief_runtime::notifications::Tracked {
            kind: SETTLEMENT_DECIDED_NOTIFICATION.to_owned(),
            subject: subject(&row.id),
            division: file.division.clone(),
            summary: format!(
                "settlement application {} for identity file {} was {outcome}",
                row.id, file.id
            ),
            recipients,
        },
    )
    .await?;
    Ok(())
}

/// The provincial civil-affairs department (a province-level division, `xx0000`) reads only
/// (DOMAIN.md, "Callers"): PERMISSION_DENIED before anything is read.
fn refuse_read_only(caller: &Caller) -> Result<(), ApiError> {
    if caller.kind == CallerKind::CivilAffairs
        && caller.division.len() == 6
        && caller.division.ends_with("0000")
    {
        return Err(ApiError::PermissionDenied {
            message: "the provincial civil-affairs department may only read".to_owned(),
        });
    }
    Ok(())
}

fn already_decided() -> ApiError {
    ApiError::failed_precondition(
        SETTLEMENT_ALREADY_DECIDED,
        "the application is already decided",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(approve: bool) -> pb::DecideSettlementRequest {
        pb::DecideSettlementRequest {
            request_id: uuid::Uuid::new_v4().to_string(),
            application_id: "a1".to_owned(),
            approve,
            ..Default::default()
        }
    }

    fn violations(request: &pb::DecideSettlementRequest) -> String {
        format!("{:?}", Decision::from_request(request).unwrap_err())
    }

    #[test]
    fn approval_needs_the_household_and_central_care_exactly_with_the_conditions() {
        let mut given = request(true);
        assert!(violations(&given).contains("collective_household"));
        given.collective_household = " 盘锦市社会福利院集体户 ".to_owned();
        let plain = Decision::from_request(&given).unwrap();
        assert_eq!(
            plain.collective_household.as_deref(),
            Some("盘锦市社会福利院集体户")
        );
        assert!(!plain.state_support && plain.central_care_institution.is_none());

        given.meets_state_support_conditions = true;
        assert!(violations(&given).contains("central_care_institution"));
        given.central_care_institution = "盘锦市社会福利院".to_owned();
        let supported = Decision::from_request(&given).unwrap();
        assert!(supported.state_support);
        assert_eq!(
            supported.central_care_institution.as_deref(),
            Some("盘锦市社会福利院")
        );

        // Central care without the conditions, or a reason, is not an approval's.
        given.meets_state_support_conditions = false;
        given.reason = "x".to_owned();
        let error = violations(&given);
        assert!(error.contains("central_care_institution") && error.contains("reason"));
    }

    #[test]
    fn rejection_needs_a_reason_and_nothing_of_an_approval() {
        let mut given = request(false);
        assert!(violations(&given).contains("reason"));
        given.reason = "户籍地已查明".to_owned();
        let rejected = Decision::from_request(&given).unwrap();
        assert!(!rejected.approve && rejected.reason.is_some());
        given.collective_household = "x".to_owned();
        given.meets_state_support_conditions = true;
        let error = violations(&given);
        assert!(
            error.contains("collective_household")
                && error.contains("meets_state_support_conditions")
        );
    }

    #[test]
    fn the_province_only_reads() {
        let province = Caller::new(CallerKind::CivilAffairs, "210000", "ln-civil-affairs").unwrap();
        assert!(refuse_read_only(&province).is_err());
        let city = Caller::new(CallerKind::CivilAffairs, "211100", "city-civil-affairs").unwrap();
        assert!(refuse_read_only(&city).is_ok());
    }
}
