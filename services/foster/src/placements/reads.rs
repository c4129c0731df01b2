//! `GetPlacement` and `ListPlacements`, in the caller's scope ([`super::sees`]): an institution
//! its residents (past ones too), a station those it sent, civil affairs and governments the
//! cases of divisions they cover.

use relief_proto::foster::v1 as pb;
use relief_runtime::db::Conn;
use relief_runtime::paging::{decode_time_token, next_time_token, page_size};
use relief_runtime::validate::Violations;
use relief_runtime::{ApiError, ServiceContext, caller};
use tonic::Request;

use super::store::{self, ListFilter, PlacementRow};
use super::{ListScope, fetch_visible};

const DEFAULT_PAGE: i64 = 50;
const MAX_PAGE: i64 = 500;

/// `GetPlacement`.
pub async fn get(
    context: &ServiceContext,
    request: Request<pb::GetPlacementRequest>,
) -> Result<pb::GetPlacementResponse, ApiError> {
    let caller = caller(&request)?.clone();
    let request = request.into_inner();
    let mut check = Violations::new();
    let id = check.required_id("placement_id", &request.placement_id);
    check.finish()?;
    let row = fetch_visible(Conn::Db(&context.db), &caller, &id).await?;
    Ok(pb::GetPlacementResponse {
        placement: Some(row.to_proto()),
    })
}

/// `ListPlacements`: newest proposal first.
pub async fn list(
    context: &ServiceContext,
    request: Request<pb::ListPlacementsRequest>,
) -> Result<pb::ListPlacementsResponse, ApiError> {
    let caller = caller(&request)?.clone();
    let request = request.into_inner();
    let limit = page_size(request.page_size, DEFAULT_PAGE, MAX_PAGE)?;
    let (after_at, after_id) = decode_time_token(&request.page_token)?;
    let status = pb::PlacementStatus::try_from(request.status)
        .map_err(|_| ApiError::invalid_field("status", "is not a known value"))?;
    let mut filter = ListFilter {
        institution_id: request.institution_id.trim().to_owned(),
        case_id: request.case_id.trim().to_owned(),
        status: status as i32,
        division_pattern: "%".to_owned(),
        ..ListFilter::default()
    };
    let scope = ListScope::of(&caller, "placements")?;
    if !scope.institution_id.is_empty() {
        if !filter.institution_id.is_empty() && filter.institution_id != scope.institution_id {
            return Ok(pb::ListPlacementsResponse::default());
        }
        filter.institution_id = scope.institution_id;
    }
    filter.station = scope.station;
    filter.division_pattern = scope.division_pattern;
    let mut rows = store::list(&context.db, &filter, (after_at, &after_id), limit + 1).await?;
    let next_page_token =
        next_time_token(&mut rows, limit, |row| (row.proposed_at, row.id.as_str()));
    Ok(pb::ListPlacementsResponse {
        placements: rows.iter().map(PlacementRow::to_proto).collect(),
        next_page_token,
    })
}
