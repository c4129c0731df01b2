//! Confirming an identity, whoever established it: the file records it (encrypted), its open
//! deadlines are cancelled, unanswered verification requests are withdrawn, and
//! IdentityConfirmed tells intake and foster (ids, the opaque person key, the origin division;
//! never the identity). `ConfirmIdentity` is the station's own confirmation.

use chrono::{DateTime, SubsecRound, Utc};
use relief_proto::identity::v1 as pb;
use relief_runtime::db::{Conn, Tx};
use relief_runtime::events::append;
use relief_runtime::personal_data;
use relief_runtime::time::timestamp;
use relief_runtime::validate::Violations;
use relief_runtime::{ApiError, CallerKind, ServiceContext, caller, deadlines, idempotency};
use tonic::Request;

use super::store::{self, Confirmation, FileRow};
use super::{convert, not_open, reads};
use crate::identity::{FILE_IDENTITY_COLUMN, IdentityRecord};

/// The longest note accepted, in characters.
const MAX_NOTE: usize = 1000;

/// Confirms `file` (which must be open) as `identity`, established by `method` at `now`. The
/// file is locked (its pending deadlines first) and read again under the lock: whatever the
/// caller read before may be stale (a transfer may have continued the file to another case, a
/// closing or another confirmation may have ended it).
pub async fn confirm(
    context: &ServiceContext,
    tx: &mut Tx,
    file: &FileRow,
    method: pb::ConfirmationMethod,
    identity: &IdentityRecord,
    note: &str,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    store::lock_with_deadlines(tx, &file.id).await?;
    let file = store::fetch(Conn::Tx(tx), &file.id)
        .await?
        .filter(FileRow::is_open)
        .ok_or_else(not_open)?;
    // Stored to the microsecond (PostgreSQL): the event says what the row says.
    let now = now.trunc_subsecs(6);
    let keys = personal_data::require(context.personal_data.as_deref())?;
    let ciphertext = identity.encrypt(keys, &FILE_IDENTITY_COLUMN, &file.id)?;
    let person_key = identity.person_key(keys)?;
    // The household registration says where the person comes from; without one, what intake
    // knew at admission stays.
    let origin_division = if identity.household_division.is_empty() {
        file.origin_division.as_str()
    } else {
        identity.household_division.as_str()
    };
    let confirmed = store::set_confirmed(
        tx,
        &file.id,
        &Confirmation {
            confirmed_at: now,
            method: method as i32,
            note,
            identity: &ciphertext,
            id_number_index: person_key.as_deref(),
            origin_division,
        },
    )
    .await?;
    if !confirmed {
        // Confirmed or closed meanwhile (the lock makes this a guard only).
        return Err(not_open());
    }
    deadlines::cancel_subject(tx, now, &file.subject()).await?;
    crate::verification::withdraw_open(context, tx, &file.id, now).await?;
    let row = store::fetch(Conn::Tx(tx), &file.id)
        .await?
        .ok_or_else(|| ApiError::internal("a confirmed file vanished"))?;
    append(tx, now, &confirmed_event(&row)?).await?;
    Ok(())
}

/// IdentityConfirmed of the confirmed file `row`, for its current case, from what the row
/// stores: the confirmation's time, method, person key (the blind index of the ID number) and
/// origin division; never the identity. A transfer admission continuing a confirmed file sends
/// it again for the receiving case ([`super::stay`]).
pub fn confirmed_event(row: &FileRow) -> Result<pb::IdentityConfirmed, ApiError> {
    let confirmed_at = row
        .confirmed_at
        .ok_or_else(|| ApiError::internal(format!("file {} is not confirmed", row.id)))?;
    Ok(pb::IdentityConfirmed {
        file_id: row.id.clone(),
        case_id: row.case_id.clone(),
        division: row.division.clone(),
        confirmed_at: Some(timestamp(confirmed_at)),
        method: row.confirmation_method.unwrap_or_default(),
        person_key: row.id_number_index.clone().unwrap_or_default(),
        origin_division: row.origin_division.clone(),
    })
}

/// What a valid `ConfirmIdentity` asks.
struct Confirming {
    file_id: String,
    method: pb::ConfirmationMethod,
    identity: IdentityRecord,
    note: String,
    warnings: Vec<String>,
}

/// Checks a `ConfirmIdentity` request; every bad field in one INVALID_ARGUMENT.
fn check(request: &pb::ConfirmIdentityRequest, now: DateTime<Utc>) -> Result<Confirming, ApiError> {
    let mut check = Violations::new();
    let file_id = check.required_id("file_id", &request.file_id);
    let method = check.required_enum("method", pb::ConfirmationMethod::try_from(request.method));
    if matches!(
        method,
        pb::ConfirmationMethod::PoliceDna | pb::ConfirmationMethod::PoliceFace
    ) {
        check.add(
            "method",
            "a police method is recorded by the police result, not by the station",
        );
    }
    let today = now.with_timezone(&relief_legal::china()).date_naive();
    let mut warnings = Vec::new();
    let identity = IdentityRecord::from_proto(
        &mut check,
        "identity",
        request.identity.as_ref(),
        today,
        &mut warnings,
    );
    let note = check.optional_text("note", &request.note, MAX_NOTE);
    check.finish()?;
    Ok(Confirming {
        file_id,
        method,
        identity,
        note,
        warnings,
    })
}

/// `ConfirmIdentity`: the station holding the file confirms the identity itself. NOT_FOUND for
/// anyone else; FILE_NOT_OPEN for a file confirmed or closed. The response leaves the identity
/// out (it is stored with the idempotency key).
pub async fn confirm_identity(
    context: &ServiceContext,
    request: Request<pb::ConfirmIdentityRequest>,
) -> Result<pb::ConfirmIdentityResponse, ApiError> {
    let caller = caller(&request)?.clone();
    let request = request.into_inner();
    let now = context.clock.now();
    let valid = check(&request, now)?;
    idempotency::run(
        context,
        &caller,
        "/relief.identity.v1.IdentityQueryService/ConfirmIdentity",
        &request.request_id,
        &request,
        async |tx| {
            store::lock_with_deadlines(tx, &valid.file_id).await?;
            let file = store::fetch(Conn::Tx(tx), &valid.file_id)
                .await?
                .filter(|file| caller.kind == CallerKind::Station && file.station == caller.unit)
                .ok_or(ApiError::NotFound {
                    what: "identity file",
                })?;
            confirm(
                context,
                tx,
                &file,
                valid.method,
                &valid.identity,
                &valid.note,
                now,
            )
            .await?;
            store::add_warnings(tx, &file.id, &valid.warnings).await?;
            let row = store::fetch(Conn::Tx(tx), &file.id)
                .await?
                .ok_or_else(|| ApiError::internal("a confirmed file vanished"))?;
            let mut file = convert::to_proto(&row, reads::related(Conn::Tx(tx), &row).await?);
            file.identity_omitted = true;
            Ok(pb::ConfirmIdentityResponse { file: Some(file) })
        },
    )
    .await
}
