//! The deadlines of a verification request, all with the subject `verification/<id>` (so
//! answering or withdrawing cancels them at once): the deemed receipt (3 working days after
//! filing), the reminders before the answer's due time (7 and 1 days by default) and the
//! overdue answer. Each row is fired once, in the sweeper's transaction with what its handler
//! writes, so a restart neither repeats nor loses one.
//!
//! An answer after the due time is overdue too: if the sweeper has not fired the overdue
//! deadline yet, the answer fires it itself ([`overdue_on_answer`]) and cancels it, so exactly
//! one VerificationOverdue exists whoever runs first.

use chrono::{DateTime, Duration, SubsecRound, Utc};
use relief_proto::identity::v1 as pb;
use relief_runtime::db::{Conn, Tx};
use relief_runtime::deadlines::{self, Deadline, DeadlineHandler};
use relief_runtime::events::append;
use relief_runtime::time::timestamp;
use relief_runtime::units::Unit;
use relief_runtime::{ApiError, Caller, ServiceContext};

use super::division_now;
use super::store::{self, RequestRow, status};
use crate::units;

/// Deemed received if not acknowledged by then.
pub const DEEMED_RECEIPT: &str = "verification.deemed_receipt";
/// A reminder before the answer's due time.
pub const REMINDER: &str = "verification.reminder";
/// The answer's due time.
pub const OVERDUE: &str = "verification.overdue";

/// The notification of a request not acknowledged in time (an escalation).
pub const NOT_ACKNOWLEDGED_NOTIFICATION: &str = "VERIFICATION_NOT_ACKNOWLEDGED";
/// The notification of an answer falling due.
pub const ANSWER_DUE_NOTIFICATION: &str = "VERIFICATION_ANSWER_DUE";
/// The notification of an answer past its due time.
pub const OVERDUE_NOTIFICATION: &str = "VERIFICATION_OVERDUE";

/// The id of the deemed-receipt deadline of request `id`.
pub fn deemed_receipt_id(id: &str) -> String {
    format!("{DEEMED_RECEIPT}:{id}")
}

/// The id of the reminder `days` days before the answer of request `id` is due.
pub fn reminder_id(id: &str, days: u32) -> String {
    format!("{REMINDER}:{id}:{days}")
}

/// The id of the overdue deadline of request `id`.
pub fn overdue_id(id: &str) -> String {
    format!("{OVERDUE}:{id}")
}

/// Schedules the deemed receipt of a new request at its `acknowledge_by`.
pub async fn schedule_deemed_receipt(
    tx: &mut Tx,
    now: DateTime<Utc>,
    row: &RequestRow,
) -> Result<(), ApiError> {
    deadlines::schedule(
        tx,
        now,
        &deemed_receipt_id(&row.id),
        DEEMED_RECEIPT,
        &row.subject(),
        row.acknowledge_by,
        row.id.clone().into_bytes(),
    )
    .await?;
    Ok(())
}

/// The instants of the reminders of an answer due at `due`, as (days before, instant): those
/// still ahead of `now` only, each number of days once.
pub fn reminder_instants(
    due: DateTime<Utc>,
    days_before: &[u32],
    now: DateTime<Utc>,
) -> Vec<(u32, DateTime<Utc>)> {
    let mut days: Vec<u32> = days_before.to_vec();
    days.sort_unstable();
    days.dedup();
    days.into_iter()
        .filter_map(|n| {
            let at = due.checked_sub_signed(Duration::days(i64::from(n)))?;
            (at > now).then_some((n, at))
        })
        .collect()
}

/// Schedules the reminders and the overdue deadline of a request just received (`due_at` set).
pub async fn schedule_answer(
    context: &ServiceContext,
    tx: &mut Tx,
    now: DateTime<Utc>,
    row: &RequestRow,
) -> Result<(), ApiError> {
    let Some(due) = row.due_at else {
        return Err(ApiError::internal(
            "answer deadlines of a request not received",
        ));
    };
    let subject = row.subject();
    for (days, at) in reminder_instants(due, &context.config.rules.verification_reminder_days, now)
    {
        deadlines::schedule(
            tx,
            now,
            &reminder_id(&row.id, days),
            REMINDER,
            &subject,
            at,
            format!("{}:{days}", row.id).into_bytes(),
        )
        .await?;
    }
    deadlines::schedule(
        tx,
        now,
        &overdue_id(&row.id),
        OVERDUE,
        &subject,
        due,
        row.id.clone().into_bytes(),
    )
    .await?;
    Ok(())
}

