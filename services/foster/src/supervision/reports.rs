//! `FileReport` (the institution, on its residents, one report per placement and month) and
//! `ListReports` (in the caller's placement scope).

use chrono::SubsecRound;
use relief_proto::foster::v1 as pb;
use relief_runtime::db::Conn;
use relief_runtime::events::append;
use relief_runtime::paging::{decode_time_token, next_time_token, page_size};
use relief_runtime::time::timestamp;
use relief_runtime::validate::Violations;
use relief_runtime::{ApiError, ServiceContext, caller, idempotency};
use tonic::Request;

use super::months::{Month, in_care_during};
use super::store::{self, ReportRow};
use super::{MONTH_NOT_IN_PLACEMENT, REPORT_ALREADY_FILED, list_filter};
use crate::placements::{self, store as placement_store};

/// The longest basic condition accepted, in characters.
const MAX_CONDITION: usize = 4000;

const DEFAULT_PAGE: i64 = 50;
const MAX_PAGE: i64 = 500;

/// `FileReport`.
pub async fn file(
    context: &ServiceContext,
    request: Request<pb::FileReportRequest>,
) -> Result<pb::FileReportResponse, ApiError> {
    let caller = caller(&request)?.clone();
    let request = request.into_inner();
    let now = context.clock.now().trunc_subsecs(6);
    let mut check = Violations::new();
    let id = check.required_id("placement_id", &request.placement_id);
    let month = match Month::parse(request.month.trim()) {
        None => {
            check.add("month", "must be a month YYYY-MM");
            None
        }
        Some(month) if month > Month::of(now) => {
            check.add("month", "must not be in the future");
            None
        }
        Some(month) => Some(month),
    };
    let condition = check.required_text("condition", &request.condition, MAX_CONDITION);
    check.finish()?;
    let Some(month) = month else {
        return Err(ApiError::invalid_field("month", "must be a month YYYY-MM"));
    };
    let due_at = month.report_due(&context.holidays)?;
    let bounds = (month.start()?, month.end()?);
    idempotency::run(
        context,
        &caller,
        "/relief.foster.v1.FosterSupervisionService/FileReport",
        &request.request_id,
        &request,
        async |tx| {
            // Locked before the clock is read: the report deadline's handler locks it too.
            placement_store::lock(tx, &id).await?;
            let row = placements::fetch_visible(Conn::Tx(tx), &caller, &id).await?;
            if !in_care_during(row.placed_at, row.ended_at, bounds) {
                return Err(ApiError::failed_precondition(
                    MONTH_NOT_IN_PLACEMENT,
                    format!("the resident was not in the institution's care in {month}"),
                ));
            }
            let text = month.to_string();
            if store::report_of(Conn::Tx(tx), &row.id, &text)
                .await?
                .is_some()
            {
                return Err(ApiError::failed_precondition(
                    REPORT_ALREADY_FILED,
                    format!("the report for {text} was already filed"),
                ));
            }
            let filed_at = context.clock.now().trunc_subsecs(6);
            let report = ReportRow {
                id: uuid::Uuid::now_v7().to_string(),
                placement_id: row.id.clone(),
                institution_id: row.institution().to_owned(),
                station: row.station.clone(),
                division: row.division.clone(),
                month: text,
                basic_condition: condition.clone(),
                filed_at,
                due_at,
                late: filed_at >= due_at,
            };
            store::insert_report(tx, &report).await?;
            append(
                tx,
                filed_at,
                &pb::ReportFiled {
                    report_id: report.id.clone(),
                    placement_id: report.placement_id.clone(),
                    institution_id: report.institution_id.clone(),
                    division: report.division.clone(),
                    month: report.month.clone(),
                    filed_at: Some(timestamp(report.filed_at)),
                    late: report.late,
                },
            )
            .await?;
            Ok(pb::FileReportResponse {
                report: Some(report.to_proto()),
            })
        },
    )
    .await
}

/// `ListReports`: latest month first.
pub async fn list(
    context: &ServiceContext,
    request: Request<pb::ListReportsRequest>,
) -> Result<pb::ListReportsResponse, ApiError> {
    let caller = caller(&request)?.clone();
    let request = request.into_inner();
    let limit = page_size(request.page_size, DEFAULT_PAGE, MAX_PAGE)?;
    let (after_at, after_id) = decode_time_token(&request.page_token)?;
    let filter = list_filter(context, &caller, &request.placement_id, &request.month).await?;
    let mut rows =
        store::list_reports(&context.db, &filter, (after_at, &after_id), limit + 1).await?;
    let next_page_token = next_time_token(&mut rows, limit, |row| (row.due_at, row.id.as_str()));
    Ok(pb::ListReportsResponse {
        reports: rows.iter().map(ReportRow::to_proto).collect(),
        next_page_token,
    })
}
