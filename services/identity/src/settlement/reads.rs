//! `ListSettlementApplications`: newest filing first, in the caller's scope: a station its own
//! applications; civil affairs and governments those of the divisions theirs covers; the
//! supervisors of funds (finance and audit, role `funds`) likewise (the city's see all). Other
//! supervisors have no remit here.

use relief_proto::identity::v1 as pb;
use relief_runtime::paging::{decode_time_token, next_time_token, page_size};
use relief_runtime::scope;
use relief_runtime::{ApiError, Caller, CallerKind, ServiceContext, caller};
use tonic::Request;

use super::store::{self, ListFilter};

const DEFAULT_PAGE: i64 = 50;
const MAX_PAGE: i64 = 500;

/// The role of the supervisors who read settlements (finance and audit).
const FUNDS_ROLE: &str = "funds";

/// `ListSettlementApplications`.
pub async fn list(
    context: &ServiceContext,
    request: Request<pb::ListSettlementApplicationsRequest>,
) -> Result<pb::ListSettlementApplicationsResponse, ApiError> {
    let caller = caller(&request)?.clone();
    let request = request.into_inner();
    let limit = page_size(request.page_size, DEFAULT_PAGE, MAX_PAGE)?;
    let (after_at, after_id) = decode_time_token(&request.page_token)?;
    let status = pb::SettlementStatus::try_from(request.status)
        .map_err(|_| ApiError::invalid_field("status", "is not a known value"))?;
    let mut filter = ListFilter {
        station: String::new(),
        division: scope::list_division(&caller, request.division.trim())?.unwrap_or_default(),
        division_pattern: "%".to_owned(),
        status: status as i32,
    };
    match caller.kind {
        CallerKind::Station => filter.station = caller.unit.clone(),
        CallerKind::CivilAffairs | CallerKind::Government => {
            filter.division_pattern = scope::like_pattern(&caller.division);
        }
        CallerKind::Supervisor if supervises_funds(context, &caller) => {
            filter.division_pattern = scope::like_pattern(&caller.division);
        }
        CallerKind::Service => {}
        other => {
            return Err(ApiError::PermissionDenied {
                message: format!(
                    "a {other} caller without the funds remit may not list settlement \
                     applications"
                ),
            });
        }
    }
    let mut rows = store::list(&context.db, &filter, (after_at, &after_id), limit + 1).await?;
    let next_page_token = next_time_token(&mut rows, limit, |row| (row.filed_at, row.id.as_str()));
    Ok(pb::ListSettlementApplicationsResponse {
        applications: rows.iter().map(store::ApplicationRow::to_proto).collect(),
        next_page_token,
    })
}

/// Whether `caller` is a unit of units.toml holding the `funds` role (finance, audit).
fn supervises_funds(context: &ServiceContext, caller: &Caller) -> bool {
    context
        .units
        .get(&caller.unit)
        .is_some_and(|unit| unit.kind == caller.kind && unit.roles.iter().any(|r| r == FUNDS_ROLE))
}