/// The unit a request is addressed to now, as a recipient (none if it left units.toml).
pub fn addressed_unit(context: &ServiceContext, row: &RequestRow) -> Vec<Caller> {
    units::police_unit(context, &row.police_unit)
        .map(Unit::caller)
        .into_iter()
        .collect()
}

/// The addressed unit, the city police bureau and the city civil affairs (牵头), each once: who
/// hears of a request not acknowledged or not answered in time.
pub fn escalation_recipients(context: &ServiceContext, row: &RequestRow) -> Vec<Caller> {
    let mut recipients = addressed_unit(context, row);
    for unit in units::with_role(context, "city-police-bureau")
        .into_iter()
        .chain(units::with_role(context, "city-civil-affairs"))
    {
        if !recipients
            .iter()
            .any(|known| known.kind == unit.kind && known.unit == unit.unit)
        {
            recipients.push(unit);
        }
    }
    recipients
}

/// The request a deadline's payload names (its id, then for a reminder `:<days>`), locked.
async fn request_of(tx: &mut Tx, id: &str) -> Result<RequestRow, ApiError> {
    store::lock(tx, id).await?;
    store::fetch(Conn::Tx(tx), id).await?.ok_or_else(|| {
        ApiError::internal(format!("verification deadline for a missing request {id}"))
    })
}

/// Fires a reminder: a request still received and unanswered reminds its current addressee.
#[derive(Debug, Clone, Copy, Default)]
pub struct Remind;

#[tonic::async_trait]
impl DeadlineHandler for Remind {
    async fn fire(
        &self,
        context: &ServiceContext,
        tx: &mut Tx,
        deadline: &Deadline,
        now: DateTime<Utc>,
    ) -> Result<(), ApiError> {
        let payload = String::from_utf8_lossy(&deadline.payload).into_owned();
        let (id, days) = payload
            .rsplit_once(':')
            .and_then(|(id, days)| Some((id.to_owned(), days.parse::<u32>().ok()?)))
            .ok_or_else(|| ApiError::internal("a reminder deadline without its days"))?;
        // Stored to the microsecond (PostgreSQL): events say what the rows say.
        let now = now.trunc_subsecs(6);
        let row = request_of(tx, &id).await?;
        let Some(due) = row.due_at.filter(|_| row.status == status::RECEIVED) else {
            return Ok(());
        };
        let division = division_now(tx, &row).await?;
        append(
            tx,
            now,
            &pb::VerificationReminderDue {
                verification_id: row.id.clone(),
                division: division.clone(),
                police_unit: row.police_unit.clone(),
                due_at: Some(timestamp(due)),
                days_before: i32::try_from(days).unwrap_or(i32::MAX),
            },
        )
        .await?;
        relief_runtime::notifications::tracked(
            context,
            tx,
            now,
            relief_runtime::notifications::Tracked {
                kind: ANSWER_DUE_NOTIFICATION.to_owned(),
                subject: row.subject(),
                division,
                summary: format!(
                    "the answer to verification request {} is due in {days} day(s)",
                    row.id
                ),
                recipients: addressed_unit(context, &row),
            },
        )
        .await?;
        Ok(())
    }
}

/// Whether `row` is past its answer's due time for good: received and still unanswered (the
/// due time has come), or answered after it. A withdrawn request is not (nothing is owed).
pub fn answered_late_or_not_at_all(row: &RequestRow) -> bool {
    match (row.status, row.due_at) {
        (status::RECEIVED, Some(_)) => true,
        (status::ANSWERED, Some(due)) => row.answered_at.is_some_and(|at| at >= due),
        _ => false,
    }
}

/// The effects of an overdue answer: VerificationOverdue at the row's due time (the legal
/// instant, however late this runs), and the addressed unit, the city police bureau and the
/// city civil affairs (牵头) are notified. Run once per request: by [`MarkOverdue`], or by a late
/// answer that found the overdue deadline still pending ([`overdue_on_answer`]).
async fn overdue(
    context: &ServiceContext,
    tx: &mut Tx,
    row: &RequestRow,
    due: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let division = division_now(tx, row).await?;
    append(
        tx,
        now,
        &pb::VerificationOverdue {
            verification_id: row.id.clone(),
            division: division.clone(),
            police_unit: row.police_unit.clone(),
            due_at: Some(timestamp(due)),
        },
    )
    .await?;
    relief_runtime::notifications::tracked(
        context,
        tx,
        now,
        relief_runtime::notifications::Tracked {
            kind: OVERDUE_NOTIFICATION.to_owned(),
            subject: row.subject(),
            division,
            summary: format!(
                "verification request {} (addressed to {}) was not answered by its due time",
                row.id, row.police_unit
            ),
            recipients: escalation_recipients(context, row),
        },
    )
    .await?;
    Ok(())
}

