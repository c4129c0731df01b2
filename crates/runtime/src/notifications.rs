//! Notifications to units, tracked to acknowledgement, escalated once when late.
//!
//! A rule that says "notify X" calls [`issue`] inside its transaction: one row per recipient
//! unit, an acknowledgement deadline per row, and a `NotificationIssued` event. The recipient
//! lists and acknowledges through `relief.notifications.v1.NotificationService` ([`service`]).
//! If the deadline passes unacknowledged, the [`EscalateUnacknowledged`] deadline handler marks
//! the row escalated, issues notifications to the escalation units (which do not escalate
//! again: only a notification with escalation units has its due time watched), and writes a
//! `NotificationEscalated` event. Every step is an event, so reporting can
//! show each unit its alerts and the on-time figures.

pub mod service;
mod store;

use chrono::{DateTime, Utc};
use relief_proto::notifications::v1 as pb;

use crate::caller::Caller;
use crate::db::Tx;
use crate::deadlines::{self, Deadline, DeadlineHandler};
use crate::error::ApiError;
use crate::events::outbox;
use crate::server::ServiceContext;

pub use store::NotificationRow;

/// The deadline kind of an acknowledgement due time.
pub const ACK_DEADLINE_KIND: &str = "notification.ack";

/// The kind of an escalation notification.
pub const ESCALATION_KIND: &str = "NOTIFICATION_UNACKNOWLEDGED";

/// A notification to issue.
#[derive(Debug, Clone)]
pub struct NewNotification {
    /// What happened, UPPER_SNAKE.
    pub kind: String,
    /// The object concerned, `<type>/<id>`; never personal data.
    pub subject: String,
    /// The division the subject belongs to.
    pub division: String,
    /// Short text for the operator; never personal data.
    pub summary: String,
    /// Each recipient unit gets its own notification.
    pub recipients: Vec<Caller>,
    /// Acknowledge by this instant.
    pub acknowledge_by: DateTime<Utc>,
    /// Who is notified if a recipient does not acknowledge in time (empty: nobody).
    pub escalate_to: Vec<Caller>,
    /// For an escalation: the notification that was not acknowledged.
    pub escalation_of: Option<String>,
}

/// Issues `notification` to each recipient inside `tx`; returns the new ids.
pub async fn issue(
    context: &ServiceContext,
    tx: &mut Tx,
    notification: &NewNotification,
) -> Result<Vec<String>, ApiError> {
    let now = context.clock.now();
    let mut ids = Vec::with_capacity(notification.recipients.len());
    for recipient in &notification.recipients {
        let id = uuid::Uuid::now_v7().to_string();
        store::insert(tx, &id, recipient, notification, now).await?;
        // Only a notification that has somewhere to escalate needs its due time watched;
        // reporting derives "overdue" for the others from `acknowledge_by`.
        if !notification.escalate_to.is_empty() {
            deadlines::schedule(
                tx,
                now,
                &format!("{ACK_DEADLINE_KIND}:{id}"),
                ACK_DEADLINE_KIND,
                &format!("notification/{id}"),
                notification.acknowledge_by,
                id.clone().into_bytes(),
            )
            .await?;
        }
        outbox::append(
            tx,
            now,
            &pb::NotificationIssued {
                notification_id: id.clone(),
                kind: notification.kind.clone(),
                subject: notification.subject.clone(),
                recipient: Some(unit_ref(recipient)),
                issued_at: Some(crate::time::timestamp(now)),
                acknowledge_by: Some(crate::time::timestamp(notification.acknowledge_by)),
                escalation_of: notification.escalation_of.clone().unwrap_or_default(),
                division: notification.division.clone(),
            },
        )
        .await?;
        ids.push(id);
    }
    Ok(ids)
}

/// A notification of a rule, tracked to acknowledgement within
/// `rules.notification_acknowledge_hours`, without a further escalation (where a rule names
/// escalation units, they are among the recipients already). `subject` and `summary` never
/// hold personal data.
#[derive(Debug, Clone)]
pub struct Tracked {
    /// What happened, UPPER_SNAKE.
    pub kind: String,
    /// The object concerned, `<type>/<id>`.
    pub subject: String,
    /// The division the object belongs to.
    pub division: String,
    /// Short text for the operator.
    pub summary: String,
    /// Each recipient unit gets its own notification.
    pub recipients: Vec<Caller>,
}

/// Issues `notification` in `tx` at `now`, to be acknowledged within the configured hours.
pub async fn tracked(
    context: &ServiceContext,
    tx: &mut Tx,
    now: DateTime<Utc>,
    notification: Tracked,
) -> Result<(), ApiError> {
    issue(
        context,
        tx,
        &NewNotification {
            kind: notification.kind,
            subject: notification.subject,
            division: notification.division,
            summary: notification.summary,
            recipients: notification.recipients,
            acknowledge_by: relief_legal::hours(
                now,
                context.config.rules.notification_acknowledge_hours,
            ),
            escalate_to: Vec::new(),
            escalation_of: None,
        },
    )
    .await?;
    Ok(())
}

/// A notification issued to each of several recipients with the same text and due time
/// ([`issue_each`]): incidents and abuse reports, where every recipient acknowledges for itself.
#[derive(Debug, Clone)]
pub struct Notice {
    /// What happened, UPPER_SNAKE.
    pub kind: &'static str,
    /// The object concerned, `<type>/<id>`.
    pub subject: String,
    /// The division the object belongs to.
    pub division: String,
    /// Short text for the operator (no personal data).
    pub summary: String,
    /// When each recipient must have acknowledged.
    pub acknowledge_by: DateTime<Utc>,
}

