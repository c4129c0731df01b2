//! Sightings (发现报告): a person found, where, when, how they are, and the vulnerable flags.
//!
//! Reporters (police, patrol, grid, relay, stations, hospitals) see what they reported; stations,
//! civil affairs and governments see the sightings of the divisions they cover.

use chrono::{DateTime, Utc};
use relief_proto::intake::v1 as pb;
use relief_runtime::events::append;
use relief_runtime::notifications::unit_ref;
use relief_runtime::paging::{decode_time_token, next_time_token, page_size};
use relief_runtime::time::timestamp;
use relief_runtime::{
    ApiError, Caller, CallerKind, ServiceContext, caller, idempotency, with_db, with_tx,
};
use tonic::Request;

use crate::flags;
use relief_runtime::scope;
use relief_runtime::validate::Violations;

const DEFAULT_PAGE: i64 = 50;
const MAX_PAGE: i64 = 500;

/// A stored sighting.
#[derive(Debug, Clone, sqlx::FromRow)]
struct Row {
    id: String,
    division: String,
    address: String,
    found_at: DateTime<Utc>,
    description: String,
    flags: i64,
    reported_by_kind: String,
    reported_by_division: String,
    reported_by_unit: String,
    reported_at: DateTime<Utc>,
    warnings: String,
}

const COLUMNS: &str = "id, division, address, found_at, description, flags, reported_by_kind, \
    reported_by_division, reported_by_unit, reported_at, warnings";

impl Row {
    fn reporter(&self) -> Option<Caller> {
        Caller::new(
            self.reported_by_kind.parse().ok()?,
            self.reported_by_division.clone(),
            self.reported_by_unit.clone(),
        )
        .ok()
    }

    fn into_proto(self) -> pb::Sighting {
        let reported_by = self.reporter().map(|reporter| unit_ref(&reporter));
        pb::Sighting {
            sighting_id: self.id,
            division: self.division,
            address: self.address,
            found_at: Some(timestamp(self.found_at)),
            description: self.description,
            flags: Some(flags::from_bits(self.flags)),
            reported_by,
            reported_at: Some(timestamp(self.reported_at)),
            warnings: self
                .warnings
                .split('\n')
                .filter(|w| !w.is_empty())
                .map(str::to_owned)
                .collect(),
        }
    }
}

/// Whether `caller` sees sightings by division (the bodies that act on them) rather than only
/// the ones it reported itself.
fn sees_by_division(caller: &Caller) -> bool {
    matches!(
        caller.kind,
        CallerKind::Station | CallerKind::CivilAffairs | CallerKind::Government
    )
}

fn visible(caller: &Caller, row: &Row) -> bool {
    let own = row.reported_by_kind == caller.kind.as_str() && row.reported_by_unit == caller.unit;
    own || (sees_by_division(caller) && scope::covers(&caller.division, &row.division))
}

