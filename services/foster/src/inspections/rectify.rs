//! `RecordRectification`: the inspected unit or the inspecting unit records what was done about
//! a finding. Before the due instant it cancels the finding's deadline; at or after it the
//! rectification is late (and the deadline, if the sweeper has not fired it yet, still raises
//! the overdue).

use chrono::SubsecRound;
use relief_proto::foster::v1 as pb;
use relief_runtime::db::Conn;
use relief_runtime::deadlines;
use relief_runtime::events::append;
use relief_runtime::time::timestamp;
use relief_runtime::validate::Violations;
use relief_runtime::{ApiError, ServiceContext, caller, idempotency};
use tonic::Request;

use super::store;
use super::{ALREADY_RECTIFIED, NOTHING_TO_RECTIFY, overdue, subject};
use crate::institutions::refuse_read_only;

/// The longest rectification accepted, in characters.
const MAX_RECTIFICATION: usize = 2000;

/// `RecordRectification`.
pub async fn rectify(
    context: &ServiceContext,
    request: Request<pb::RecordRectificationRequest>,
) -> Result<pb::RecordRectificationResponse, ApiError> {
    let caller = caller(&request)?.clone();
    refuse_read_only(&caller)?;
    let request = request.into_inner();
    let mut check = Violations::new();
    let id = check.required_id("inspection_id", &request.inspection_id);
    let number = request.finding_number;
    if number < 1 {
        check.add("finding_number", "must be 1 or more");
    }
    let rectification =
        check.required_text("rectification", &request.rectification, MAX_RECTIFICATION);
    check.finish()?;
    idempotency::run(
        context,
        &caller,
        "/relief.foster.v1.FosterSupervisionService/RecordRectification",
        &request.request_id,
        &request,
        async |tx| {
            // The deadlines first, as the sweeper takes them.
            deadlines::lock_subject(tx, &subject(&id)).await?;
            // The clock is read once the sweeper cannot fire this inspection's deadlines
            // concurrently: a rectification before the due instant always precedes the overdue.
            let now = context.clock.now().trunc_subsecs(6);
            let inspection = store::fetch(Conn::Tx(tx), &id)
                .await?
                .filter(|row| row.concerns(&caller))
                .ok_or(ApiError::NotFound { what: "inspection" })?;
            let finding = store::finding(Conn::Tx(tx), &id, number)
                .await?
                .ok_or_else(|| {
                    ApiError::invalid_field("finding_number", "is not a finding of the inspection")
                })?;
            let Some(due_at) = finding.due_at() else {
                return Err(ApiError::failed_precondition(
                    NOTHING_TO_RECTIFY,
                    "the finding has no rectification deadline",
                ));
            };
            if finding.rectified_at.is_some()
                || !store::set_rectified(tx, (&id, number), now, &rectification, &caller.unit)
                    .await?
            {
                return Err(ApiError::failed_precondition(
                    ALREADY_RECTIFIED,
                    "the finding's rectification is already recorded",
                ));
            }
            let late = now >= due_at;
            if !late {
                deadlines::cancel(tx, now, &overdue::deadline_id(&id, number)).await?;
            }
            append(
                tx,
                now,
                &pb::RectificationRecorded {
                    inspection_id: id.clone(),
                    finding_number: number,
                    division: inspection.division.clone(),
                    rectified_at: Some(timestamp(now)),
                    late,
                },
            )
            .await?;
            let findings = store::findings(Conn::Tx(tx), std::slice::from_ref(&id)).await?;
            Ok(pb::RecordRectificationResponse {
                inspection: Some(inspection.to_proto(&findings, now)),
            })
        },
    )
    .await
}
