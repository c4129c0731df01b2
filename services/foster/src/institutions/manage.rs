//! `SuspendInstitution`, `ReinstateInstitution` and `RenewInstitutionDocument`: civil affairs
//! covering the institution's division (the province only reads; another county: NOT_FOUND).

use chrono::{DateTime, SubsecRound, Utc};
use prost::Message;
use relief_proto::foster::v1 as pb;
use relief_runtime::db::{Conn, Tx};
use relief_runtime::deadlines;
use relief_runtime::events::append;
use relief_runtime::scope::covers;
use relief_runtime::time::timestamp;
use relief_runtime::validate::Violations;
use relief_runtime::{ApiError, Caller, ServiceContext, caller, idempotency};
use tonic::Request;

use super::store::{self, InstitutionRow, status};
use super::{expiry, qualify, refuse_read_only, subject};

/// The `FAILED_PRECONDITION` reason of suspending a suspended institution.
pub const INSTITUTION_ALREADY_SUSPENDED: &str = "INSTITUTION_ALREADY_SUSPENDED";

/// The `FAILED_PRECONDITION` reason of reinstating an institution that is not suspended.
pub const INSTITUTION_NOT_SUSPENDED: &str = "INSTITUTION_NOT_SUSPENDED";

/// The `FAILED_PRECONDITION` reason of a renewal whose expiry is not later than the current one.
pub const RENEWAL_NOT_LATER: &str = "RENEWAL_NOT_LATER";

/// The `FAILED_PRECONDITION` reason of renewing a document that does not expire.
pub const DOCUMENT_NOT_HELD: &str = "DOCUMENT_NOT_HELD";

/// The longest reason accepted, in characters.
const MAX_REASON: usize = 1000;

/// The longest document number accepted, in characters.
const MAX_NUMBER: usize = 200;

/// Locks institution `id` (its deadlines first, as the sweeper takes them) and reads it, if
/// `caller`'s division covers it; NOT_FOUND otherwise.
async fn fetch_covered(tx: &mut Tx, caller: &Caller, id: &str) -> Result<InstitutionRow, ApiError> {
    deadlines::lock_subject(tx, &subject(id)).await?;
    store::lock(tx, id).await?;
    store::fetch(Conn::Tx(tx), id)
        .await?
        .filter(|row| covers(&caller.division, &row.division))
        .ok_or(ApiError::NotFound {
            what: "institution",
        })
}

/// `SuspendInstitution`.
pub async fn suspend(
    context: &ServiceContext,
    request: Request<pb::SuspendInstitutionRequest>,
) -> Result<pb::SuspendInstitutionResponse, ApiError> {
    let caller = caller(&request)?.clone();
    refuse_read_only(&caller)?;
    let request = request.into_inner();
    let now = context.clock.now().trunc_subsecs(6);
    let mut check = Violations::new();
    let id = check.required_id("institution_id", &request.institution_id);
    let reason = check.required_text("reason", &request.reason, MAX_REASON);
    check.finish()?;
    idempotency::run(
        context,
        &caller,
        "/relief.foster.v1.FosterSupervisionService/SuspendInstitution",
        &request.request_id,
        &request,
        async |tx| {
            let row = fetch_covered(tx, &caller, &id).await?;
            if !store::set_status(
                tx,
                &row.id,
                status::ACTIVE,
                status::SUSPENDED,
                (Some(now), Some(&reason)),
            )
            .await?
            {
                return Err(ApiError::failed_precondition(
                    INSTITUTION_ALREADY_SUSPENDED,
                    "the institution is already suspended",
                ));
            }
            append(
                tx,
                now,
                &pb::InstitutionSuspended {
                    institution_id: row.id.clone(),
                    division: row.division.clone(),
                    suspended_by: caller.unit.clone(),
                    suspended_at: Some(timestamp(now)),
                },
            )
            .await?;
            Ok(pb::SuspendInstitutionResponse {
                institution: Some(reread(tx, &row.id, now).await?),
            })
        },
    )
    .await
}

