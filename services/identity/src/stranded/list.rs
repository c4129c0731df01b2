//! `ListStrandedPersons`: the open files in the register within the caller's scope, longest
//! stranded first, each with its done and missing steps, its pending or granted settlement
//! application and, for a person in foster care, the institution — one query per page.

use chrono::{DateTime, TimeZone, Utc};
use relief_proto::identity::v1 as pb;
use relief_runtime::db::Db;
use relief_runtime::paging::{decode_time_token, next_time_token, page_size};
use relief_runtime::time::timestamp;
use relief_runtime::{ApiError, CallerKind, ServiceContext, caller, scope, with_db};
use tonic::Request;

use super::steps::{self, DNA_DONE, FACE_DONE, NOTICE_DONE, Steps};
use crate::files::store::status;

const DEFAULT_PAGE: i64 = 50;
const MAX_PAGE: i64 = 500;

/// `settlement_applications.status` of a rejected application (SettlementStatus REJECTED): it no
/// longer stands for the person.
const SETTLEMENT_REJECTED: i32 = 3;

/// One row of the page.
#[derive(Debug, Clone, sqlx::FromRow)]
struct StrandedRow {
    id: String,
    case_id: String,
    station: String,
    division: String,
    stay_began_at: DateTime<Utc>,
    stranded_since: DateTime<Utc>,
    notice_done: i32,
    dna_done: i32,
    face_done: i32,
    settlement_application_id: String,
    /// Foster feed: the current placement of the current case, if in foster care.
    placement_id: Option<String>,
    institution_id: Option<String>,
    placed_at: Option<DateTime<Utc>>,
}

/// Which rows a page holds.
#[derive(Debug, Clone, Default)]
struct Filter {
    /// Only this station's files ('' for any).
    station: String,
    /// Only this division ('' for any).
    division: String,
    /// A `LIKE` pattern the division must match (the caller's scope).
    division_pattern: String,
    /// Only files missing this step.
    missing: Option<pb::StrandedStep>,
}

/// `ListStrandedPersons`: a station lists the files of the cases it holds; civil affairs and
/// governments the files of the divisions theirs covers (the provincial department reads too).
pub async fn list(
    context: &ServiceContext,
    request: Request<pb::ListStrandedPersonsRequest>,
) -> Result<pb::ListStrandedPersonsResponse, ApiError> {
    let caller = caller(&request)?.clone();
    let request = request.into_inner();
    let limit = page_size(request.page_size, DEFAULT_PAGE, MAX_PAGE)?;
    // The list runs oldest first: the first page starts before any stored instant.
    let after = if request.page_token.is_empty() {
        (beginning_of_time(), String::new())
    } else {
        decode_time_token(&request.page_token)?
    };
    let missing = match pb::StrandedStep::try_from(request.missing) {
        Ok(pb::StrandedStep::Unspecified) => None,
        Ok(step) => Some(step),
        Err(_) => return Err(ApiError::invalid_field("missing", "is not a known value")),
    };
    let mut filter = Filter {
        division: scope::list_division(&caller, request.division.trim())?.unwrap_or_default(),
        division_pattern: "%".to_owned(),
        missing,
        ..Filter::default()
    };
    match caller.kind {
        CallerKind::Station => filter.station = caller.unit.clone(),
        CallerKind::CivilAffairs | CallerKind::Government => {
            filter.division_pattern = scope::like_pattern(&caller.division);
        }
        CallerKind::Service => {}
        other => {
            return Err(ApiError::PermissionDenied {
                message: format!("a {other} caller may not list the stranded register"),
            });
        }
    }
    let mut rows = fetch_page(&context.db, &filter, (after.0, &after.1), limit + 1).await?;
    let next_page_token = next_time_token(&mut rows, limit, |row| {
        (row.stranded_since, row.id.as_str())
    });
    Ok(pb::ListStrandedPersonsResponse {
        persons: rows.iter().map(to_proto).collect(),
        next_page_token,
    })
}

fn to_proto(row: &StrandedRow) -> pb::StrandedPerson {
    let steps = Steps::from_flags(row.notice_done, row.dna_done, row.face_done);
    pb::StrandedPerson {
        file_id: row.id.clone(),
        case_id: row.case_id.clone(),
        station: row.station.clone(),
        division: row.division.clone(),
        stay_began_at: Some(timestamp(row.stay_began_at)),
        stranded_since: Some(timestamp(row.stranded_since)),
        done: steps.done().into_iter().map(|step| step as i32).collect(),
        missing: steps
            .missing()
            .into_iter()
            .map(|step| step as i32)
            .collect(),
        settlement_application_id: row.settlement_application_id.clone(),
        foster_stay: match (&row.placement_id, &row.institution_id, row.placed_at) {
            (Some(placement_id), Some(institution_id), Some(placed_at)) => Some(pb::FosterStay {
                institution_id: institution_id.clone(),
                placement_id: placement_id.clone(),
                since: Some(timestamp(placed_at)),
            }),
            _ => None,
        },
    }
}

/// A page of the register after the keyset position `after`, by (stranded_since, id).
async fn fetch_page(
    db: &Db,
    filter: &Filter,
    after: (DateTime<Utc>, &str),
    limit: i64,
) -> Result<Vec<StrandedRow>, sqlx::Error> {
    let missing_clause = filter
        .missing
        .and_then(steps::done_sql)
        .map(|done| format!("AND ({done}) = 0"))
        .unwrap_or_default();
    let open = status::OPEN;
    let current = crate::consumer::foster::CURRENT_CONDITION;
    let sql = format!(
        "SELECT f.id, f.case_id, f.station, f.division, f.stay_began_at, f.stranded_since, \
         {NOTICE_DONE} AS notice_done, {DNA_DONE} AS dna_done, {FACE_DONE} AS face_done, \
         COALESCE((SELECT s.id FROM settlement_applications s \
                   WHERE s.file_id = f.id AND s.status <> {SETTLEMENT_REJECTED} \
                   ORDER BY s.filed_at DESC, s.id DESC LIMIT 1), '') AS settlement_application_id, \
         p.placement_id, p.institution_id, p.placed_at \
         FROM identity_files f \
         LEFT JOIN foster_placements p ON p.case_id = f.case_id AND {current} \
         WHERE f.status = {open} AND f.stranded_since IS NOT NULL \
         AND ($1 = '' OR f.station = $1) AND ($2 = '' OR f.division = $2) \
         AND f.division LIKE $3 \
         AND (f.stranded_since > $4 OR (f.stranded_since = $4 AND f.id > $5)) \
         {missing_clause} \
         ORDER BY f.stranded_since, f.id LIMIT $6"
    );
    with_db!(db, |pool| {
        sqlx::query_as::<_, StrandedRow>(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(&filter.station)
            .bind(&filter.division)
            .bind(&filter.division_pattern)
            .bind(after.0)
            .bind(after.1)
            .bind(limit)
            .fetch_all(pool)
            .await
    })
}

/// Earlier than any stored instant (and sorting first as SQLite text).
fn beginning_of_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(1900, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}
