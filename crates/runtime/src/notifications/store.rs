//! The notifications table.

use chrono::{DateTime, Utc};

use crate::caller::Caller;
use crate::db::Tx;
use crate::with_tx;

use super::NewNotification;

/// One stored notification.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct NotificationRow {
    /// Id.
    pub id: String,
    /// Recipient's caller kind.
    pub recipient_kind: String,
    /// Recipient's division.
    pub recipient_division: String,
    /// Recipient's unit id.
    pub recipient_unit: String,
    /// Kind, UPPER_SNAKE.
    pub kind: String,
    /// Subject, `<type>/<id>`.
    pub subject: String,
    /// Division of the subject.
    pub division: String,
    /// Short text.
    pub summary: String,
    /// Issued.
    pub issued_at: DateTime<Utc>,
    /// Due.
    pub acknowledge_by: DateTime<Utc>,
    /// Acknowledged.
    pub acknowledged_at: Option<DateTime<Utc>>,
    /// Escalated.
    pub escalated_at: Option<DateTime<Utc>>,
    /// Escalation units, `kind/division/unit` joined by `,`.
    pub escalate_to: String,
    /// The notification this one escalates.
    pub escalation_of: Option<String>,
}

impl NotificationRow {
    /// The units an escalation goes to.
    pub fn escalate_to(&self) -> Vec<Caller> {
        self.escalate_to
            .split(',')
            .filter(|part| !part.is_empty())
            .filter_map(|part| {
                Caller::from_spiffe_id(&format!("spiffe://{}/{part}", crate::caller::TRUST_DOMAIN))
                    .ok()
            })
            .collect()
    }
}

const COLUMNS: &str = "id, recipient_kind, recipient_division, recipient_unit, kind, subject, \
    division, summary, issued_at, acknowledge_by, acknowledged_at, escalated_at, escalate_to, \
    escalation_of";

pub(super) async fn insert(
    tx: &mut Tx,
    id: &str,
    recipient: &Caller,
    notification: &NewNotification,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let escalate_to = notification
        .escalate_to
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",");
    with_tx!(tx, |conn| {
        sqlx::query(
            "INSERT INTO notifications (id, recipient_kind, recipient_division, recipient_unit, \
             kind, subject, division, summary, issued_at, acknowledge_by, escalate_to, escalation_of) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(id)
        .bind(recipient.kind.as_str())
        .bind(&recipient.division)
        .bind(&recipient.unit)
        .bind(&notification.kind)
        .bind(&notification.subject)
        .bind(&notification.division)
        .bind(&notification.summary)
        .bind(now)
        .bind(notification.acknowledge_by)
        .bind(escalate_to)
        .bind(&notification.escalation_of)
        .execute(conn)
        .await
            .map(|done| done.rows_affected())
    })?;
    Ok(())
}

pub(super) async fn get(tx: &mut Tx, id: &str) -> Result<Option<NotificationRow>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM notifications WHERE id = $1");
    with_tx!(tx, |conn| {
        sqlx::query_as::<_, NotificationRow>(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(id)
            .fetch_optional(conn)
            .await
    })
}

/// The notification `id` if it is addressed to `caller`'s unit.
pub(super) async fn get_for(
    tx: &mut Tx,
    id: &str,
    caller: &Caller,
) -> Result<Option<NotificationRow>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM notifications \
         WHERE id = $1 AND recipient_kind = $2 AND recipient_division = $3 \
         AND recipient_unit = $4"
    );
    with_tx!(tx, |conn| {
        sqlx::query_as::<_, NotificationRow>(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(id)
            .bind(caller.kind.as_str())
            .bind(&caller.division)
            .bind(&caller.unit)
            .fetch_optional(conn)
            .await
    })
}

/// Returns whether this call changed the row (false: it was already done).
pub(super) async fn mark_acknowledged(
    tx: &mut Tx,
    id: &str,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    with_tx!(tx, |conn| {
        sqlx::query("UPDATE notifications SET acknowledged_at = $2 WHERE id = $1 AND acknowledged_at IS NULL")
            .bind(id)
            .bind(now)
            .execute(conn)
            .await
            .map(|done| done.rows_affected())
    })
    .map(|changed| changed == 1)
}

/// Returns whether this call changed the row (false: it was already done).
pub(super) async fn mark_escalated(
    tx: &mut Tx,
    id: &str,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    with_tx!(tx, |conn| {
        sqlx::query(
            "UPDATE notifications SET escalated_at = $2 WHERE id = $1 AND escalated_at IS NULL",
        )
        .bind(id)
        .bind(now)
        .execute(conn)
        .await
        .map(|done| done.rows_affected())
    })
    .map(|changed| changed == 1)
}

/// A page of `caller`'s notifications, newest first, after the keyset position `after`.
pub(super) async fn list_for(
    db: &crate::db::Db,
    caller: &Caller,
    unacknowledged_only: bool,
    after: (DateTime<Utc>, String),
    limit: i64,
) -> Result<Vec<NotificationRow>, sqlx::Error> {
    let (after_at, after_id) = after;
    let sql = format!(
        "SELECT {COLUMNS} FROM notifications \
         WHERE recipient_kind = $1 AND recipient_unit = $2 AND recipient_division = $7 \
         AND (acknowledged_at IS NULL OR $3 = 0) \
         AND (issued_at < $4 OR (issued_at = $4 AND id < $5)) \
         ORDER BY issued_at DESC, id DESC LIMIT $6"
    );
    crate::with_db!(db, |pool| {
        sqlx::query_as::<_, NotificationRow>(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(caller.kind.as_str())
            .bind(&caller.unit)
            .bind(i32::from(unacknowledged_only))
            .bind(after_at)
            .bind(after_id)
            .bind(limit)
            .bind(&caller.division)
            .fetch_all(pool)
            .await
    })
}
