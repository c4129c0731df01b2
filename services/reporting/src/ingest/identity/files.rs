//! Identity files (`r_identity_files`): opened with their due times, moved to the receiving
//! division by a transfer (`IdentityFileContinued`), confirmed or closed, in the stranded register
//! with the steps still missing; and the one-time figures of a file: its identification (by
//! method) and its settlement application (filed, decided).
//!
//! Identity sends `IdentityConfirmed` and an approved `SettlementDecided` again when a transfer
//! continues a file (for the receiving case): the row keeps the first confirmation and approval,
//! and the facts keep the division they were first counted in, so the continuation does not move
//! an identification or a decision to the receiving county.

use chrono::{DateTime, Utc};
use prost_types::Timestamp;
use relief_proto::identity::v1 as pb;
use relief_runtime::db::Tx;
use relief_runtime::{ApiError, with_tx};

use super::verifications;
use crate::facts::{self, Contribution};
use crate::ingest::intake::{at, enum_name, non_empty};
use crate::time::{day, micros};

/// The instant of an optional timestamp field, as stored (`None` when the producer left it out
/// because it does not apply, e.g. the notice due time of a stated identity).
fn micros_opt(field: &str, value: Option<&Timestamp>) -> Result<Option<i64>, ApiError> {
    value
        .map(|value| at(field, Some(value)).map(micros))
        .transpose()
}

/// The bit of a stranded step in `missing_steps` (1 << its number; none for a number outside
/// 1-30, which no producer sends).
fn step_bit(step: i32) -> i32 {
    if (1..=30).contains(&step) {
        1 << step
    } else {
        0
    }
}

/// `IdentityFileOpened`: the file, its station and division, and the due times of its first
/// notice (an unknown identity only) and of the verification request.
pub async fn opened(tx: &mut Tx, event: &pb::IdentityFileOpened) -> Result<(), ApiError> {
    let notice_due_at = micros_opt("notice_due_at", event.notice_due_at.as_ref())?;
    let request_due_at = micros_opt("request_due_at", event.request_due_at.as_ref())?;
    with_tx!(tx, |conn| {
        sqlx::query(
            "INSERT INTO r_identity_files (file_id, case_id, station, division, notice_due_at, \
             request_due_at) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (file_id) DO UPDATE SET \
               case_id = COALESCE(r_identity_files.case_id, excluded.case_id), \
               station = COALESCE(r_identity_files.station, excluded.station), \
               division = COALESCE(r_identity_files.division, excluded.division), \
               notice_due_at = COALESCE(r_identity_files.notice_due_at, excluded.notice_due_at), \
               request_due_at = COALESCE(r_identity_files.request_due_at, excluded.request_due_at)",
        )
        .bind(&event.file_id)
        .bind(non_empty(&event.case_id))
        .bind(non_empty(&event.station))
        .bind(non_empty(&event.division))
        .bind(notice_due_at)
        .bind(request_due_at)
        .execute(conn)
        .await
        .map(|_| ())
    })?;
    Ok(())
}

/// `IdentityFileContinued`: a transfer admission continued the stay, so the file (and its
/// requests still open) now belong to the receiving case, station and division.
pub async fn continued(tx: &mut Tx, event: &pb::IdentityFileContinued) -> Result<(), ApiError> {
    with_tx!(tx, |conn| {
        sqlx::query(
            "INSERT INTO r_identity_files (file_id, case_id, station, division) \
             VALUES ($1, $2, $3, $4) \
             ON CONFLICT (file_id) DO UPDATE SET case_id = excluded.case_id, \
               station = excluded.station, division = excluded.division",
        )
        .bind(&event.file_id)
        .bind(non_empty(&event.case_id))
        .bind(non_empty(&event.station))
        .bind(non_empty(&event.division))
        .execute(conn)
        .await
        .map(|_| ())
    })?;
    verifications::move_open(tx, &event.file_id, &event.division).await
}