/// Issues `notice` to each recipient, each with its own acknowledgement deadline escalating to
/// `escalate_to` less the recipient itself (a unit is not escalated to about its own silence;
/// reporting still shows its notification overdue); returns the ids in recipient order.
pub async fn issue_each(
    context: &ServiceContext,
    tx: &mut Tx,
    notice: &Notice,
    recipients: &[Caller],
    escalate_to: &[Caller],
) -> Result<Vec<String>, ApiError> {
    let mut ids = Vec::with_capacity(recipients.len());
    for recipient in recipients {
        let escalate_to = escalate_to
            .iter()
            .filter(|unit| unit.unit != recipient.unit)
            .cloned()
            .collect();
        ids.extend(
            issue(
                context,
                tx,
                &NewNotification {
                    kind: notice.kind.to_owned(),
                    subject: notice.subject.clone(),
                    division: notice.division.clone(),
                    summary: notice.summary.clone(),
                    recipients: vec![recipient.clone()],
                    acknowledge_by: notice.acknowledge_by,
                    escalate_to,
                    escalation_of: None,
                },
            )
            .await?,
        );
    }
    Ok(ids)
}

/// Acknowledges notification `id` for `caller` inside `tx`. NOT_FOUND unless it is addressed to
/// the caller's unit. A second acknowledgement changes nothing.
pub async fn acknowledge(
    context: &ServiceContext,
    tx: &mut Tx,
    caller: &Caller,
    id: &str,
) -> Result<NotificationRow, ApiError> {
    let now = context.clock.now();
    let row = store::get_for(tx, id, caller)
        .await?
        .ok_or(ApiError::NotFound {
            what: "notification",
        })?;
    if row.acknowledged_at.is_some() {
        return Ok(row);
    }
    // The deadline row first, then the notification: the order the sweeper locks them in, so a
    // concurrent escalation waits instead of deadlocking.
    deadlines::cancel(tx, now, &format!("{ACK_DEADLINE_KIND}:{id}")).await?;
    if !store::mark_acknowledged(tx, id, now).await? {
        // A concurrent acknowledgement won; it wrote the event.
        return store::get_for(tx, id, caller)
            .await?
            .ok_or(ApiError::NotFound {
                what: "notification",
            });
    }
    outbox::append(
        tx,
        now,
        &pb::NotificationAcknowledged {
            notification_id: id.to_owned(),
            acknowledged_at: Some(crate::time::timestamp(now)),
            on_time: now <= row.acknowledge_by,
        },
    )
    .await?;
    store::get_for(tx, id, caller)
        .await?
        .ok_or(ApiError::NotFound {
            what: "notification",
        })
}

/// Fires acknowledgement deadlines: escalates a notification nobody acknowledged in time.
#[derive(Debug, Clone, Copy, Default)]
pub struct EscalateUnacknowledged;

#[tonic::async_trait]
impl DeadlineHandler for EscalateUnacknowledged {
    async fn fire(
        &self,
        context: &ServiceContext,
        tx: &mut Tx,
        deadline: &Deadline,
        now: DateTime<Utc>,
    ) -> Result<(), ApiError> {
        let id = String::from_utf8_lossy(&deadline.payload).into_owned();
        let Some(row) = store::get(tx, &id).await? else {
            return Err(ApiError::internal(format!(
                "deadline for a missing notification {id}"
            )));
        };
        if row.acknowledged_at.is_some() || !store::mark_escalated(tx, &id, now).await? {
            return Ok(());
        }
        let escalate_to = row.escalate_to();
        if !escalate_to.is_empty() {
            let window = row.acknowledge_by - row.issued_at;
            issue(
                context,
                tx,
                &NewNotification {
                    kind: ESCALATION_KIND.to_owned(),
                    subject: row.subject.clone(),
                    division: row.division.clone(),
                    summary: format!("not acknowledged in time: {}", row.summary),
                    recipients: escalate_to.clone(),
                    acknowledge_by: now + window,
                    escalate_to: Vec::new(),
                    escalation_of: Some(id.clone()),
                },
            )
            .await?;
        }
        outbox::append(
            tx,
            now,
            &pb::NotificationEscalated {
                notification_id: id,
                escalated_at: Some(crate::time::timestamp(now)),
                escalated_to: escalate_to.iter().map(unit_ref).collect(),
            },
        )
        .await?;
        Ok(())
    }
}

/// The protobuf reference of a unit.
pub fn unit_ref(unit: &Caller) -> relief_proto::common::v1::UnitRef {
    relief_proto::common::v1::UnitRef {
        kind: proto_kind(unit.kind) as i32,
        division: unit.division.clone(),
        unit: unit.unit.clone(),
    }
}

fn proto_kind(kind: crate::caller::CallerKind) -> relief_proto::common::v1::CallerKind {
    use crate::caller::CallerKind as K;
    use relief_proto::common::v1::CallerKind as P;
    match kind {
        K::Station => P::Station,
        K::CivilAffairs => P::CivilAffairs,
        K::Police => P::Police,
        K::Patrol => P::Patrol,
        K::Grid => P::Grid,
        K::Relay => P::Relay,
        K::Hospital => P::Hospital,
        K::Foster => P::Foster,
        K::Government => P::Government,
        K::Supervisor => P::Supervisor,
        K::Service => P::Service,
    }
}
