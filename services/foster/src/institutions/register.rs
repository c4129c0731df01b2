//! `RegisterInstitution`: civil affairs registers a qualified institution in a division its own
//! covers (a county bureau its division, the city bureau any of the city's; the province only
//! reads). Every unmet condition is reported in one INSTITUTION_NOT_QUALIFIED and nothing is
//! stored.

use chrono::SubsecRound;
use prost::Message;
use relief_proto::foster::v1 as pb;
use relief_runtime::events::append;
use relief_runtime::scope::covers;
use relief_runtime::time::timestamp;
use relief_runtime::validate::Violations;
use relief_runtime::{ApiError, FieldViolation, ServiceContext, caller, idempotency};
use tonic::Request;

use super::store::{self, InstitutionRow, status};
use super::{expiry, qualify, refuse_read_only, today};

/// The `FAILED_PRECONDITION` reason of a registration whose evidence misses a condition.
pub const INSTITUTION_NOT_QUALIFIED: &str = "INSTITUTION_NOT_QUALIFIED";

/// The longest name accepted, in characters.
const MAX_NAME: usize = 200;

/// The longest address accepted, in characters.
const MAX_ADDRESS: usize = 500;

/// `RegisterInstitution` (civil affairs).
pub async fn register(
    context: &ServiceContext,
    request: Request<pb::RegisterInstitutionRequest>,
) -> Result<pb::RegisterInstitutionResponse, ApiError> {
    let caller = caller(&request)?.clone();
    refuse_read_only(&caller)?;
    let request = request.into_inner();
    // Stored to the microsecond (PostgreSQL): the event says what the row says.
    let now = context.clock.now().trunc_subsecs(6);
    let mut check = Violations::new();
    let mut warnings = Vec::new();
    let name = check.required_text("name", &request.name, MAX_NAME);
    let division = check.division("division", &request.division, &mut warnings);
    if division.len() == 6 && !covers(&caller.division, &division) {
        check.add(
            "division",
            "is outside the divisions this caller may register in",
        );
    }
    let address = check.required_text("address", &request.address, MAX_ADDRESS);
    let kind = check.required_enum("kind", pb::InstitutionKind::try_from(request.kind));
    if request.capacity <= 0 {
        check.add("capacity", "must be greater than 0");
    }
    let (qualification, unmet) =
        qualify::check(request.qualification.as_ref(), today(now), &mut check);
    check.finish()?;
    idempotency::run(
        context,
        &caller,
        "/relief.foster.v1.FosterSupervisionService/RegisterInstitution",
        &request.request_id,
        &request,
        async |tx| {
            // Inside the idempotent call: a retry answers what the first call did, even if a
            // document has expired since.
            if !unmet.is_empty() {
                // Each condition as `subject: why`: one PreconditionFailure violation each,
                // and all of them in the message for a reader without the details.
                let conditions = unmet
                    .iter()
                    .map(|condition| match condition.split_once(": ") {
                        Some((subject, why)) => FieldViolation::new(subject, why),
                        None => FieldViolation::new("qualification", condition.as_str()),
                    })
                    .collect();
                return Err(ApiError::failed_conditions(
                    INSTITUTION_NOT_QUALIFIED,
                    format!(
                        "the institution does not meet {} qualification condition(s) \
                         [plan §二(一)4]: {}",
                        unmet.len(),
                        unmet.join("; ")
                    ),
                    conditions,
                ));
            }
            let row = InstitutionRow {
                id: uuid::Uuid::now_v7().to_string(),
                name: name.clone(),
                division: division.clone(),
                address: address.clone(),
                kind: kind as i32,
                government_run: request.government_run,
                capacity: request.capacity,
                approved_for_minors: request.approved_for_minors,
                qualification: qualification.encode_to_vec(),
                status: status::ACTIVE,
                documents_expire_on: qualify::earliest(&qualification),
                registered_at: now,
                registered_by: caller.unit.clone(),
                suspended_at: None,
                suspension_reason: None,
            };
            store::insert(tx, &row).await?;
            for (document, expires_on) in qualify::expiries(&qualification) {
                expiry::schedule(tx, now, &row.id, document, expires_on).await?;
            }
            append(
                tx,
                now,
                &pb::InstitutionRegistered {
                    institution_id: row.id.clone(),
                    division: row.division.clone(),
                    kind: row.kind,
                    government_run: row.government_run,
                    approved_for_minors: row.approved_for_minors,
                    capacity: row.capacity,
                    documents_expire_on: row.documents_expire_on.clone(),
                    registered_at: Some(timestamp(now)),
                },
            )
            .await?;
            Ok(pb::RegisterInstitutionResponse {
                institution: Some(row.to_proto(now)),
            })
        },
    )
    .await
}