/// `ReportSighting`.
pub async fn report(
    context: &ServiceContext,
    request: Request<pb::ReportSightingRequest>,
) -> Result<pb::ReportSightingResponse, ApiError> {
    let caller = caller(&request)?.clone();
    let request = request.into_inner();
    let now = context.clock.now();
    let mut warnings = Vec::new();
    let mut check = Violations::new();
    let division = check.division("division", &request.division, &mut warnings);
    let address = check.required_text("address", &request.address, 500);
    let found_at = check.past_instant("found_at", request.found_at.as_ref(), now);
    let description = check.required_text("description", &request.description, 2000);
    check.finish()?;
    let flags = request.flags.unwrap_or_default();
    idempotency::run(
        context,
        &caller,
        "/relief.intake.v1.IntakeService/ReportSighting",
        &request.request_id,
        &request,
        async |tx| {
            let row = Row {
                id: uuid::Uuid::now_v7().to_string(),
                division,
                address,
                found_at,
                description,
                flags: flags::to_bits(&flags),
                reported_by_kind: caller.kind.as_str().to_owned(),
                reported_by_division: caller.division.clone(),
                reported_by_unit: caller.unit.clone(),
                reported_at: now,
                warnings: warnings.join("\n"),
            };
            with_tx!(tx, |conn| {
                sqlx::query(
                    "INSERT INTO sightings (id, division, address, found_at, description, flags, \
                     reported_by_kind, reported_by_division, reported_by_unit, reported_at, warnings) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                )
                .bind(&row.id)
                .bind(&row.division)
                .bind(&row.address)
                .bind(row.found_at)
                .bind(&row.description)
                .bind(row.flags)
                .bind(&row.reported_by_kind)
                .bind(&row.reported_by_division)
                .bind(&row.reported_by_unit)
                .bind(row.reported_at)
                .bind(&row.warnings)
                .execute(conn)
                .await
                .map(|_| ())
            })?;
            append(
                tx,
                now,
                &pb::SightingReported {
                    sighting_id: row.id.clone(),
                    division: row.division.clone(),
                    found_at: Some(timestamp(row.found_at)),
                    flags: Some(flags),
                    reported_by: Some(unit_ref(&caller)),
                },
            )
            .await?;
            Ok(pb::ReportSightingResponse {
                sighting: Some(row.into_proto()),
            })
        },
    )
    .await
}

async fn fetch(context: &ServiceContext, id: &str) -> Result<Option<Row>, ApiError> {
    let sql = format!("SELECT {COLUMNS} FROM sightings WHERE id = $1");
    Ok(with_db!(&context.db, |pool| {
        sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(id)
            .fetch_optional(pool)
            .await
    })?)
}

/// Whether `caller` may see the sighting `id` (false when it does not exist).
pub async fn is_visible(
    context: &ServiceContext,
    caller: &Caller,
    id: &str,
) -> Result<bool, ApiError> {
    Ok(fetch(context, id)
        .await?
        .is_some_and(|row| visible(caller, &row)))
}

/// `GetSighting`.
pub async fn get(
    context: &ServiceContext,
    request: Request<pb::GetSightingRequest>,
) -> Result<pb::GetSightingResponse, ApiError> {
    let caller = caller(&request)?.clone();
    let id = request.into_inner().sighting_id;
    let row = fetch(context, &id)
        .await?
        .filter(|row| visible(&caller, row))
        .ok_or(ApiError::NotFound { what: "sighting" })?;
    Ok(pb::GetSightingResponse {
        sighting: Some(row.into_proto()),
    })
}

/// `ListSightings`: newest report first.
pub async fn list(
    context: &ServiceContext,
    request: Request<pb::ListSightingsRequest>,
) -> Result<pb::ListSightingsResponse, ApiError> {
    let caller = caller(&request)?.clone();
    let request = request.into_inner();
    let limit = page_size(request.page_size, DEFAULT_PAGE, MAX_PAGE)?;
    let (after_at, after_id) = decode_time_token(&request.page_token)?;
    // Bodies that act on sightings list by division; reporters list what they reported (exact
    // match on the reporter: unit ids may contain `_`, a LIKE wildcard).
    let (division_pattern, reporter_kind, reporter_unit) = if sees_by_division(&caller) {
        let pattern = match scope::list_division(&caller, &request.division)? {
            Some(division) => division,
            None => scope::like_pattern(&caller.division),
        };
        (pattern, String::new(), String::new())
    } else {
        let pattern = if request.division.is_empty() {
            "%".to_owned()
        } else {
            request.division.clone()
        };
        (
            pattern,
            caller.kind.as_str().to_owned(),
            caller.unit.clone(),
        )
    };
    let sql = format!(
        "SELECT {COLUMNS} FROM sightings \
         WHERE division LIKE $1 AND ($2 = '' OR reported_by_kind = $2) \
         AND ($3 = '' OR reported_by_unit = $3) \
         AND (reported_at < $4 OR (reported_at = $4 AND id < $5)) \
         ORDER BY reported_at DESC, id DESC LIMIT $6"
    );
    let mut rows = with_db!(&context.db, |pool| {
        sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(&division_pattern)
            .bind(&reporter_kind)
            .bind(&reporter_unit)
            .bind(after_at)
            .bind(&after_id)
            .bind(limit + 1)
            .fetch_all(pool)
            .await
    })?;
    let next_page_token =
        next_time_token(&mut rows, limit, |row| (row.reported_at, row.id.as_str()));
    Ok(pb::ListSightingsResponse {
        sightings: rows.into_iter().map(Row::into_proto).collect(),
        next_page_token,
    })
}
