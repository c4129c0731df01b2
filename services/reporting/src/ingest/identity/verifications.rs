//! Police verification requests (`r_verifications`) and the police's timeliness:
//!
//! - the row: filed, received (acknowledged or deemed) with its answer due time, forwarded (the
//!   addressed unit now), answered (the result that answered the request as a whole), seen
//!   overdue, withdrawn; `division` is where the file is now (the division each event carries,
//!   and a transfer moves the open requests);
//! - `police_answer`, one per request on the day its answer is due: ON_TIME when answered by
//!   then, LATE when answered late or when `VerificationOverdue` was seen (an answer after that
//!   does not turn it back); a request withdrawn before its due time owes nothing and counts
//!   nowhere;
//! - `police_answer_days`: the local days from the receipt day to the answer day, on the answer
//!   day, zero-padded so the histogram gives an exact median;
//! - late items `verification.deemed_receipt:<id>` (raised by `VerificationDeemedReceived`, done
//!   by an acknowledgement) and `verification.overdue:<id>` (raised by `VerificationOverdue`,
//!   done by the answer; an answer flagged late raises it done, so the item exists whether the
//!   answer or the overdue event comes first on the feed).
//!
//! **Withdrawal has no event**: identity withdraws the unanswered requests of a file when it
//! confirms or closes the file, in the transaction that sends `IdentityConfirmed` /
//! `IdentityFileClosed`; [`withdraw_open`] infers it from those.

use chrono::{DateTime, Duration, Utc};
use relief_proto::identity::v1 as pb;
use relief_runtime::db::Tx;
use relief_runtime::events::consumer::ReceivedEvent;
use relief_runtime::{ApiError, with_tx};

use super::{LATE, due_day, obligations, timeliness};
use crate::facts::{self, Contribution};
use crate::ingest::intake::{at, non_empty};
use crate::ingest::late::{self, LateItem};
use crate::time::{day, instant, local_date, micros};

/// Identity's deadline kind of a request deemed received (not acknowledged in 3 working days).
pub const DEEMED_RECEIPT: &str = "verification.deemed_receipt";

/// Identity's deadline kind of a request not answered by its due time.
pub const OVERDUE: &str = "verification.overdue";

/// `VerificationRequested`: the request row (first delivery wins); then the file's obligation
/// to file one ([`obligations::request_filed`]).
pub async fn requested(
    tx: &mut Tx,
    event: &ReceivedEvent,
    request: &pb::VerificationRequested,
) -> Result<(), ApiError> {
    let filed_at = at("filed_at", request.filed_at.as_ref())?;
    with_tx!(tx, |conn| {
        sqlx::query(
            "INSERT INTO r_verifications (verification_id, file_id, division, police_unit, \
             filed_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (verification_id) DO NOTHING",
        )
        .bind(&request.verification_id)
        .bind(&request.file_id)
        .bind(&request.division)
        .bind(&request.police_unit)
        .bind(micros(filed_at))
        .execute(conn)
        .await
        .map(|_| ())
    })?;
    obligations::request_filed(tx, event, request, filed_at).await
}

/// Records the receipt of request `id` (the first receipt and due time stand: forwarding keeps
/// them) in `division`, where the file is now.
async fn receive(
    tx: &mut Tx,
    id: &str,
    division: &str,
    received_at: DateTime<Utc>,
    due_at: DateTime<Utc>,
) -> Result<(), ApiError> {
    with_tx!(tx, |conn| {
        sqlx::query(
            "UPDATE r_verifications SET received_at = COALESCE(received_at, $2), \
             due_at = COALESCE(due_at, $3), division = $4 WHERE verification_id = $1",
        )
        .bind(id)
        .bind(micros(received_at))
        .bind(micros(due_at))
        .bind(division)
        .execute(conn)
        .await
        .map(|_| ())
    })?;
    Ok(())
}

/// `VerificationAcknowledged`: received, the answer period runs; a deemed-receipt item of the
/// request (none in practice: identity records a later acknowledgement without an event) is
/// done.
pub async fn acknowledged(
    tx: &mut Tx,
    event: &ReceivedEvent,
    acknowledged: &pb::VerificationAcknowledged,
) -> Result<(), ApiError> {
    let received_at = at("received_at", acknowledged.received_at.as_ref())?;
    let due_at = at("due_at", acknowledged.due_at.as_ref())?;
    let id = &acknowledged.verification_id;
    receive(tx, id, &acknowledged.division, received_at, due_at).await?;
    late::done(tx, &late::key(DEEMED_RECEIPT, id), event.occurred_at).await
}

