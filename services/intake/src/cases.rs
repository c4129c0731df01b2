//! Admission and cases (DOMAIN.md section 1 and "Who owns a stay"): a station registers a person
//! and opens the case of one stay, which belongs to the station and its division. The person is
//! personal data, encrypted at rest and returned only for a stated purpose; earlier cases of the
//! same ID number are linked (repeat vagrancy); a stay past the 10-day relief period is flagged
//! and can be justified.
//!
//! - [`admission`]: `AdmitPerson`, in one transaction with its events and deadline.
//! - [`convert`]: the request checked into an admission; a row back into a `Case`.
//! - [`person`]: the encrypted person and the fields a read returns.
//! - [`repeat`]: repeat-vagrancy links and `SplitRepeatLink`.
//! - [`stay`]: the 10-day relief period: its deadline handler and `JustifyLongStay` (a case in
//!   foster care is not flagged; one back in the station after its 10th day is, at its return).
//! - [`reads`]: `GetCase` and `ListCases`, in the caller's scope.
//! - [`store`]: the tables.

mod admission;
mod convert;
mod person;
mod reads;
mod repeat;
pub(crate) mod stay;
mod store;

use std::sync::Arc;

use relief_proto::intake::v1 as pb;
use relief_runtime::deadlines::DeadlineHandler;
use relief_runtime::{ApiError, Caller, CallerKind, ServiceContext};
use tonic::Request;

use relief_runtime::scope;
use store::CaseRow;

pub use person::PERSON_COLUMN;
// Departure slice: closing a case reads it and answers with it.
pub(crate) use convert::to_proto as case_to_proto;
pub(crate) use store::{CaseRow as StoredCase, Conn as CaseConn, fetch as fetch_case, repeat_of};
// Settlement slice: intake's consumer of identity's feed records a confirmed identity on a case
// and links the person's other cases.
pub(crate) use person::PersonRecord;
pub(crate) use repeat::{earlier_cases, link as link_repeats};
pub(crate) use store::record_confirmed_identity;
// Foster feed: a case back in the station after its 10-day instant is flagged at its return.
pub(crate) use stay::schedule_after_foster_care;

/// `AdmitPerson` (station only).
pub async fn admit(
    context: &ServiceContext,
    request: Request<pb::AdmitPersonRequest>,
) -> Result<pb::AdmitPersonResponse, ApiError> {
    admission::admit(context, request).await
}

/// `GetCase`.
pub async fn get(
    context: &ServiceContext,
    request: Request<pb::GetCaseRequest>,
) -> Result<pb::GetCaseResponse, ApiError> {
    reads::get(context, request).await
}

/// `ListCases`.
pub async fn list(
    context: &ServiceContext,
    request: Request<pb::ListCasesRequest>,
) -> Result<pb::ListCasesResponse, ApiError> {
    reads::list(context, request).await
}

/// `JustifyLongStay` (the admitting station only).
pub async fn justify_long_stay(
    context: &ServiceContext,
    request: Request<pb::JustifyLongStayRequest>,
) -> Result<pb::JustifyLongStayResponse, ApiError> {
    stay::justify(context, request).await
}

/// The deadline handlers of cases.
pub fn deadline_handlers() -> Vec<(&'static str, Arc<dyn DeadlineHandler>)> {
    vec![(stay::STAY_DEADLINE, Arc::new(stay::FlagLongStay))]
}

/// Whether a case with this stored status is open: in the station or in foster care.
fn is_open(status: i32) -> bool {
    status == pb::CaseStatus::InStation as i32 || status == pb::CaseStatus::InFosterCare as i32
}

/// Whether `caller` is the station that admitted the case.
fn is_own_station(caller: &Caller, row: &CaseRow) -> bool {
    caller.kind == CallerKind::Station && caller.unit == row.station
}

/// Whether `caller` may see the case ([`sees`]).
fn visible(caller: &Caller, row: &CaseRow) -> bool {
    sees(
        caller,
        &row.station,
        &row.division,
        row.status,
        row.institution_id.as_deref(),
    )
}

/// The one rule of who sees a case in intake (every RPC that touches a case asks it): everyone
/// [`scope::sees_case`] lets see a case admitted by `station` in `division` (the admitting
/// station; civil affairs and governments covering the division; services), and a foster
/// institution the cases of its current residents: IN_FOSTER_CARE (`status`) with it as the
/// current `institution_id` (DOMAIN.md "Callers": foster reads its own residents only). Another
/// institution's resident, or a former resident, is NOT_FOUND as if it did not exist.
pub(crate) fn sees(
    caller: &Caller,
    station: &str,
    division: &str,
    status: i32,
    institution_id: Option<&str>,
) -> bool {
    match caller.kind {
        CallerKind::Foster => {
            status == pb::CaseStatus::InFosterCare as i32
                && institution_id == Some(caller.unit.as_str())
        }
        _ => scope::sees_case(caller, station, division),
    }
}

/// `SplitRepeatLink` (the admitting station; civil affairs within its divisions).
pub async fn split_repeat_link(
    context: &ServiceContext,
    request: Request<pb::SplitRepeatLinkRequest>,
) -> Result<pb::SplitRepeatLinkResponse, ApiError> {
    repeat::split(context, request).await
}
