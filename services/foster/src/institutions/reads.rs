//! `GetInstitution` and `ListInstitutions`, in the caller's scope ([`super::sees`]): civil
//! affairs and governments their divisions, stations all, an institution itself only.

use relief_proto::foster::v1 as pb;
use relief_runtime::db::Conn;
use relief_runtime::paging::{decode_time_token, next_time_token, page_size};
use relief_runtime::validate::Violations;
use relief_runtime::{ApiError, CallerKind, ServiceContext, caller, scope};
use tonic::Request;

use super::sees;
use super::store::{self, InstitutionRow, ListFilter};

const DEFAULT_PAGE: i64 = 50;
const MAX_PAGE: i64 = 500;

/// `GetInstitution`.
pub async fn get(
    context: &ServiceContext,
    request: Request<pb::GetInstitutionRequest>,
) -> Result<pb::GetInstitutionResponse, ApiError> {
    let caller = caller(&request)?.clone();
    let request = request.into_inner();
    let mut check = Violations::new();
    let id = check.required_id("institution_id", &request.institution_id);
    check.finish()?;
    let row = store::fetch(Conn::Db(&context.db), &id)
        .await?
        .filter(|row| sees(&caller, row))
        .ok_or(ApiError::NotFound {
            what: "institution",
        })?;
    Ok(pb::GetInstitutionResponse {
        institution: Some(row.to_proto(context.clock.now())),
    })
}

/// `ListInstitutions`: newest registration first.
pub async fn list(
    context: &ServiceContext,
    request: Request<pb::ListInstitutionsRequest>,
) -> Result<pb::ListInstitutionsResponse, ApiError> {
    let caller = caller(&request)?.clone();
    let request = request.into_inner();
    let limit = page_size(request.page_size, DEFAULT_PAGE, MAX_PAGE)?;
    let (after_at, after_id) = decode_time_token(&request.page_token)?;
    let kind = pb::InstitutionKind::try_from(request.kind)
        .map_err(|_| ApiError::invalid_field("kind", "is not a known value"))?;
    let status = pb::InstitutionStatus::try_from(request.status)
        .map_err(|_| ApiError::invalid_field("status", "is not a known value"))?;
    let requested_division = request.division.trim();
    let mut filter = ListFilter {
        division_pattern: "%".to_owned(),
        kind: kind as i32,
        government_run: request.government_run.map_or(-1, i32::from),
        status: status as i32,
        ..ListFilter::default()
    };
    match caller.kind {
        CallerKind::CivilAffairs | CallerKind::Government => {
            filter.division =
                scope::list_division(&caller, requested_division)?.unwrap_or_default();
            filter.division_pattern = scope::like_pattern(&caller.division);
        }
        CallerKind::Station => filter.division = requested_division.to_owned(),
        CallerKind::Foster => {
            filter.id = caller.unit.clone();
            filter.division = requested_division.to_owned();
        }
        other => {
            return Err(ApiError::PermissionDenied {
                message: format!("a {other} caller may not list institutions"),
            });
        }
    }
    let mut rows = store::list(&context.db, &filter, (after_at, &after_id), limit + 1).await?;
    let next_page_token =
        next_time_token(&mut rows, limit, |row| (row.registered_at, row.id.as_str()));
    let now = context.clock.now();
    Ok(pb::ListInstitutionsResponse {
        institutions: rows
            .iter()
            .map(|row: &InstitutionRow| row.to_proto(now))
            .collect(),
        next_page_token,
    })
}
