//! Reading cases: one case (with the person only for a stated purpose, every field read
//! audited) and pages of cases in the caller's scope (never with the person).

use relief_proto::intake::v1 as pb;
use relief_runtime::paging::{decode_time_token, next_time_token, page_size};
use relief_runtime::personal_data::{self, PURPOSE_HEADER};
use relief_runtime::{ApiError, CallerKind, ServiceContext, caller};
use tonic::Request;

use super::person::PersonRecord;
use super::store::{self, Conn, ListFilter};
use super::{convert, visible};
use relief_runtime::scope;
use relief_runtime::validate::Violations;

const DEFAULT_PAGE: i64 = 50;
const MAX_PAGE: i64 = 500;

/// `GetCase`: NOT_FOUND unless the caller may see the case; the person only with
/// `x-relief-purpose`, and then one audit row per field returned.
pub async fn get(
    context: &ServiceContext,
    request: Request<pb::GetCaseRequest>,
) -> Result<pb::GetCaseResponse, ApiError> {
    let caller = caller(&request)?.clone();
    // Checked before anything is read: a call with a bad purpose reads and records nothing.
    let purpose_opt = if request.metadata().contains_key(PURPOSE_HEADER) {
        Some(personal_data::purpose(&request)?)
    } else {
        None
    };
    let mut check = Violations::new();
    let case_id = check.required_id("case_id", &request.get_ref().case_id);
    check.finish()?;
    let row = store::fetch(Conn::Db(&context.db), &case_id)
        .await?
        .filter(|row| visible(&caller, row))
        .ok_or(ApiError::NotFound { what: "case" })?;
    let repeat_of = store::repeat_of(Conn::Db(&context.db), &row.id).await?;
    let mut case = convert::to_proto(&row, repeat_of);
    match purpose_opt {
        None => case.person_omitted = true,
        Some(purpose) => {
            let keys = personal_data::require(context.personal_data.as_deref())?;
            let person = PersonRecord::decrypt(keys, &row.id, &row.person)?;
            let fields = person.returned_fields();
            if !fields.is_empty() {
                // Committed before the response is sent.
                personal_data::record_read(
                    &context.db,
                    &context.clock,
                    &caller,
                    &row.id,
                    &fields,
                    &purpose,
                )
                .await?;
            }
            case.person = Some(person.to_proto());
        }
    }
    Ok(pb::GetCaseResponse { case: Some(case) })
}

/// `ListCases`: newest admission first. A station lists the cases it admitted; civil affairs
/// and governments the cases of the divisions theirs covers; services all.
pub async fn list(
    context: &ServiceContext,
    request: Request<pb::ListCasesRequest>,
) -> Result<pb::ListCasesResponse, ApiError> {
    let caller = caller(&request)?.clone();
    let request = request.into_inner();
    let limit = page_size(request.page_size, DEFAULT_PAGE, MAX_PAGE)?;
    let (after_at, after_id) = decode_time_token(&request.page_token)?;
    let status = pb::CaseStatus::try_from(request.status)
        .map_err(|_| ApiError::invalid_field("status", "is not a known value"))?;
    let identity_status = pb::IdentityStatus::try_from(request.identity_status)
        .map_err(|_| ApiError::invalid_field("identity_status", "is not a known value"))?;
    let admitted_from = request
        .admitted_after
        .as_ref()
        .map(|at| relief_runtime::time::instant("admitted_after", Some(at)))
        .transpose()?;
    let admitted_until = request
        .admitted_before
        .as_ref()
        .map(|at| relief_runtime::time::instant("admitted_before", Some(at)))
        .transpose()?;
    let requested_station = request.station.trim();
    let mut filter = ListFilter {
        division: scope::list_division(&caller, request.division.trim())?.unwrap_or_default(),
        division_pattern: "%".to_owned(),
        status: status as i32,
        station: requested_station.to_owned(),
        flags_any: request.vulnerable.as_ref().map_or(0, crate::flags::to_bits),
        identity_status: identity_status as i32,
        admitted_from,
        admitted_until,
    };
    match caller.kind {
        CallerKind::Station => {
            if !requested_station.is_empty() && requested_station != caller.unit {
                return Err(ApiError::invalid_field(
                    "station",
                    "a station lists only its own cases",
                ));
            }
            filter.station = caller.unit.clone();
        }
        CallerKind::CivilAffairs | CallerKind::Government => {
            filter.division_pattern = scope::like_pattern(&caller.division);
        }
        CallerKind::Service => {}
        other => {
            return Err(ApiError::PermissionDenied {
                message: format!("a {other} caller may not list cases"),
            });
        }
    }
    let mut rows = store::list(&context.db, &filter, (after_at, &after_id), limit + 1).await?;
    let next_page_token =
        next_time_token(&mut rows, limit, |row| (row.admitted_at, row.id.as_str()));
    let ids: Vec<&str> = rows.iter().map(|row| row.id.as_str()).collect();
    let links = store::links_of(Conn::Db(&context.db), &ids).await?;
    let cases = rows
        .iter()
        .map(|row| {
            let repeat_of = links
                .iter()
                .filter(|(case_id, _)| *case_id == row.id)
                .map(|(_, earlier)| earlier.clone())
                .collect();
            let mut case = convert::to_proto(row, repeat_of);
            case.person_omitted = true;
            case
        })
        .collect();
    Ok(pb::ListCasesResponse {
        cases,
        next_page_token,
    })
}
