//! `ListAgreements`, in the caller's scope: a station its own, an institution its own, civil
//! affairs and governments those whose station or institution is in a division they cover.

use relief_proto::foster::v1 as pb;
use relief_runtime::paging::{decode_time_token, next_time_token, page_size};
use relief_runtime::{ApiError, CallerKind, ServiceContext, caller, scope};
use tonic::Request;

use super::store::{self, ListFilter};

const DEFAULT_PAGE: i64 = 50;
const MAX_PAGE: i64 = 500;

/// `ListAgreements`: newest version first.
pub async fn list(
    context: &ServiceContext,
    request: Request<pb::ListAgreementsRequest>,
) -> Result<pb::ListAgreementsResponse, ApiError> {
    let caller = caller(&request)?.clone();
    let request = request.into_inner();
    let limit = page_size(request.page_size, DEFAULT_PAGE, MAX_PAGE)?;
    let (after_at, after_id) = decode_time_token(&request.page_token)?;
    let mut filter = ListFilter {
        station: request.station.trim().to_owned(),
        institution_id: request.institution_id.trim().to_owned(),
        division_pattern: "%".to_owned(),
    };
    match caller.kind {
        CallerKind::Station => {
            if !filter.station.is_empty() && filter.station != caller.unit {
                return Ok(pb::ListAgreementsResponse::default());
            }
            filter.station = caller.unit.clone();
        }
        CallerKind::Foster => {
            if !filter.institution_id.is_empty() && filter.institution_id != caller.unit {
                return Ok(pb::ListAgreementsResponse::default());
            }
            filter.institution_id = caller.unit.clone();
        }
        CallerKind::CivilAffairs | CallerKind::Government => {
            filter.division_pattern = scope::like_pattern(&caller.division);
        }
        CallerKind::Service => {}
        other => {
            return Err(ApiError::PermissionDenied {
                message: format!("a {other} caller may not list agreements"),
            });
        }
    }
    let mut rows = store::list(&context.db, &filter, (after_at, &after_id), limit + 1).await?;
    let next_page_token = next_time_token(&mut rows, limit, |row| (row.signed_at, row.id.as_str()));
    Ok(pb::ListAgreementsResponse {
        agreements: rows.iter().map(store::AgreementRow::to_proto).collect(),
        next_page_token,
    })
}
