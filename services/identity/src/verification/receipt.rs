//! Receipt of a request, the start of the police's 1-month answer period. One function
//! ([`receive`]) for its three paths: the addressed unit's acknowledgement
//! (`AcknowledgeVerificationRequest`), the deemed receipt 3 working days after filing (the
//! [`DeemReceived`] deadline handler, escalated), and a result submitted before any receipt.
//!
//! Whether an act of the unit is the receipt depends on the law, not on the sweeper: an act at
//! or after `acknowledge_by` comes after the deemed receipt, whether or not the sweeper has fired
//! it yet (down, restarting, backing off). [`by_act`] then deems the request received at
//! `acknowledge_by` itself ([`deem_received`], the body of [`DeemReceived`]: event and
//! escalation, the deadline row cancelled) and records the act as a late acknowledgement, the
//! same outcome as when the sweeper ran first.

use chrono::{DateTime, Duration, SubsecRound, Utc};
use relief_proto::identity::v1 as pb;
use relief_runtime::db::{Conn, Tx};
use relief_runtime::deadlines::{self, Deadline, DeadlineHandler};
use relief_runtime::events::append;
use relief_runtime::time::timestamp;
use relief_runtime::validate::Violations;
use relief_runtime::{ApiError, ServiceContext, caller, idempotency};
use tonic::Request;

use super::convert::join_warnings;
use super::deadlines::{
    DEEMED_RECEIPT, NOT_ACKNOWLEDGED_NOTIFICATION, deemed_receipt_id, escalation_recipients,
    schedule_answer,
};
use super::store::{self, RequestRow, status};
use super::{CLOSED, addressed_request, division_now, response_of};

/// `relief.identity.v1.ReceiptKind` numbers.
pub mod kind {
    /// Acknowledged by the addressed unit.
    pub const ACKNOWLEDGED: i32 = 1;
    /// Deemed received.
    pub const DEEMED: i32 = 2;
}

/// The answer's due time for a receipt at `received_at`: `months` months, an act period
/// (start day not counted, a rest-day last day moves on, 24:00 local), with the calendar's
/// warnings as text.
pub fn answer_due(
    received_at: DateTime<Utc>,
    months: u32,
    calendar: &relief_legal::HolidayCalendar,
) -> (DateTime<Utc>, Vec<String>) {
    let deadline = relief_legal::act_period_months(received_at, months, calendar);
    (
        deadline.due,
        deadline.warnings.iter().map(ToString::to_string).collect(),
    )
}

/// The instant whose local day is the receipt day (the start day of the answer period, not
/// counted). A deemed receipt happens at 24:00 of the last day of the acknowledgement window,
/// the same instant as 00:00 of the next day: the day it ends is the receipt day, so the period
/// is counted from the day after it (Civil Code art. 201), as for an acknowledgement that day.
pub fn receipt_day(receipt_kind: i32, received_at: DateTime<Utc>) -> DateTime<Utc> {
    if receipt_kind == kind::DEEMED {
        received_at - Duration::nanoseconds(1)
    } else {
        received_at
    }
}

/// Records receipt of `row` (awaiting receipt) as `receipt_kind` at `received_at`: the due time
/// (1 month, an act period; warnings kept), status RECEIVED, the deemed-receipt deadline
/// cancelled, the reminders and the overdue deadline scheduled, and the event
/// (VerificationAcknowledged or VerificationDeemedReceived). Returns the updated row.
pub async fn receive(
    context: &ServiceContext,
    tx: &mut Tx,
    row: &RequestRow,
    receipt_kind: i32,
    received_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<RequestRow, ApiError> {
    let (due, warnings) = answer_due(
        receipt_day(receipt_kind, received_at),
        context.config.rules.verification_answer_months,
        &context.holidays,
    );
    let mut received = row.clone();
    received.received_at = Some(received_at);
    received.receipt = receipt_kind;
    if receipt_kind == kind::ACKNOWLEDGED {
        received.acknowledged_at = Some(received_at);
    }
    received.due_at = Some(due);
    received.status = status::RECEIVED;
    received.warnings = join_warnings(&row.warnings, warnings);
    store::update(tx, &received).await?;
    deadlines::cancel(tx, now, &deemed_receipt_id(&row.id)).await?;
    schedule_answer(context, tx, now, &received).await?;
    let division = division_now(tx, &received).await?;
    if receipt_kind == kind::DEEMED {
        append(
            tx,
            now,
            &pb::VerificationDeemedReceived {
                verification_id: received.id.clone(),
                division: division.clone(),
                police_unit: received.police_unit.clone(),
                received_at: Some(timestamp(received_at)),
                due_at: Some(timestamp(due)),
            },
        )
        .await?;
    } else {
        append(
            tx,
            now,
            &pb::VerificationAcknowledged {
                verification_id: received.id.clone(),
                division: division.clone(),
                police_unit: received.police_unit.clone(),
                received_at: Some(timestamp(received_at)),
                due_at: Some(timestamp(due)),
            },
        )
        .await?;
    }
    Ok(received)
}

/// How an act of the addressed unit at `now` (an acknowledgement, a result) receives a request
/// still awaiting receipt whose acknowledgement window ends at `acknowledge_by`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Receipt {
    /// The window had ended: the request was deemed received at its end (`acknowledge_by`),
    /// whether or not the sweeper has fired that yet; the act is a late acknowledgement.
    Deemed {
        /// The legal instant of the receipt.
        at: DateTime<Utc>,
    },
    /// Within the window: the act is the receipt.
    Acknowledged {
        /// The act's time.
        at: DateTime<Utc>,
    },
}

