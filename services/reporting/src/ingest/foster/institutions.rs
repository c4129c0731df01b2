//! Foster institutions (`r_institutions`): their division, the earliest expiry among their
//! documents, whether a document is expiring (a warning or an expiry was seen and no renewal has
//! moved the earliest expiry out of the warning window since), and suspension. An expired
//! document is a late item of the institution (`foster.document_expiry:<institution>:<document
//! kind>:<last valid day>`, foster's deadline id), done by the renewal of that document.

use chrono::Days;
use relief_proto::foster::v1 as pb;
use relief_runtime::db::Tx;
use relief_runtime::events::consumer::ReceivedEvent;
use relief_runtime::{ApiError, with_tx};

use crate::ingest::intake::{at, enum_name, non_empty};
use crate::ingest::late::{self, LateItem};
use crate::time::{day_of, local_date};

/// Foster's deadline kind of a document's expiry.
pub const DOCUMENT_EXPIRY: &str = "foster.document_expiry";

/// How many days ahead of an expiry foster warns: foster's `institutions::expiry::WARNING_DAYS`
/// (30 days [product]).
pub const WARNING_DAYS: u64 = 30;

/// The late item id of `document` of institution `id` valid through `expires_on`.
fn document_item(id: &str, document: i32, expires_on: &str) -> String {
    let document = enum_name(document, |kind: pb::DocumentKind| kind.as_str_name());
    format!("{id}:{document}:{expires_on}")
}

/// `InstitutionRegistered`: the institution with its earliest document expiry.
pub async fn registered(tx: &mut Tx, event: &pb::InstitutionRegistered) -> Result<(), ApiError> {
    with_tx!(tx, |conn| {
        sqlx::query(
            "INSERT INTO r_institutions (institution_id, division, documents_expire_on, \
             expiring, suspended) VALUES ($1, $2, $3, 0, 0) \
             ON CONFLICT (institution_id) DO UPDATE SET \
               documents_expire_on = COALESCE(r_institutions.documents_expire_on, \
                 excluded.documents_expire_on)",
        )
        .bind(&event.institution_id)
        .bind(&event.division)
        .bind(non_empty(&event.documents_expire_on))
        .execute(conn)
        .await
        .map(|_| ())
    })?;
    Ok(())
}

/// `InstitutionDocumentRenewed`: the earliest expiry now; the institution is no longer expiring
/// when that is past the warning window of the renewal day (another document may still be in
/// it); the expiry of the renewed document, if it was seen, is done.
pub async fn renewed(
    tx: &mut Tx,
    event: &ReceivedEvent,
    renewed: &pb::InstitutionDocumentRenewed,
) -> Result<(), ApiError> {
    let renewed_at = at("renewed_at", renewed.renewed_at.as_ref())?;
    let window_end = local_date(renewed_at)
        .checked_add_days(Days::new(WARNING_DAYS))
        .map(day_of)
        .ok_or_else(|| ApiError::internal("a renewal at the end of time"))?;
    with_tx!(tx, |conn| {
        sqlx::query(
            "INSERT INTO r_institutions (institution_id, division, documents_expire_on, \
             expiring, suspended) VALUES ($1, $2, $3, 0, 0) \
             ON CONFLICT (institution_id) DO UPDATE SET \
               documents_expire_on = excluded.documents_expire_on, \
               expiring = CASE WHEN excluded.documents_expire_on IS NULL \
                 OR excluded.documents_expire_on > $4 THEN 0 ELSE r_institutions.expiring END",
        )
        .bind(&renewed.institution_id)
        .bind(&renewed.division)
        .bind(non_empty(&renewed.documents_expire_on))
        .bind(&window_end)
        .execute(conn)
        .await
        .map(|_| ())
    })?;
    let item = document_item(
        &renewed.institution_id,
        renewed.document,
        &renewed.previous_expires_on,
    );
    late::done(tx, &late::key(DOCUMENT_EXPIRY, &item), event.occurred_at).await
}

/// `InstitutionDocumentExpiring` (and `…Expired`): the institution has a document expiring.
pub async fn expiring(tx: &mut Tx, institution_id: &str, division: &str) -> Result<(), ApiError> {
    with_tx!(tx, |conn| {
        sqlx::query(
            "INSERT INTO r_institutions (institution_id, division, expiring, suspended) \
             VALUES ($1, $2, 1, 0) \
             ON CONFLICT (institution_id) DO UPDATE SET expiring = 1",
        )
        .bind(institution_id)
        .bind(division)
        .execute(conn)
        .await
        .map(|_| ())
    })?;
    Ok(())
}

/// `InstitutionDocumentExpired`: expiring, and a late item of the institution due at the
/// expiry.
pub async fn expired(
    tx: &mut Tx,
    event: &ReceivedEvent,
    expired: &pb::InstitutionDocumentExpired,
) -> Result<(), ApiError> {
    expiring(tx, &expired.institution_id, &expired.division).await?;
    let expired_at = at("expired_at", expired.expired_at.as_ref())?;
    let item = document_item(
        &expired.institution_id,
        expired.document,
        &expired.expires_on,
    );
    late::raise(
        tx,
        &LateItem {
            kind: DOCUMENT_EXPIRY,
            subject_id: &item,
            division: &expired.division,
            responsible_unit: non_empty(&expired.institution_id),
            due_at: expired_at,
            late_at: event.occurred_at,
            done_at: None,
        },
    )
    .await
}

/// `InstitutionSuspended` (`true`) or `InstitutionReinstated` (`false`).
pub async fn suspend(
    tx: &mut Tx,
    institution_id: &str,
    division: &str,
    suspended: bool,
) -> Result<(), ApiError> {
    with_tx!(tx, |conn| {
        sqlx::query(
            "INSERT INTO r_institutions (institution_id, division, expiring, suspended) \
             VALUES ($1, $2, 0, $3) \
             ON CONFLICT (institution_id) DO UPDATE SET suspended = excluded.suspended",
        )
        .bind(institution_id)
        .bind(division)
        .bind(i32::from(suspended))
        .execute(conn)
        .await
        .map(|_| ())
    })?;
    Ok(())
}
