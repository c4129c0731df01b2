//! `RecordVisit` (the sending station, its residents' active placements) and `ListVisits` (in the
//! caller's placement scope).

use chrono::SubsecRound;
use relief_proto::foster::v1 as pb;
use relief_runtime::db::Conn;
use relief_runtime::events::append;
use relief_runtime::paging::{decode_time_token, next_time_token, page_size};
use relief_runtime::time::timestamp;
use relief_runtime::validate::Violations;
use relief_runtime::{ApiError, ServiceContext, caller, idempotency};
use tonic::Request;

use super::months::Month;
use super::store::{self, VisitRow};
use super::{PLACEMENT_NOT_ACTIVE, list_filter};
use crate::placements::{self, store as placement_store};

/// The longest care conditions and identity inquiry accepted, in characters.
const MAX_TEXT: usize = 2000;

const DEFAULT_PAGE: i64 = 50;
const MAX_PAGE: i64 = 500;

/// `RecordVisit`.
pub async fn record(
    context: &ServiceContext,
    request: Request<pb::RecordVisitRequest>,
) -> Result<pb::RecordVisitResponse, ApiError> {
    let caller = caller(&request)?.clone();
    let request = request.into_inner();
    let now = context.clock.now().trunc_subsecs(6);
    let mut check = Violations::new();
    let id = check.required_id("placement_id", &request.placement_id);
    let visited_at = check
        .past_instant("visited_at", request.visited_at.as_ref(), now)
        .trunc_subsecs(6);
    let care_conditions =
        check.required_text("care_conditions", &request.care_conditions, MAX_TEXT);
    let identity_inquiry =
        check.optional_text("identity_inquiry", &request.identity_inquiry, MAX_TEXT);
    check.finish()?;
    idempotency::run(
        context,
        &caller,
        "/relief.foster.v1.FosterSupervisionService/RecordVisit",
        &request.request_id,
        &request,
        async |tx| {
            // Locked before the clock is read: the month's deadline handler locks it too.
            placement_store::lock(tx, &id).await?;
            let row = placements::fetch_visible(Conn::Tx(tx), &caller, &id).await?;
            if !row.is_active() {
                return Err(ApiError::failed_precondition(
                    PLACEMENT_NOT_ACTIVE,
                    "the placement is not active: visits are recorded for residents in care",
                ));
            }
            if row.placed_at.is_some_and(|placed| visited_at < placed) {
                return Err(ApiError::invalid_field(
                    "visited_at",
                    "must not be before the placement",
                ));
            }
            let recorded_at = context.clock.now().trunc_subsecs(6);
            let month = Month::of(visited_at);
            let visit = VisitRow {
                id: uuid::Uuid::now_v7().to_string(),
                placement_id: row.id.clone(),
                institution_id: row.institution().to_owned(),
                station: row.station.clone(),
                division: row.division.clone(),
                month: month.to_string(),
                visited_at,
                care_conditions: care_conditions.clone(),
                identity_inquiry: identity_inquiry.clone(),
                recorded_at,
                counted: recorded_at < month.end()?,
            };
            store::insert_visit(tx, &visit).await?;
            append(
                tx,
                recorded_at,
                &pb::VisitRecorded {
                    visit_id: visit.id.clone(),
                    placement_id: visit.placement_id.clone(),
                    institution_id: visit.institution_id.clone(),
                    station: visit.station.clone(),
                    division: visit.division.clone(),
                    month: visit.month.clone(),
                    visited_at: Some(timestamp(visit.visited_at)),
                    counted: visit.counted,
                },
            )
            .await?;
            Ok(pb::RecordVisitResponse {
                visit: Some(visit.to_proto()),
            })
        },
    )
    .await
}

/// `ListVisits`: latest visit first.
pub async fn list(
    context: &ServiceContext,
    request: Request<pb::ListVisitsRequest>,
) -> Result<pb::ListVisitsResponse, ApiError> {
    let caller = caller(&request)?.clone();
    let request = request.into_inner();
    let limit = page_size(request.page_size, DEFAULT_PAGE, MAX_PAGE)?;
    let (after_at, after_id) = decode_time_token(&request.page_token)?;
    let filter = list_filter(context, &caller, &request.placement_id, &request.month).await?;
    let mut rows =
        store::list_visits(&context.db, &filter, (after_at, &after_id), limit + 1).await?;
    let next_page_token =
        next_time_token(&mut rows, limit, |row| (row.visited_at, row.id.as_str()));
    Ok(pb::ListVisitsResponse {
        visits: rows.iter().map(VisitRow::to_proto).collect(),
        next_page_token,
    })
}
