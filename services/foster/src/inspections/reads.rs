//! `ListInspections`, in the caller's scope: the inspected unit (a station, an institution) and
//! the inspecting unit; civil affairs and governments the inspections of the divisions they
//! cover (and those they made); police and supervisors the ones they made.

use relief_proto::foster::v1 as pb;
use relief_runtime::db::Conn;
use relief_runtime::paging::{decode_time_token, next_time_token, page_size};
use relief_runtime::validate::Violations;
use relief_runtime::{ApiError, CallerKind, ServiceContext, caller, scope};
use tonic::Request;

use super::record::{Target, target};
use super::store::{self, ListFilter, target_kind};

const DEFAULT_PAGE: i64 = 50;
const MAX_PAGE: i64 = 500;

/// `ListInspections`: latest recorded first.
pub async fn list(
    context: &ServiceContext,
    request: Request<pb::ListInspectionsRequest>,
) -> Result<pb::ListInspectionsResponse, ApiError> {
    let caller = caller(&request)?.clone();
    let request = request.into_inner();
    let limit = page_size(request.page_size, DEFAULT_PAGE, MAX_PAGE)?;
    let (after_at, after_id) = decode_time_token(&request.page_token)?;
    let mut filter = ListFilter::default();
    if request.target.is_some() {
        let mut check = Violations::new();
        let only = target(&mut check, "target", request.target.as_ref());
        check.finish()?;
        filter.target = match only {
            Some(Target::Institution(id)) => (target_kind::INSTITUTION, id),
            Some(Target::Station(id)) => (target_kind::STATION, id),
            None => (0, String::new()),
        };
    }
    match caller.kind {
        CallerKind::CivilAffairs | CallerKind::Government => {
            filter.division_pattern = scope::like_pattern(&caller.division);
            filter.inspected_by = caller.unit.clone();
        }
        CallerKind::Station => {
            filter.inspected = (target_kind::STATION, caller.unit.clone());
            filter.inspected_by = caller.unit.clone();
        }
        CallerKind::Foster => filter.inspected = (target_kind::INSTITUTION, caller.unit.clone()),
        CallerKind::Police | CallerKind::Supervisor => filter.inspected_by = caller.unit.clone(),
        other => {
            return Err(ApiError::PermissionDenied {
                message: format!("a {other} caller may not list inspections"),
            });
        }
    }
    let mut rows = store::list(&context.db, &filter, (after_at, &after_id), limit + 1).await?;
    let next_page_token =
        next_time_token(&mut rows, limit, |row| (row.recorded_at, row.id.as_str()));
    let ids: Vec<String> = rows.iter().map(|row| row.id.clone()).collect();
    let findings = store::findings(Conn::Db(&context.db), &ids).await?;
    let now = context.clock.now();
    Ok(pb::ListInspectionsResponse {
        inspections: rows
            .iter()
            .map(|row| row.to_proto(&findings, now))
            .collect(),
        next_page_token,
    })
}