/// `IdentityFileClosed`: the stay ended with the person unidentified; the file's requests still
/// open are withdrawn.
pub async fn closed(tx: &mut Tx, event: &pb::IdentityFileClosed) -> Result<(), ApiError> {
    let closed_at = at("closed_at", event.closed_at.as_ref())?;
    with_tx!(tx, |conn| {
        sqlx::query(
            "INSERT INTO r_identity_files (file_id, case_id, division, closed_at) \
             VALUES ($1, $2, $3, $4) \
             ON CONFLICT (file_id) DO UPDATE SET \
               case_id = COALESCE(r_identity_files.case_id, excluded.case_id), \
               division = COALESCE(r_identity_files.division, excluded.division), \
               closed_at = COALESCE(r_identity_files.closed_at, excluded.closed_at)",
        )
        .bind(&event.file_id)
        .bind(non_empty(&event.case_id))
        .bind(non_empty(&event.division))
        .bind(micros(closed_at))
        .execute(conn)
        .await
        .map(|_| ())
    })?;
    lapse_obligations(tx, &event.file_id, &event.division, closed_at).await?;
    verifications::withdraw_open(tx, &event.file_id, closed_at).await
}

/// A confirmed or closed file owes no notice, refresh or request any more (identity cancels
/// their deadlines in the same transaction): its open late items lapse, and an obligation already
/// past due without a figure counts LATE.
async fn lapse_obligations(
    tx: &mut Tx,
    file_id: &str,
    division: &str,
    at: DateTime<Utc>,
) -> Result<(), ApiError> {
    use super::obligations::{NOTICE, NOTICE_REFRESH, REQUEST_FILING, lapsed};
    crate::ingest::late::lapse(tx, &[NOTICE, NOTICE_REFRESH, REQUEST_FILING], file_id, at).await?;
    lapsed(tx, file_id, division, at).await
}

/// `IdentityConfirmed`: the file is confirmed (the first confirmation stands), its requests
/// still open are withdrawn, the identification counts once, by method, on the day and in
/// the division of the first confirmation, and the origin it gives becomes the case's.
pub async fn confirmed(tx: &mut Tx, event: &pb::IdentityConfirmed) -> Result<(), ApiError> {
    let confirmed_at = at("confirmed_at", event.confirmed_at.as_ref())?;
    with_tx!(tx, |conn| {
        sqlx::query(
            "INSERT INTO r_identity_files (file_id, case_id, division, confirmed_at, \
             confirm_method) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (file_id) DO UPDATE SET \
               case_id = COALESCE(r_identity_files.case_id, excluded.case_id), \
               division = COALESCE(r_identity_files.division, excluded.division), \
               confirmed_at = COALESCE(r_identity_files.confirmed_at, excluded.confirmed_at), \
               confirm_method = COALESCE(r_identity_files.confirm_method, \
                 excluded.confirm_method)",
        )
        .bind(&event.file_id)
        .bind(non_empty(&event.case_id))
        .bind(non_empty(&event.division))
        .bind(micros(confirmed_at))
        .bind(event.method)
        .execute(conn)
        .await
        .map(|_| ())
    })?;
    lapse_obligations(tx, &event.file_id, &event.division, confirmed_at).await?;
    verifications::withdraw_open(tx, &event.file_id, confirmed_at).await?;
    let method = enum_name(event.method, |method: pb::ConfirmationMethod| {
        method.as_str_name()
    });
    put_once(
        tx,
        "identification",
        &event.file_id,
        Contribution::one(day(confirmed_at), &event.division, &method),
    )
    .await?;
    // The origin the identity gives moves the case's repeat fact to that county.
    crate::ingest::intake::repeat::origin_learned(tx, &event.case_id, &event.origin_division).await
}

