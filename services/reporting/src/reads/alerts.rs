//! `ListAlerts`: the notifications and escalations addressed to one unit, from every service
//! (DOMAIN.md section 4 "Alerts"), newest first, from `r_notifications` only.
//!
//! Every caller may list its own unit's alerts. Civil affairs and governments may also name another
//! unit whose division theirs covers: a fixed unit of `units.toml`, or a foster institution reporting
//! knows from the foster feed (`r_institutions`). Any other unit answers NOT_FOUND, as if it did not
//! exist. "Overdue" is worked out here, at query time: no event marks a plain notification overdue.

use chrono::{DateTime, Utc};
use relief_proto::common::v1::UnitRef;
use relief_proto::reporting::v1 as pb;
use relief_runtime::paging::{decode_time_token, next_time_token, page_size};
use relief_runtime::time::{timestamp, timestamp_opt};
use relief_runtime::{ApiError, Caller, CallerKind, ServiceContext, scope, with_db};

use crate::accountability::{Accountability, TaskOf};
use crate::time::{instant, micros};

/// Page size when the request gives none.
const DEFAULT_PAGE: i64 = 50;
/// The largest page served.
const MAX_PAGE: i64 = 500;

/// `ListAlerts`.
pub async fn list(
    context: &ServiceContext,
    caller: &Caller,
    request: pb::ListAlertsRequest,
) -> Result<pb::ListAlertsResponse, ApiError> {
    let limit = page_size(request.page_size, DEFAULT_PAGE, MAX_PAGE)?;
    let filter = pb::AlertFilter::try_from(request.filter)
        .map_err(|_| ApiError::invalid_field("filter", "is not an AlertFilter"))?;
    let (after_at, after_id) = decode_time_token(&request.page_token)?;
    let recipient = recipient(context, caller, request.unit.trim()).await?;
    let now = context.clock.now();
    let mut rows = page(
        context,
        &recipient,
        filter,
        now,
        (micros(after_at), &after_id),
        limit + 1,
    )
    .await?;
    let next_page_token = next_time_token(&mut rows, limit, |row| {
        (instant(row.issued_at), row.notification_id.as_str())
    });
    Ok(pb::ListAlertsResponse {
        alerts: rows.into_iter().map(|row| row.into_alert(now)).collect(),
        next_page_token,
    })
}

/// The unit whose alerts are listed, as notifications address it: the caller's own for an empty
/// `unit` or the caller's unit id; otherwise a unit civil affairs or a government may read.
async fn recipient(
    context: &ServiceContext,
    caller: &Caller,
    unit: &str,
) -> Result<UnitRef, ApiError> {
    if unit.is_empty() || unit == caller.unit {
        return Ok(relief_runtime::notifications::unit_ref(caller));
    }
    let not_found = ApiError::NotFound { what: "unit" };
    if !matches!(
        caller.kind,
        CallerKind::CivilAffairs | CallerKind::Government
    ) {
        return Err(not_found);
    }
    let found = match context.units.get(unit) {
        Some(fixed) => Some(relief_runtime::notifications::unit_ref(&fixed.caller())),
        None => institution(context, unit).await?,
    };
    match found {
        Some(found) if scope::covers(&caller.division, &found.division) => Ok(found),
        _ => Err(not_found),
    }
}

/// A foster institution reporting knows (registered on the foster feed), as a recipient.
async fn institution(context: &ServiceContext, id: &str) -> Result<Option<UnitRef>, ApiError> {
    let division = with_db!(&context.db, |pool| {
        sqlx::query_scalar::<_, String>(
            "SELECT division FROM r_institutions WHERE institution_id = $1",
        )
        .bind(id)
        .fetch_optional(pool)
        .await
    })?;
    Ok(division.map(|division| UnitRef {
        kind: relief_proto::common::v1::CallerKind::Foster as i32,
        division,
        unit: id.to_owned(),
    }))
}

