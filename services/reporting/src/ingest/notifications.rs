//! The notification events every feed carries (`relief.notifications.v1`), into `r_notifications`:
//! one row per notification, owned by the service whose feed carried it (`source_service`, where
//! it is acknowledged). Issued once (a duplicate changes nothing), acknowledged once (the first
//! acknowledgement stands, as in the runtime), escalated once.
//!
//! An escalation is also the runtime's acknowledgement deadline (`notification.ack`) seen late:
//! `NotificationEscalated` raises its late item (due at `acknowledge_by`, responsible: the
//! recipient) and a late `NotificationAcknowledged` closes it, as `deploy/accountability.toml`
//! maps them. "Overdue" for a notification that cannot escalate has no event: reads derive it from
//! `acknowledge_by` at query time.
//!
//! A notification's events travel on its owner's feed, in order: its `NotificationIssued` always
//! comes first. An acknowledgement or escalation of a notification not seen (which only a
//! damaged feed could cause) updates no row and raises no item.

use relief_proto::notifications::v1 as pb;
use relief_runtime::db::Tx;
use relief_runtime::events::consumer::ReceivedEvent;
use relief_runtime::{ApiError, with_tx};

use super::intake::{at, non_empty};
use super::late::{self, LateItem};
use crate::time::{instant, micros};

/// The runtime's acknowledgement deadline kind (`relief_runtime::notifications::ACK_DEADLINE_KIND`).
pub const ACK_DEADLINE: &str = relief_runtime::notifications::ACK_DEADLINE_KIND;

/// Applies one notification event of any feed; other events change nothing.
pub async fn apply(tx: &mut Tx, event: &ReceivedEvent) -> Result<(), ApiError> {
    if let Some(issued) = event.decode::<pb::NotificationIssued>()? {
        return self::issued(tx, event, &issued).await;
    }
    if let Some(acknowledged) = event.decode::<pb::NotificationAcknowledged>()? {
        return self::acknowledged(tx, &acknowledged).await;
    }
    if let Some(escalated) = event.decode::<pb::NotificationEscalated>()? {
        return self::escalated(tx, event, &escalated).await;
    }
    Ok(())
}

/// `NotificationIssued`: the row, owned by the feed's service.
async fn issued(
    tx: &mut Tx,
    event: &ReceivedEvent,
    issued: &pb::NotificationIssued,
) -> Result<(), ApiError> {
    let issued_at = at("issued_at", issued.issued_at.as_ref())?;
    let acknowledge_by = at("acknowledge_by", issued.acknowledge_by.as_ref())?;
    let recipient = issued.recipient.clone().unwrap_or_default();
    with_tx!(tx, |conn| {
        sqlx::query(
            "INSERT INTO r_notifications (notification_id, source_service, kind, subject, \
             division, recipient_kind, recipient_division, recipient_unit, issued_at, \
             acknowledge_by, escalation_of) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
             ON CONFLICT (notification_id) DO NOTHING",
        )
        .bind(&issued.notification_id)
        .bind(&event.source)
        .bind(&issued.kind)
        .bind(&issued.subject)
        .bind(&issued.division)
        .bind(recipient.kind)
        .bind(&recipient.division)
        .bind(&recipient.unit)
        .bind(micros(issued_at))
        .bind(micros(acknowledge_by))
        .bind(non_empty(&issued.escalation_of))
        .execute(conn)
        .await
        .map(|_| ())
    })?;
    Ok(())
}

/// `NotificationAcknowledged`: the first acknowledgement stands; a late one closes the
/// notification's `notification.ack` item if it escalated.
async fn acknowledged(tx: &mut Tx, event: &pb::NotificationAcknowledged) -> Result<(), ApiError> {
    let acknowledged_at = at("acknowledged_at", event.acknowledged_at.as_ref())?;
    with_tx!(tx, |conn| {
        sqlx::query(
            "UPDATE r_notifications SET acknowledged_at = $2, ack_on_time = $3 \
             WHERE notification_id = $1 AND acknowledged_at IS NULL",
        )
        .bind(&event.notification_id)
        .bind(micros(acknowledged_at))
        .bind(i32::from(event.on_time))
        .execute(conn)
        .await
        .map(|_| ())
    })?;
    if event.on_time {
        return Ok(());
    }
    late::done(
        tx,
        &late::key(ACK_DEADLINE, &event.notification_id),
        acknowledged_at,
    )
    .await
}

/// `NotificationEscalated`: when it escalated, and the late item of its acknowledgement.
async fn escalated(
    tx: &mut Tx,
    event: &ReceivedEvent,
    escalated: &pb::NotificationEscalated,
) -> Result<(), ApiError> {
    let escalated_at = at("escalated_at", escalated.escalated_at.as_ref())?;
    let row: Option<(String, String, i64, Option<i64>)> = with_tx!(tx, |conn| {
        sqlx::query_as(
            "UPDATE r_notifications SET escalated_at = COALESCE(escalated_at, $2) \
             WHERE notification_id = $1 \
             RETURNING division, recipient_unit, acknowledge_by, acknowledged_at",
        )
        .bind(&escalated.notification_id)
        .bind(micros(escalated_at))
        .fetch_optional(conn)
        .await
    })?;
    let Some((division, recipient_unit, acknowledge_by, acknowledged_at)) = row else {
        return Ok(());
    };
    late::raise(
        tx,
        &LateItem {
            kind: ACK_DEADLINE,
            subject_id: &escalated.notification_id,
            division: &division,
            responsible_unit: non_empty(&recipient_unit),
            due_at: instant(acknowledge_by),
            late_at: event.occurred_at,
            // Replayed after its (late) acknowledgement: the item is done already.
            done_at: acknowledged_at.map(instant),
        },
    )
    .await
}