/// `VerificationDeemedReceived`: received at the end of the acknowledgement window, and a late
/// item of the addressed unit, due then.
pub async fn deemed_received(
    tx: &mut Tx,
    event: &ReceivedEvent,
    deemed: &pb::VerificationDeemedReceived,
) -> Result<(), ApiError> {
    let received_at = at("received_at", deemed.received_at.as_ref())?;
    let due_at = at("due_at", deemed.due_at.as_ref())?;
    let id = &deemed.verification_id;
    receive(tx, id, &deemed.division, received_at, due_at).await?;
    late::raise(
        tx,
        &LateItem {
            kind: DEEMED_RECEIPT,
            subject_id: id,
            division: &deemed.division,
            responsible_unit: non_empty(&deemed.police_unit),
            due_at: received_at,
            late_at: event.occurred_at,
            done_at: None,
        },
    )
    .await
}

/// `VerificationForwarded`: the request is addressed to `to_unit` now (receipt and due time
/// stay).
pub async fn forwarded(tx: &mut Tx, forwarded: &pb::VerificationForwarded) -> Result<(), ApiError> {
    with_tx!(tx, |conn| {
        sqlx::query(
            "UPDATE r_verifications SET police_unit = $2, division = $3 \
             WHERE verification_id = $1",
        )
        .bind(&forwarded.verification_id)
        .bind(&forwarded.to_unit)
        .bind(&forwarded.division)
        .execute(conn)
        .await
        .map(|_| ())
    })?;
    Ok(())
}

/// `VerificationOverdue`: the answer's due time passed unanswered: the request counts LATE for
/// good, and a late item of the addressed unit is raised.
pub async fn overdue(
    tx: &mut Tx,
    event: &ReceivedEvent,
    overdue: &pb::VerificationOverdue,
) -> Result<(), ApiError> {
    let due_at = at("due_at", overdue.due_at.as_ref())?;
    let id = &overdue.verification_id;
    with_tx!(tx, |conn| {
        sqlx::query(
            "UPDATE r_verifications SET overdue_at = COALESCE(overdue_at, $2), \
             due_at = COALESCE(due_at, $2), division = $3 WHERE verification_id = $1",
        )
        .bind(id)
        .bind(micros(due_at))
        .bind(&overdue.division)
        .execute(conn)
        .await
        .map(|_| ())
    })?;
    police_answer(tx, id).await?;
    late::raise(
        tx,
        &LateItem {
            kind: OVERDUE,
            subject_id: id,
            division: &overdue.division,
            responsible_unit: non_empty(&overdue.police_unit),
            due_at,
            late_at: event.occurred_at,
            done_at: None,
        },
    )
    .await
}

/// `VerificationAnswered`: a result for one method. Only the result that answered the request
/// as a whole changes anything: the request is answered (on time or not), counted, its answer
/// days recorded, and its overdue item done.
pub async fn answered(
    tx: &mut Tx,
    event: &ReceivedEvent,
    answered: &pb::VerificationAnswered,
) -> Result<(), ApiError> {
    if !answered.request_answered {
        return Ok(());
    }
    let answered_at = at("answered_at", answered.answered_at.as_ref())?;
    // An answer ends the wait for an acknowledgement too (identity records a late one silently).
    late::lapse(
        tx,
        &[DEEMED_RECEIPT],
        &answered.verification_id,
        answered_at,
    )
    .await?;
    let received_at = answered
        .received_at
        .as_ref()
        .map(|value| at("received_at", Some(value)).map(micros))
        .transpose()?;
    let id = &answered.verification_id;
    with_tx!(tx, |conn| {
        sqlx::query(
            "UPDATE r_verifications SET answered_at = COALESCE(answered_at, $2), \
             answered_on_time = COALESCE(answered_on_time, $3), \
             received_at = COALESCE(received_at, $4), division = $5 \
             WHERE verification_id = $1",
        )
        .bind(id)
        .bind(micros(answered_at))
        .bind(i32::from(answered.on_time))
        .bind(received_at)
        .bind(&answered.division)
        .execute(conn)
        .await
        .map(|_| ())
    })?;
    let row = police_answer(tx, id).await?;
    if let Some(row) = &row
        && let (Some(received_at), Some(answered_at)) = (row.received_at, row.answered_at)
    {
        let answered_at = instant(answered_at);
        facts::put(
            tx,
            "police_answer_days",
            id,
            Some(Contribution::one(
                day(answered_at),
                &row.division,
                &answer_days(instant(received_at), answered_at),
            )),
        )
        .await?;
    }
    let key = late::key(OVERDUE, id);
    if !answered.on_time
        && let Some(due_at) = row.as_ref().and_then(|row| row.due_at)
    {
        // Answered after the due time, possibly before identity's sweeper saw it overdue.
        late::raise(
            tx,
            &LateItem {
                kind: OVERDUE,
                subject_id: id,
                division: &answered.division,
                responsible_unit: non_empty(&answered.police_unit),
                due_at: instant(due_at),
                late_at: event.occurred_at,
                done_at: Some(event.occurred_at),
            },
        )
        .await?;
    }
    late::done(tx, &key, event.occurred_at).await
}