/// `ReinstateInstitution`.
pub async fn reinstate(
    context: &ServiceContext,
    request: Request<pb::ReinstateInstitutionRequest>,
) -> Result<pb::ReinstateInstitutionResponse, ApiError> {
    let caller = caller(&request)?.clone();
    refuse_read_only(&caller)?;
    let request = request.into_inner();
    let now = context.clock.now().trunc_subsecs(6);
    let mut check = Violations::new();
    let id = check.required_id("institution_id", &request.institution_id);
    check.required_text("reason", &request.reason, MAX_REASON);
    check.finish()?;
    idempotency::run(
        context,
        &caller,
        "/relief.foster.v1.FosterSupervisionService/ReinstateInstitution",
        &request.request_id,
        &request,
        async |tx| {
            let row = fetch_covered(tx, &caller, &id).await?;
            if !store::set_status(tx, &row.id, status::SUSPENDED, status::ACTIVE, (None, None))
                .await?
            {
                return Err(ApiError::failed_precondition(
                    INSTITUTION_NOT_SUSPENDED,
                    "the institution is not suspended",
                ));
            }
            append(
                tx,
                now,
                &pb::InstitutionReinstated {
                    institution_id: row.id.clone(),
                    division: row.division.clone(),
                    reinstated_by: caller.unit.clone(),
                    reinstated_at: Some(timestamp(now)),
                },
            )
            .await?;
            Ok(pb::ReinstateInstitutionResponse {
                institution: Some(reread(tx, &row.id, now).await?),
            })
        },
    )
    .await
}

/// `RenewInstitutionDocument`: a new number and a later expiry for one document; the old date's
/// warning and expiry are cancelled, the new date's scheduled.
pub async fn renew(
    context: &ServiceContext,
    request: Request<pb::RenewInstitutionDocumentRequest>,
) -> Result<pb::RenewInstitutionDocumentResponse, ApiError> {
    let caller = caller(&request)?.clone();
    refuse_read_only(&caller)?;
    let request = request.into_inner();
    let now = context.clock.now().trunc_subsecs(6);
    let mut check = Violations::new();
    let id = check.required_id("institution_id", &request.institution_id);
    let document = check.required_enum("document", pb::DocumentKind::try_from(request.document));
    let renewed = request.renewed.clone().unwrap_or_default();
    let number = check.required_text("renewed.number", &renewed.number, MAX_NUMBER);
    let expires_on = qualify::parse_date(&renewed.expires_on);
    if expires_on.is_none() {
        check.add("renewed.expires_on", "must be a date YYYY-MM-DD");
    }
    check.finish()?;
    let Some(expires_on) = expires_on else {
        return Err(ApiError::invalid_field(
            "renewed.expires_on",
            "must be a date",
        ));
    };
    idempotency::run(
        context,
        &caller,
        "/relief.foster.v1.FosterSupervisionService/RenewInstitutionDocument",
        &request.request_id,
        &request,
        async |tx| {
            let row = fetch_covered(tx, &caller, &id).await?;
            let mut qualification = row.qualification().map_err(ApiError::internal)?;
            let slot = qualify::document_mut(&mut qualification, document)
                .ok_or_else(|| ApiError::invalid_field("document", "is required"))?;
            let previous = slot
                .as_ref()
                .and_then(|held| qualify::parse_date(&held.expires_on))
                .ok_or_else(|| {
                    ApiError::failed_precondition(
                        DOCUMENT_NOT_HELD,
                        "the institution holds no expiring document of this kind",
                    )
                })?;
            if expires_on <= previous {
                return Err(ApiError::failed_precondition(
                    RENEWAL_NOT_LATER,
                    format!("the renewed document must expire after {previous}"),
                ));
            }
            *slot = Some(pb::Document {
                number: number.clone(),
                expires_on: expires_on.format("%Y-%m-%d").to_string(),
            });
            let earliest = qualify::earliest(&qualification);
            store::set_qualification(tx, &row.id, &qualification.encode_to_vec(), &earliest)
                .await?;
            expiry::cancel(tx, now, &row.id, document, previous).await?;
            expiry::schedule(tx, now, &row.id, document, expires_on).await?;
            append(
                tx,
                now,
                &pb::InstitutionDocumentRenewed {
                    institution_id: row.id.clone(),
                    division: row.division.clone(),
                    document: document as i32,
                    previous_expires_on: previous.format("%Y-%m-%d").to_string(),
                    expires_on: expires_on.format("%Y-%m-%d").to_string(),
                    documents_expire_on: earliest,
                    renewed_at: Some(timestamp(now)),
                },
            )
            .await?;
            Ok(pb::RenewInstitutionDocumentResponse {
                institution: Some(reread(tx, &row.id, now).await?),
            })
        },
    )
    .await
}

async fn reread(tx: &mut Tx, id: &str, now: DateTime<Utc>) -> Result<pb::Institution, ApiError> {
    store::fetch(Conn::Tx(tx), id)
        .await?
        .map(|row| row.to_proto(now))
        .ok_or(ApiError::NotFound {
            what: "institution",
        })
}
