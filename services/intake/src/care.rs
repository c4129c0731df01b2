//! In-station services (DOMAIN.md section 1): lodging, meals, emergency treatment and the rest,
//! each with its cost in integer fen, settled at actual cost (据实结算). The admitting station
//! records them on its open cases; whoever may see a case lists its services with the totals of
//! all of them (the medical cost being the TREATMENT services').
//!
//! - [`case_ref`]: the columns of a case these rules (and incidents') act on, and who sees it.
//! - [`store`]: the `case_services` table.

pub mod case_ref;
mod store;

use chrono::{DateTime, SubsecRound, TimeZone, Utc};
use relief_proto::common::v1::Money;
use relief_proto::intake::v1 as pb;
use relief_runtime::events::append;
use relief_runtime::paging::{decode_time_token, next_time_token, page_size};
use relief_runtime::time::timestamp;
use relief_runtime::{ApiError, ServiceContext, caller, idempotency};
use tonic::Request;

use relief_runtime::validate::Violations;
use store::ServiceRow;

const DEFAULT_PAGE: i64 = 100;
const MAX_PAGE: i64 = 500;

/// The longest description accepted, in characters.
const MAX_DESCRIPTION: usize = 500;

/// The largest cost of one service accepted, in fen (100 million yuan): far above any real
/// cost, and low enough that a case's total can never overflow a BIGINT.
const MAX_COST_FEN: i64 = 10_000_000_000;

/// The `FAILED_PRECONDITION` reason for a service recorded on a closed case.
const CASE_CLOSED: &str = "CASE_CLOSED";

/// `RecordService`: the admitting station records a service on an open case.
pub async fn record(
    context: &ServiceContext,
    request: Request<pb::RecordServiceRequest>,
) -> Result<pb::RecordServiceResponse, ApiError> {
    let caller = caller(&request)?.clone();
    let request = request.into_inner();
    let now = context.clock.now();
    let mut check = Violations::new();
    let case_id = check.required_id("case_id", &request.case_id);
    let kind = pb::ServiceKind::try_from(request.kind).unwrap_or_default();
    if kind == pb::ServiceKind::Unspecified {
        check.add("kind", "is required");
    }
    // Both backends keep microseconds: the response shows what a later list returns.
    let given_at = check
        .past_instant("given_at", request.given_at.as_ref(), now)
        .trunc_subsecs(6);
    // A missing cost is a free service.
    let cost_fen = request.cost.map_or(0, |cost| cost.fen);
    if cost_fen < 0 {
        check.add("cost.fen", "must not be negative");
    } else if cost_fen > MAX_COST_FEN {
        check.add("cost.fen", &format!("must be at most {MAX_COST_FEN} fen"));
    }
    let description = check.optional_text("description", &request.description, MAX_DESCRIPTION);
    check.finish()?;
    let row = ServiceRow {
        id: uuid::Uuid::now_v7().to_string(),
        case_id,
        kind: kind as i32,
        given_at,
        cost_fen,
        description,
        recorded_by_unit: caller.unit.clone(),
        recorded_at: now,
    };
    idempotency::run(
        context,
        &caller,
        "/relief.intake.v1.IntakeService/RecordService",
        &request.request_id,
        &request,
        async |tx| {
            let case =
                case_ref::fetch_in(tx, &row.case_id, |case| case.is_own_station(&caller)).await?;
            if !case.is_open() {
                return Err(ApiError::failed_precondition(
                    CASE_CLOSED,
                    "the case is closed: services are recorded only during the stay",
                ));
            }
            if row.given_at < case.admitted_at {
                return Err(ApiError::invalid_field(
                    "given_at",
                    "must not be before the admission",
                ));
            }
            store::insert(tx, &row).await?;
            append(
                tx,
                now,
                &pb::ServiceRecorded {
                    case_id: case.id.clone(),
                    division: case.division.clone(),
                    kind: row.kind,
                    given_at: Some(timestamp(row.given_at)),
                    cost_fen: row.cost_fen,
                },
            )
            .await?;
            Ok(pb::RecordServiceResponse {
                service: Some(row.to_proto()),
            })
        },
    )
    .await
}

/// `ListServices`: the services of a case the caller may see (as `GetCase`), oldest first, with
/// the totals of all of them, not only the page's.
pub async fn list(
    context: &ServiceContext,
    request: Request<pb::ListServicesRequest>,
) -> Result<pb::ListServicesResponse, ApiError> {
    let caller = caller(&request)?.clone();
    let request = request.into_inner();
    let mut check = Violations::new();
    let case_id = check.required_id("case_id", &request.case_id);
    check.finish()?;
    let limit = page_size(request.page_size, DEFAULT_PAGE, MAX_PAGE)?;
    let (after_at, after_id) = if request.page_token.is_empty() {
        (beginning_of_time(), String::new())
    } else {
        decode_time_token(&request.page_token)?
    };
    let case = case_ref::fetch(&context.db, &case_id, |case| case.is_visible_to(&caller)).await?;
    let mut rows = store::page(&context.db, &case.id, (after_at, &after_id), limit + 1).await?;
    let next_page_token = next_time_token(&mut rows, limit, |row| (row.given_at, row.id.as_str()));
    let (total_fen, medical_fen) = store::totals(&context.db, &case.id).await?;
    Ok(pb::ListServicesResponse {
        services: rows.iter().map(ServiceRow::to_proto).collect(),
        total_cost: Some(Money { fen: total_fen }),
        medical_cost: Some(Money { fen: medical_fen }),
        next_page_token,
    })
}

/// A keyset start before any stored instant (year 1, which also sorts first as SQLite text).
fn beginning_of_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(1, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}