/// The receipt an act at `now` gives a request awaiting receipt, acknowledgeable until
/// `acknowledge_by` (exclusive: at that instant the window has ended, as the sweeper sees it).
pub fn receipt_by_act(acknowledge_by: DateTime<Utc>, now: DateTime<Utc>) -> Receipt {
    if now >= acknowledge_by {
        Receipt::Deemed { at: acknowledge_by }
    } else {
        Receipt::Acknowledged { at: now }
    }
}

/// An act of the addressed unit at `now` on `row` (locked): a request awaiting receipt is
/// received ([`receipt_by_act`]: acknowledged now, or deemed at `acknowledge_by` with its event
/// and escalation); a received request not yet acknowledged records `now` as its
/// acknowledgement (a deemed receipt and its due time stay). Anything else is returned as is.
pub async fn by_act(
    context: &ServiceContext,
    tx: &mut Tx,
    row: RequestRow,
    now: DateTime<Utc>,
) -> Result<RequestRow, ApiError> {
    let row = match (row.status, receipt_by_act(row.acknowledge_by, now)) {
        (status::AWAITING_RECEIPT, Receipt::Acknowledged { at }) => {
            return receive(context, tx, &row, kind::ACKNOWLEDGED, at, now).await;
        }
        (status::AWAITING_RECEIPT, Receipt::Deemed { .. }) => {
            deem_received(context, tx, &row, now).await?
        }
        _ => row,
    };
    if row.status != status::RECEIVED || row.acknowledged_at.is_some() {
        return Ok(row);
    }
    let mut acknowledged = row;
    acknowledged.acknowledged_at = Some(now);
    store::update(tx, &acknowledged).await?;
    Ok(acknowledged)
}

/// `AcknowledgeVerificationRequest`: the addressed unit acknowledges. The first
/// acknowledgement of a request awaiting receipt within its window is its receipt; after the
/// window (deemed received, by the sweeper or by [`by_act`]) only the acknowledgement time is
/// recorded (receipt and due time stay); a repeat, or an answered request, changes nothing; a
/// withdrawn one is VERIFICATION_CLOSED.
pub async fn acknowledge(
    context: &ServiceContext,
    request: Request<pb::AcknowledgeVerificationRequestRequest>,
) -> Result<pb::AcknowledgeVerificationRequestResponse, ApiError> {
    let caller = caller(&request)?.clone();
    let request = request.into_inner();
    // Stored to the microsecond (PostgreSQL): events say what the rows say.
    let now = context.clock.now().trunc_subsecs(6);
    let mut check = Violations::new();
    let id = check.required_id("verification_id", &request.verification_id);
    check.finish()?;
    idempotency::run(
        context,
        &caller,
        "/relief.identity.v1.IdentityQueryService/AcknowledgeVerificationRequest",
        &request.request_id,
        &request,
        async |tx| {
            let row = addressed_request(tx, &caller, &id).await?;
            if row.status == status::WITHDRAWN {
                return Err(ApiError::failed_precondition(
                    CLOSED,
                    "the request was withdrawn: the identity was confirmed another way or the \
                     stay ended",
                ));
            }
            let row = by_act(context, tx, row, now).await?;
            Ok(pb::AcknowledgeVerificationRequestResponse {
                verification: Some(response_of(tx, &row.id, now).await?),
            })
        },
    )
    .await
}

/// Deems `row` (locked, awaiting receipt) received at its `acknowledge_by`, the legal instant
/// however late this runs: [`receive`] (which cancels the deemed-receipt deadline, so it does
/// not fire again), and the addressed unit, the city police bureau and the city civil affairs
/// are notified. The deadline handler and an act of the unit after the window both run it.
pub async fn deem_received(
    context: &ServiceContext,
    tx: &mut Tx,
    row: &RequestRow,
    now: DateTime<Utc>,
) -> Result<RequestRow, ApiError> {
    let received = receive(context, tx, row, kind::DEEMED, row.acknowledge_by, now).await?;
    let division = division_now(tx, &received).await?;
    relief_runtime::notifications::tracked(
        context,
        tx,
        now,
        relief_runtime::notifications::Tracked {
            kind: NOT_ACKNOWLEDGED_NOTIFICATION.to_owned(),
            subject: received.subject(),
            division,
            summary: format!(
                "verification request {} (addressed to {}) was not acknowledged within {} \
                 working days: deemed received",
                received.id,
                received.police_unit,
                context.config.rules.verification_acknowledge_working_days
            ),
            recipients: escalation_recipients(context, &received),
        },
    )
    .await?;
    Ok(received)
}