/// For `row` just answered (locked, its deadline rows locked before it): an answer after the
/// due time whose overdue deadline the sweeper has not fired yet (pending: the sweeper is
/// behind, down or backing off) fires the overdue itself and cancels the deadline, so it is
/// not fired again; if the sweeper fired it first, nothing more happens. Either way the request
/// has exactly one VerificationOverdue.
pub async fn overdue_on_answer(
    context: &ServiceContext,
    tx: &mut Tx,
    row: &RequestRow,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let Some(due) = row.due_at.filter(|_| answered_late_or_not_at_all(row)) else {
        return Ok(());
    };
    if deadlines::cancel(tx, now, &overdue_id(&row.id)).await? {
        overdue(context, tx, row, due, now).await?;
    }
    Ok(())
}

/// Fires the answer's due time: a request still received and unanswered, or answered after
/// its due time, is overdue ([`overdue`]). One answered on time, or withdrawn, is not.
#[derive(Debug, Clone, Copy, Default)]
pub struct MarkOverdue;

#[tonic::async_trait]
impl DeadlineHandler for MarkOverdue {
    async fn fire(
        &self,
        context: &ServiceContext,
        tx: &mut Tx,
        deadline: &Deadline,
        now: DateTime<Utc>,
    ) -> Result<(), ApiError> {
        // Stored to the microsecond (PostgreSQL): events say what the rows say.
        let now = now.trunc_subsecs(6);
        let id = String::from_utf8_lossy(&deadline.payload).into_owned();
        let row = request_of(tx, &id).await?;
        if !answered_late_or_not_at_all(&row) {
            return Ok(());
        }
        // The legal instant is the row's due time, however late the sweeper ran.
        let due = row.due_at.unwrap_or(deadline.due_at);
        overdue(context, tx, &row, due, now).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap()
    }

    #[test]
    fn reminders_fall_whole_days_before_the_due_time_and_only_ahead() {
        let due = at(2026, 2, 28, 16);
        assert_eq!(
            reminder_instants(due, &[7, 1], at(2026, 1, 31, 2)),
            [(1, at(2026, 2, 27, 16)), (7, at(2026, 2, 21, 16))]
        );
        // Received late (a deemed receipt fired long after): past reminders are not scheduled.
        assert_eq!(
            reminder_instants(due, &[7, 1, 1], at(2026, 2, 25, 0)),
            [(1, at(2026, 2, 27, 16))]
        );
        assert!(reminder_instants(due, &[7, 1], due).is_empty());
    }

    #[test]
    fn overdue_means_unanswered_at_the_due_time_or_answered_after_it() {
        let due = at(2026, 2, 28, 16);
        let row = |status: i32, answered_at: Option<DateTime<Utc>>| RequestRow {
            id: "v".to_owned(),
            file_id: "f".to_owned(),
            case_id: "c".to_owned(),
            station: "s".to_owned(),
            division: "211103".to_owned(),
            methods: "1".to_owned(),
            police_unit: "p".to_owned(),
            note: String::new(),
            filed_at: at(2026, 1, 20, 2),
            filed_on_time: true,
            acknowledge_by: at(2026, 1, 23, 16),
            received_at: Some(at(2026, 1, 21, 2)),
            receipt: 1,
            acknowledged_at: Some(at(2026, 1, 21, 2)),
            due_at: Some(due),
            status,
            answered_at,
            answered_on_time: answered_at.map(|answered| answered < due),
            warnings: String::new(),
        };
        assert!(answered_late_or_not_at_all(&row(status::RECEIVED, None)));
        assert!(answered_late_or_not_at_all(&row(
            status::ANSWERED,
            Some(due + Duration::microseconds(1))
        )));
        // The due instant is 24:00 of the last day: an answer at that instant is late (an act
        // is on time only before it), as the sweeper firing at that instant says.
        assert!(answered_late_or_not_at_all(&row(
            status::ANSWERED,
            Some(due)
        )));
        assert!(!answered_late_or_not_at_all(&row(
            status::ANSWERED,
            Some(due - Duration::microseconds(1))
        )));
        assert!(!answered_late_or_not_at_all(&row(status::WITHDRAWN, None)));
        let mut awaiting = row(status::AWAITING_RECEIPT, None);
        awaiting.due_at = None;
        assert!(!answered_late_or_not_at_all(&awaiting));
    }

    #[test]
    fn deadline_ids_are_stable_per_request() {
        assert_eq!(deemed_receipt_id("v1"), "verification.deemed_receipt:v1");
        assert_eq!(reminder_id("v1", 7), "verification.reminder:v1:7");
        assert_eq!(overdue_id("v1"), "verification.overdue:v1");
    }
}