/// One notification as stored, with the kind of the notification it escalates (if any).
#[derive(Debug, Clone, sqlx::FromRow)]
struct AlertRow {
    notification_id: String,
    source_service: String,
    kind: String,
    subject: String,
    division: String,
    recipient_kind: i32,
    recipient_division: String,
    recipient_unit: String,
    issued_at: i64,
    acknowledge_by: i64,
    escalation_of: Option<String>,
    acknowledged_at: Option<i64>,
    /// The kind of the notification `escalation_of` names, if reporting has it.
    escalated_kind: Option<String>,
}

impl AlertRow {
    fn into_alert(self, now: DateTime<Utc>) -> pb::Alert {
        let overdue = self.acknowledged_at.is_none() && self.acknowledge_by < micros(now);
        let task_id = task_of(&self.kind, self.escalated_kind.as_deref());
        pb::Alert {
            notification_id: self.notification_id,
            source_service: self.source_service,
            kind: self.kind,
            subject: self.subject,
            division: self.division,
            recipient: Some(UnitRef {
                kind: self.recipient_kind,
                division: self.recipient_division,
                unit: self.recipient_unit,
            }),
            issued_at: Some(timestamp(instant(self.issued_at))),
            acknowledge_by: Some(timestamp(instant(self.acknowledge_by))),
            acknowledged_at: timestamp_opt(self.acknowledged_at.map(instant)),
            escalation_of: self.escalation_of.unwrap_or_default(),
            overdue,
            task_id,
        }
    }
}

/// The plan task of a notification of `kind` (`deploy/accountability.toml`); an escalation
/// (`NOTIFICATION_UNACKNOWLEDGED`) takes the task of the notification it escalates, whose kind is
/// `escalated_kind`. Empty for a kind the mapping does not have (a test of the mapping fails
/// for any kind a service issues), or an escalation whose original reporting has not seen.
fn task_of(kind: &str, escalated_kind: Option<&str>) -> String {
    let accountability = Accountability::embedded();
    let task = |kind: &str| match accountability.task_of_notification(kind) {
        Some(TaskOf::Task(task)) => Some(task.id.clone()),
        Some(TaskOf::EscalatedNotification | TaskOf::WatchedNotification) | None => None,
    };
    match accountability.task_of_notification(kind) {
        Some(TaskOf::EscalatedNotification) => escalated_kind.and_then(task),
        _ => task(kind),
    }
    .unwrap_or_default()
}

/// One page of `recipient`'s notifications after the keyset position `after` (issued_at µs, id),
/// newest first.
async fn page(
    context: &ServiceContext,
    recipient: &UnitRef,
    filter: pb::AlertFilter,
    now: DateTime<Utc>,
    after: (i64, &str),
    limit: i64,
) -> Result<Vec<AlertRow>, ApiError> {
    let unacknowledged_only = filter != pb::AlertFilter::Unspecified;
    let overdue_only = filter == pb::AlertFilter::Overdue;
    let rows = with_db!(&context.db, |pool| {
        sqlx::query_as::<_, AlertRow>(
            "SELECT n.notification_id, n.source_service, n.kind, n.subject, n.division, \
               n.recipient_kind, n.recipient_division, n.recipient_unit, n.issued_at, \
               n.acknowledge_by, n.escalation_of, n.acknowledged_at, o.kind AS escalated_kind \
             FROM r_notifications n \
             LEFT JOIN r_notifications o ON o.notification_id = n.escalation_of \
             WHERE n.recipient_unit = $1 AND n.recipient_kind = $2 AND n.recipient_division = $3 \
               AND ($4 = 0 OR n.acknowledged_at IS NULL) \
               AND ($5 = 0 OR n.acknowledge_by < $6) \
               AND (n.issued_at < $7 OR (n.issued_at = $7 AND n.notification_id < $8)) \
             ORDER BY n.issued_at DESC, n.notification_id DESC LIMIT $9",
        )
        .bind(&recipient.unit)
        .bind(recipient.kind)
        .bind(&recipient.division)
        .bind(i32::from(unacknowledged_only))
        .bind(i32::from(overdue_only))
        .bind(micros(now))
        .bind(after.0)
        .bind(after.1)
        .bind(limit)
        .fetch_all(pool)
        .await
    })?;
    Ok(rows)
}
