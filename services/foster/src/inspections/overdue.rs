//! The rectification deadline of a finding: due at 24:00 local of its last day. At it, a
//! finding not rectified before that instant is overdue: RectificationOverdue and a tracked
//! notification to the inspected unit, the inspecting unit and the civil-affairs bureau of the
//! inspected unit's division, once. A rectification recorded before the due instant cancels the
//! deadline; one recorded at or after it is late and leaves the deadline to fire, so the outcome
//! is the same whether the sweeper runs on time or late.

use chrono::{DateTime, Utc};
use relief_proto::foster::v1 as pb;
use relief_runtime::db::{Conn, Tx};
use relief_runtime::deadlines::{self, Deadline, DeadlineHandler};
use relief_runtime::events::append;
use relief_runtime::notifications::{Tracked, tracked};
use relief_runtime::time::timestamp;
use relief_runtime::{ApiError, Caller, ServiceContext};

use super::store::{self, FindingRow, InspectionRow};
use super::subject;

/// The deadline kind of a finding's rectification.
pub const RECTIFICATION_DEADLINE: &str = "foster.rectification";

/// The notification kind of an overdue rectification.
pub const RECTIFICATION_OVERDUE_NOTIFICATION: &str = "RECTIFICATION_OVERDUE";

/// The deadline id of finding `number` of inspection `id`.
pub fn deadline_id(id: &str, number: i32) -> String {
    format!("{RECTIFICATION_DEADLINE}:{id}:{number}")
}

/// Schedules the rectification deadline of `finding`, if it has a last day.
pub async fn schedule(
    tx: &mut Tx,
    now: DateTime<Utc>,
    finding: &FindingRow,
) -> Result<(), ApiError> {
    let Some(due_at) = finding.due_at() else {
        return Ok(());
    };
    deadlines::schedule(
        tx,
        now,
        &deadline_id(&finding.inspection_id, finding.finding_number),
        RECTIFICATION_DEADLINE,
        &subject(&finding.inspection_id),
        due_at,
        format!("{}|{}", finding.inspection_id, finding.finding_number).into_bytes(),
    )
    .await?;
    Ok(())
}

/// Fires a finding's rectification deadline.
#[derive(Debug, Clone, Copy, Default)]
pub struct RectificationDeadline;

#[tonic::async_trait]
impl DeadlineHandler for RectificationDeadline {
    async fn fire(
        &self,
        context: &ServiceContext,
        tx: &mut Tx,
        deadline: &Deadline,
        now: DateTime<Utc>,
    ) -> Result<(), ApiError> {
        let text = String::from_utf8_lossy(&deadline.payload).into_owned();
        let bad = || ApiError::internal(format!("bad rectification deadline payload {text}"));
        let (id, number) = text.split_once('|').ok_or_else(bad)?;
        let number: i32 = number.parse().map_err(|_| bad())?;
        let (Some(inspection), Some(finding)) = (
            store::fetch(Conn::Tx(tx), id).await?,
            store::finding(Conn::Tx(tx), id, number).await?,
        ) else {
            return Err(ApiError::internal(format!(
                "rectification deadline for a missing finding {id}/{number}"
            )));
        };
        if finding
            .rectified_at
            .is_some_and(|rectified| rectified < deadline.due_at)
        {
            return Ok(());
        }
        if !store::mark_overdue(tx, (id, number), now).await? {
            return Ok(());
        }
        append(
            tx,
            now,
            &pb::RectificationOverdue {
                inspection_id: inspection.id.clone(),
                finding_number: number,
                target: Some(inspection.target()),
                division: inspection.division.clone(),
                due_at: Some(timestamp(deadline.due_at)),
            },
        )
        .await?;
        tracked(
            context,
            tx,
            now,
            Tracked {
                kind: RECTIFICATION_OVERDUE_NOTIFICATION.to_owned(),
                subject: subject(&inspection.id),
                division: inspection.division.clone(),
                summary: format!(
                    "inspection {} of {} {} on {}: finding {number} was not rectified by the \
                     end of {}",
                    inspection.id,
                    if inspection.target_kind == store::target_kind::STATION {
                        "station"
                    } else {
                        "institution"
                    },
                    inspection.target_unit,
                    inspection.inspected_on,
                    finding.rectify_by.as_deref().unwrap_or_default()
                ),
                recipients: recipients(context, &inspection),
            },
        )
        .await
    }
}

/// Who hears of an overdue rectification: the inspected unit, the inspecting unit and the
/// civil-affairs bureau of the inspected unit's division (the city bureau for the city's own),
/// each once.
pub fn recipients(context: &ServiceContext, inspection: &InspectionRow) -> Vec<Caller> {
    let mut recipients = vec![inspection.inspected_unit()];
    recipients.extend(inspection.inspector());
    recipients.extend(context.units.civil_affairs_for(&inspection.division));
    let mut seen = std::collections::HashSet::new();
    recipients.retain(|unit| seen.insert((unit.kind, unit.unit.clone())));
    recipients
}