/// Fires the deemed receipt: a request still awaiting receipt is deemed received at its
/// `acknowledge_by` (the deadline's legal instant, not the sweeper's now), escalated
/// ([`deem_received`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct DeemReceived;

#[tonic::async_trait]
impl DeadlineHandler for DeemReceived {
    async fn fire(
        &self,
        context: &ServiceContext,
        tx: &mut Tx,
        deadline: &Deadline,
        now: DateTime<Utc>,
    ) -> Result<(), ApiError> {
        debug_assert_eq!(deadline.kind, DEEMED_RECEIPT);
        // Stored to the microsecond (PostgreSQL): events say what the rows say.
        let now = now.trunc_subsecs(6);
        let id = String::from_utf8_lossy(&deadline.payload).into_owned();
        store::lock(tx, &id).await?;
        let Some(row) = store::fetch(Conn::Tx(tx), &id).await? else {
            return Err(ApiError::internal(format!(
                "deemed-receipt deadline for a missing request {id}"
            )));
        };
        if row.status != status::AWAITING_RECEIPT {
            return Ok(());
        }
        deem_received(context, tx, &row, now).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn calendar() -> relief_legal::HolidayCalendar {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../deploy/holidays.toml"
        ))
        .unwrap_or_default();
        relief_legal::HolidayCalendar::from_toml_str(&text).unwrap_or_default()
    }

    fn local(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        relief_legal::china()
            .with_ymd_and_hms(y, m, d, h, min, 0)
            .single()
            .map(|at| at.with_timezone(&Utc))
            .unwrap_or_default()
    }

    #[test]
    fn the_answer_is_due_one_month_after_receipt_at_24_00_local() {
        let calendar = calendar();
        assert!(calendar.covers(2026), "the shipped calendar covers 2026");
        // Feb 28 is a Saturday made a working day.
        let (due, warnings) = answer_due(local(2026, 1, 31, 9, 0), 1, &calendar);
        assert_eq!(due, local(2026, 3, 1, 0, 0));
        assert!(warnings.is_empty());
        // Feb 15 is in the Spring Festival holiday (Feb 15–23).
        let (due, _) = answer_due(local(2026, 1, 15, 9, 0), 1, &calendar);
        assert_eq!(due, local(2026, 2, 25, 0, 0));
        // The receipt day decides, not its hour: 23:59 and 00:01 the next day differ by a day.
        let (late, _) = answer_due(local(2026, 3, 9, 23, 59), 1, &calendar);
        let (early, _) = answer_due(local(2026, 3, 10, 0, 1), 1, &calendar);
        assert_eq!(late, local(2026, 4, 10, 0, 0));
        assert_eq!(early, local(2026, 4, 11, 0, 0));
    }

    #[test]
    fn a_deemed_receipt_at_24_00_counts_from_the_day_it_ends() {
        let calendar = calendar();
        // Filed Tue 2026-03-10: 3 working days end Fri 2026-03-13 24:00.
        let deemed_at = relief_legal::working_days(local(2026, 3, 10, 10, 0), 3, &calendar).due;
        assert_eq!(deemed_at, local(2026, 3, 14, 0, 0));
        let (due, _) = answer_due(receipt_day(kind::DEEMED, deemed_at), 1, &calendar);
        // Mar 13 not counted: Apr 13 (a Monday) 24:00, not Apr 14.
        assert_eq!(due, local(2026, 4, 14, 0, 0));
        assert_eq!(
            receipt_day(kind::ACKNOWLEDGED, local(2026, 3, 14, 0, 0)),
            local(2026, 3, 14, 0, 0)
        );
    }

    #[test]
    fn an_act_at_or_after_the_window_comes_after_the_deemed_receipt() {
        let acknowledge_by = local(2026, 3, 14, 0, 0);
        let before = acknowledge_by - Duration::microseconds(1);
        assert_eq!(
            receipt_by_act(acknowledge_by, before),
            Receipt::Acknowledged { at: before }
        );
        // At the instant the window ends and after it, however long after: deemed at its end.
        for now in [
            acknowledge_by,
            acknowledge_by + Duration::seconds(1),
            local(2026, 5, 1, 9, 0),
        ] {
            assert_eq!(
                receipt_by_act(acknowledge_by, now),
                Receipt::Deemed { at: acknowledge_by },
                "{now}"
            );
        }
    }

    #[test]
    fn a_year_the_calendar_does_not_cover_counts_weekends_only_and_says_so() {
        let (due, warnings) = answer_due(local(2026, 12, 30, 10, 0), 1, &calendar());
        // 2027-01-30 is a Saturday: the next Monday, whatever 2027's notice will say.
        assert_eq!(due, local(2027, 2, 2, 0, 0));
        assert_eq!(
            warnings,
            ["holiday calendar does not cover 2027: weekends only were used"]
        );
    }
}
