//! `ListHouseholdRestorations`: newest request first, in the caller's scope: a station its own
//! requests, a police unit those addressed to it, civil affairs and governments those of the
//! divisions theirs covers.

use relief_proto::identity::v1 as pb;
use relief_runtime::paging::{decode_time_token, next_time_token, page_size};
use relief_runtime::scope;
use relief_runtime::{ApiError, CallerKind, ServiceContext, caller};
use tonic::Request;

use super::store::{self, ListFilter};

const DEFAULT_PAGE: i64 = 50;
const MAX_PAGE: i64 = 500;

/// `ListHouseholdRestorations`.
pub async fn list(
    context: &ServiceContext,
    request: Request<pb::ListHouseholdRestorationsRequest>,
) -> Result<pb::ListHouseholdRestorationsResponse, ApiError> {
    let caller = caller(&request)?.clone();
    let request = request.into_inner();
    let limit = page_size(request.page_size, DEFAULT_PAGE, MAX_PAGE)?;
    let (after_at, after_id) = decode_time_token(&request.page_token)?;
    let status = pb::RestorationStatus::try_from(request.status)
        .map_err(|_| ApiError::invalid_field("status", "is not a known value"))?;
    let mut filter = ListFilter {
        station: String::new(),
        police_unit: String::new(),
        division_pattern: "%".to_owned(),
        status: status as i32,
    };
    match caller.kind {
        CallerKind::Station => filter.station = caller.unit.clone(),
        CallerKind::Police => filter.police_unit = caller.unit.clone(),
        CallerKind::CivilAffairs | CallerKind::Government => {
            filter.division_pattern = scope::like_pattern(&caller.division);
        }
        CallerKind::Service => {}
        other => {
            return Err(ApiError::PermissionDenied {
                message: format!("a {other} caller may not list household restorations"),
            });
        }
    }
    let mut rows = store::list(&context.db, &filter, (after_at, &after_id), limit + 1).await?;
    let next_page_token =
        next_time_token(&mut rows, limit, |row| (row.requested_at, row.id.as_str()));
    Ok(pb::ListHouseholdRestorationsResponse {
        restorations: rows.iter().map(store::RestorationRow::to_proto).collect(),
        next_page_token,
    })
}
