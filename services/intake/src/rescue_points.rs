//! The rescue point registry (救助点, DOMAIN.md section 1, plan §二(四)1): civil affairs
//! registers the rescue points of the streets, townships and communities of its divisions;
//! every caller but a service lists them.
//!
//! A rescue point reports through the API as a `grid` caller whose certificate names the id the
//! registration returned (`relief certs issue grid <division> <id>`), so the id is
//! certificate-safe: `rp-<division>-<12 hex digits>` (A-Z a-z 0-9 . _ -, at most 64 characters).
//!
//! - [`store`]: the table.

mod store;

use chrono::SubsecRound;
use relief_proto::intake::v1 as pb;
use relief_runtime::paging::{decode_time_token, next_time_token, page_size};
use relief_runtime::{ApiError, Caller, ServiceContext, caller, idempotency};
use tonic::Request;

use relief_runtime::scope;
use relief_runtime::validate::Violations;
use store::RescuePointRow;

/// The page size of a list without one, and the cap.
const DEFAULT_PAGE: i64 = 100;
const MAX_PAGE: i64 = 500;

/// Longest accepted street and name, and address, in characters.
const MAX_STREET: usize = 200;
const MAX_NAME: usize = 200;
const MAX_ADDRESS: usize = 500;

/// The prefix of every rescue point id; no unit of `units.toml` uses it.
const ID_PREFIX: &str = "rp";

/// `RegisterRescuePoint` (civil affairs, within its divisions; the provincial department reads
/// only). An unknown but well-formed division code is accepted: historical codes are many.
pub async fn register(
    context: &ServiceContext,
    request: Request<pb::RegisterRescuePointRequest>,
) -> Result<pb::RegisterRescuePointResponse, ApiError> {
    let caller = caller(&request)?.clone();
    refuse_read_only(&caller)?;
    let request = request.into_inner();
    let mut check = Violations::new();
    // A rescue point has no warnings to carry: an unknown code is accepted silently.
    let mut unknown_division_warnings = Vec::new();
    let division = check.division(
        "division",
        &request.division,
        &mut unknown_division_warnings,
    );
    if relief_legal::DivisionCode::parse(&division).is_ok()
        && !scope::covers(&caller.division, &division)
    {
        check.add("division", "is outside this bureau's divisions");
    }
    let street = check.required_text("street", &request.street, MAX_STREET);
    let name = check.required_text("name", &request.name, MAX_NAME);
    let address = check.required_text("address", &request.address, MAX_ADDRESS);
    check.finish()?;
    // Microseconds: what both backends store, so the response equals a later list's entry.
    let now = context.clock.now().trunc_subsecs(6);
    idempotency::run(
        context,
        &caller,
        "/relief.intake.v1.IntakeService/RegisterRescuePoint",
        &request.request_id,
        &request,
        async |tx| {
            let row = RescuePointRow {
                id: new_id(&division),
                division,
                street,
                name,
                address,
                registered_by_unit: caller.unit.clone(),
                registered_by_division: caller.division.clone(),
                registered_at: now,
            };
            store::insert(tx, &row).await?;
            Ok(pb::RegisterRescuePointResponse {
                rescue_point: Some(row.to_proto()),
            })
        },
    )
    .await
}

/// `ListRescuePoints`: newest registration first, optionally of one division. The registry is
/// public to every caller allowed to list it, whatever its division.
pub async fn list(
    context: &ServiceContext,
    request: Request<pb::ListRescuePointsRequest>,
) -> Result<pb::ListRescuePointsResponse, ApiError> {
    let request = request.into_inner();
    let mut check = Violations::new();
    let division = request.division.trim();
    if !division.is_empty() && relief_legal::DivisionCode::parse(division).is_err() {
        check.add(
            "division",
            "must be a six-digit GB/T 2260 division code, or empty",
        );
    }
    let limit = match page_size(request.page_size, DEFAULT_PAGE, MAX_PAGE) {
        Ok(limit) => limit,
        Err(_) => {
            check.add("page_size", "must not be negative");
            0
        }
    };
    let after = match decode_time_token(&request.page_token) {
        Ok(after) => after,
        Err(_) => {
            check.add("page_token", "is not a token this list returned");
            Default::default()
        }
    };
    check.finish()?;
    let mut rows = store::list(&context.db, division, (after.0, &after.1), limit + 1).await?;
    let next_page_token =
        next_time_token(&mut rows, limit, |row| (row.registered_at, row.id.as_str()));
    Ok(pb::ListRescuePointsResponse {
        rescue_points: rows.iter().map(RescuePointRow::to_proto).collect(),
        next_page_token,
    })
}

/// A new rescue point id: `rp-<division>-` and the 48 random bits of a v4 UUID's last group.
fn new_id(division: &str) -> String {
    let uuid = uuid::Uuid::new_v4().simple().to_string();
    let random = uuid.get(20..).unwrap_or(&uuid);
    format!("{ID_PREFIX}-{division}-{random}")
}

/// The provincial civil-affairs department (a province-level division, `xx0000`) reads only
/// (DOMAIN.md, "Callers"): PERMISSION_DENIED before anything is read.
fn refuse_read_only(caller: &Caller) -> Result<(), ApiError> {
    if caller.division.len() == 6 && caller.division.ends_with("0000") {
        return Err(ApiError::PermissionDenied {
            message: "the provincial civil-affairs department may only read".to_owned(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_certificate_safe_and_name_the_division() {
        let id = new_id("211103");
        assert!(id.starts_with("rp-211103-"), "{id}");
        assert_eq!(id.len(), 22);
        assert!(
            id.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        );
        assert!(Caller::new(relief_runtime::CallerKind::Grid, "211103", id.clone()).is_ok());
        assert_ne!(id, new_id("211103"));
    }
}