/// `PersonStranded`: the file enters the stranded register with the steps missing then.
pub async fn stranded(tx: &mut Tx, event: &pb::PersonStranded) -> Result<(), ApiError> {
    let since = at("stranded_since", event.stranded_since.as_ref())?;
    let missing = event
        .missing
        .iter()
        .fold(0, |bits, step| bits | step_bit(*step));
    with_tx!(tx, |conn| {
        sqlx::query(
            "INSERT INTO r_identity_files (file_id, case_id, division, stranded_since, \
             missing_steps) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (file_id) DO UPDATE SET \
               case_id = COALESCE(r_identity_files.case_id, excluded.case_id), \
               division = COALESCE(r_identity_files.division, excluded.division), \
               stranded_since = COALESCE(r_identity_files.stranded_since, \
                 excluded.stranded_since), \
               missing_steps = COALESCE(r_identity_files.missing_steps, excluded.missing_steps)",
        )
        .bind(&event.file_id)
        .bind(non_empty(&event.case_id))
        .bind(non_empty(&event.division))
        .bind(micros(since))
        .bind(missing)
        .execute(conn)
        .await
        .map(|_| ())
    })?;
    // The steps identity completes in the same transaction follow as their own events.
    Ok(())
}

/// `StrandedStepCompleted`: the step is no longer missing.
pub async fn step_completed(
    tx: &mut Tx,
    event: &pb::StrandedStepCompleted,
) -> Result<(), ApiError> {
    let keep = !step_bit(event.step);
    with_tx!(tx, |conn| {
        sqlx::query(
            "UPDATE r_identity_files SET missing_steps = missing_steps & $2 WHERE file_id = $1",
        )
        .bind(&event.file_id)
        .bind(keep)
        .execute(conn)
        .await
        .map(|_| ())
    })?;
    Ok(())
}

/// `SettlementFiled`: one application filed, on its day, in the division it was filed in.
pub async fn settlement_filed(tx: &mut Tx, event: &pb::SettlementFiled) -> Result<(), ApiError> {
    let filed_at = at("filed_at", event.filed_at.as_ref())?;
    put_once(
        tx,
        "settlement.filed",
        &event.application_id,
        Contribution::one(day(filed_at), &event.division, ""),
    )
    .await
}

/// `SettlementDecided`: one decision (APPROVED or REJECTED) on its day; an approval is recorded
/// on the file. Sent again for an approved application when a transfer continues the file:
/// the first stands.
pub async fn settlement_decided(
    tx: &mut Tx,
    event: &pb::SettlementDecided,
) -> Result<(), ApiError> {
    let decided_at = at("decided_at", event.decided_at.as_ref())?;
    if event.approved {
        with_tx!(tx, |conn| {
            sqlx::query(
                "INSERT INTO r_identity_files (file_id, case_id, division, \
                 settlement_approved_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (file_id) DO UPDATE SET \
                   case_id = COALESCE(r_identity_files.case_id, excluded.case_id), \
                   division = COALESCE(r_identity_files.division, excluded.division), \
                   settlement_approved_at = COALESCE(r_identity_files.settlement_approved_at, \
                     excluded.settlement_approved_at)",
            )
            .bind(&event.file_id)
            .bind(non_empty(&event.case_id))
            .bind(non_empty(&event.division))
            .bind(micros(decided_at))
            .execute(conn)
            .await
            .map(|_| ())
        })?;
    }
    let outcome = if event.approved {
        "APPROVED"
    } else {
        "REJECTED"
    };
    put_once(
        tx,
        "settlement.decided",
        &event.application_id,
        Contribution::one(day(decided_at), &event.division, outcome),
    )
    .await
}

/// Records `contribution` of `subject` to `metric` unless the subject already contributes: a
/// one-time figure keeps where and when it was first counted.
async fn put_once(
    tx: &mut Tx,
    metric: &str,
    subject: &str,
    contribution: Contribution,
) -> Result<(), ApiError> {
    if facts::get(tx, metric, subject).await?.is_some() {
        return Ok(());
    }
    facts::put(tx, metric, subject, Some(contribution)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_step_has_its_own_bit() {
        let all = [1, 2, 3]
            .iter()
            .fold(0, |bits, step| bits | step_bit(*step));
        assert_eq!(all, 0b1110);
        assert_eq!(all & !step_bit(2), 0b1010);
        assert_eq!(step_bit(0), 0);
        assert_eq!(step_bit(31), 0);
    }
}