/// The local days from a receipt at `received_at` to an answer at `answered_at`, zero-padded
/// to 4 digits. A deemed receipt is at 24:00 of the last day of the acknowledgement window, and
/// that day is its receipt day (as identity counts the answer period); so the receipt day is
/// the day just before the instant (the same day for any receipt not exactly at midnight).
fn answer_days(received_at: DateTime<Utc>, answered_at: DateTime<Utc>) -> String {
    let received = local_date(received_at - Duration::microseconds(1));
    let days = (local_date(answered_at) - received).num_days().max(0);
    format!("{days:04}")
}

/// What the police figures of a request are computed from.
#[derive(Debug, Clone, sqlx::FromRow)]
struct Answer {
    division: String,
    received_at: Option<i64>,
    due_at: Option<i64>,
    answered_at: Option<i64>,
    answered_on_time: Option<i32>,
    overdue_at: Option<i64>,
    withdrawn_at: Option<i64>,
}

/// Sets the `police_answer` fact of request `id` from its row: on its due day, LATE once seen
/// overdue or answered late, ON_TIME when answered in time, nothing while neither (or when the
/// request was withdrawn before its due time); LATE when it was withdrawn unanswered after its due
/// time (identity had not yet marked it overdue). Returns the row.
async fn police_answer(tx: &mut Tx, id: &str) -> Result<Option<Answer>, ApiError> {
    let row: Option<Answer> = with_tx!(tx, |conn| {
        sqlx::query_as(
            "SELECT division, received_at, due_at, answered_at, answered_on_time, overdue_at, \
             withdrawn_at FROM r_verifications WHERE verification_id = $1",
        )
        .bind(id)
        .fetch_optional(conn)
        .await
    })?;
    let Some(answer) = &row else {
        return Ok(None);
    };
    let Some(due_at) = answer.due_at else {
        return Ok(row);
    };
    let dim = if answer.overdue_at.is_some() {
        Some(LATE)
    } else if answer.answered_at.is_some() {
        Some(timeliness(answer.answered_on_time == Some(1)))
    } else if answer
        .withdrawn_at
        .is_some_and(|withdrawn| withdrawn > due_at)
    {
        Some(LATE)
    } else {
        None
    };
    let contribution =
        dim.map(|dim| Contribution::one(due_day(instant(due_at)), &answer.division, dim));
    facts::put(tx, "police_answer", id, contribution).await?;
    Ok(row)
}

/// Withdraws the requests of file `file_id` still open (not answered, not withdrawn) at `at`:
/// the file was confirmed or closed.
pub async fn withdraw_open(tx: &mut Tx, file_id: &str, at: DateTime<Utc>) -> Result<(), ApiError> {
    let open: Vec<String> = with_tx!(tx, |conn| {
        sqlx::query_scalar(
            "SELECT verification_id FROM r_verifications \
             WHERE file_id = $1 AND answered_at IS NULL AND withdrawn_at IS NULL",
        )
        .bind(file_id)
        .fetch_all(conn)
        .await
    })?;
    for verification_id in &open {
        late::lapse(tx, &[OVERDUE, DEEMED_RECEIPT], verification_id, at).await?;
    }
    with_tx!(tx, |conn| {
        sqlx::query(
            "UPDATE r_verifications SET withdrawn_at = $2 \
             WHERE file_id = $1 AND answered_at IS NULL AND withdrawn_at IS NULL",
        )
        .bind(file_id)
        .bind(micros(at))
        .execute(conn)
        .await
        .map(|_| ())
    })?;
    for verification_id in &open {
        police_answer(tx, verification_id).await?;
    }
    Ok(())
}

/// Moves the open requests of file `file_id` to `division`: a transfer continued the file, and
/// the receiving station follows them up now.
pub async fn move_open(tx: &mut Tx, file_id: &str, division: &str) -> Result<(), ApiError> {
    with_tx!(tx, |conn| {
        sqlx::query(
            "UPDATE r_verifications SET division = $2 \
             WHERE file_id = $1 AND answered_at IS NULL AND withdrawn_at IS NULL",
        )
        .bind(file_id)
        .bind(division)
        .execute(conn)
        .await
        .map(|_| ())
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .expect("rfc3339")
            .with_timezone(&Utc)
    }

    #[test]
    fn answer_days_count_local_days_from_the_receipt_day() {
        // Acknowledged 2026-03-02 10:00 local, answered 2026-03-14 09:00 local: 12 days.
        assert_eq!(
            answer_days(utc("2026-03-02T02:00:00Z"), utc("2026-03-14T01:00:00Z")),
            "0012"
        );
        // Deemed at 24:00 of 2026-03-05 (2026-03-05T16:00Z): the receipt day is the 5th.
        assert_eq!(
            answer_days(utc("2026-03-05T16:00:00Z"), utc("2026-03-06T03:00:00Z")),
            "0001"
        );
        // Answered the day of receipt.
        assert_eq!(
            answer_days(utc("2026-03-02T02:00:00Z"), utc("2026-03-02T09:00:00Z")),
            "0000"
        );
    }
}
