//! Incidents in institutions (走失, 伤, 亡; plan §二(一)1, §二(二)2): reported at once by the
//! institution holding the resident or the sending station; the sending station, the
//! civil-affairs bureau and the government of the institution's division, and the city
//! civil-affairs bureau are notified, each to acknowledge within
//! `rules.notification_acknowledge_hours` (24 h), else the city bureau is told (once per
//! notification; not of its own silence). The description is stored and returned to those who
//! see the placement, never put in an event or a notification.
//!
//! - [`recipients`]: who is notified and who hears of silence.
//! - [`store`]: the `incidents` table.

mod recipients;
mod store;

use chrono::{DateTime, SubsecRound, Utc};
use relief_proto::foster::v1 as pb;
use relief_runtime::db::Conn;
use relief_runtime::events::append;
use relief_runtime::paging::{decode_time_token, next_time_token, page_size};
use relief_runtime::time::timestamp;
use relief_runtime::validate::Violations;
use relief_runtime::{ApiError, CallerKind, ServiceContext, caller, idempotency};
use tonic::Request;

use crate::placements::PLACEMENT_NOT_ACTIVE;
use crate::placements::store::{self as placements, PlacementRow};
use relief_runtime::notifications::{Notice, issue_each};
use store::{IncidentRow, ListFilter};

/// The notification kind of an incident.
pub const INCIDENT_NOTIFICATION: &str = "INCIDENT_REPORTED";

/// The longest description accepted, in characters.
const MAX_DESCRIPTION: usize = 2000;

const DEFAULT_PAGE: i64 = 50;
const MAX_PAGE: i64 = 500;

/// The incident in words for a notification summary (never the description, which may name
/// people).
fn kind_words(kind: pb::IncidentKind) -> &'static str {
    match kind {
        pb::IncidentKind::Missing => "went missing",
        pb::IncidentKind::Injury => "was injured",
        pb::IncidentKind::Death => "died",
        pb::IncidentKind::Unspecified => "had an incident",
    }
}

/// Whether an incident at `occurred_at` befell the resident while in care under `placement`:
/// not before `placed_at` (INVALID_ARGUMENT on `occurred_at`); an active placement takes any
/// later instant, an ended one only instants before `ended_at` (a death or disappearance the
/// station recorded first is still reported by the institution); anything else is
/// PLACEMENT_NOT_ACTIVE.
fn check_in_care(placement: &PlacementRow, occurred_at: DateTime<Utc>) -> Result<(), ApiError> {
    let Some(placed_at) = placement.placed_at else {
        return Err(ApiError::failed_precondition(
            PLACEMENT_NOT_ACTIVE,
            "the resident is not in the institution: the placement was never approved",
        ));
    };
    if occurred_at < placed_at {
        return Err(ApiError::invalid_field(
            "occurred_at",
            "must not be before the placement",
        ));
    }
    if placement.is_active() {
        return Ok(());
    }
    match placement.ended_at {
        Some(ended_at) if occurred_at < ended_at => Ok(()),
        Some(_) => Err(ApiError::failed_precondition(
            PLACEMENT_NOT_ACTIVE,
            "the resident had left the institution when the incident occurred: the placement \
             ended before it",
        )),
        None => Err(ApiError::failed_precondition(
            PLACEMENT_NOT_ACTIVE,
            "the resident is not in the institution: the placement is not active",
        )),
    }
}

/// `ReportFosterIncident`: the institution holding (or having held) the resident, or the
/// sending station, reports an incident that befell the resident in care ([`check_in_care`]).
pub async fn report(
    context: &ServiceContext,
    request: Request<pb::ReportFosterIncidentRequest>,
) -> Result<pb::ReportFosterIncidentResponse, ApiError> {
    let caller = caller(&request)?.clone();
    let request = request.into_inner();
    let now = context.clock.now().trunc_subsecs(6);
    let mut check = Violations::new();
    let placement_id = check.required_id("placement_id", &request.placement_id);
    let kind = check.required_enum("kind", pb::IncidentKind::try_from(request.kind));
    let occurred_at = check
        .past_instant("occurred_at", request.occurred_at.as_ref(), now)
        .trunc_subsecs(6);
    let description = check.required_text("description", &request.description, MAX_DESCRIPTION);
    check.finish()?;
    let incident_id = uuid::Uuid::now_v7().to_string();
    idempotency::run(
        context,
        &caller,
        "/relief.foster.v1.FosterSupervisionService/ReportFosterIncident",
        &request.request_id,
        &request,
        async |tx| {
            // Against a concurrent end of the placement (PostgreSQL; SQLite has one writer).
            placements::lock(tx, &placement_id).await?;
            let placement =
                crate::placements::fetch_visible(Conn::Tx(tx), &caller, &placement_id).await?;
            if !matches!(caller.kind, CallerKind::Foster | CallerKind::Station) {
                return Err(ApiError::NotFound { what: "placement" });
            }
            check_in_care(&placement, occurred_at)?;
            let institution_id = placement.institution().to_owned();
            let division = placement
                .institution_division
                .clone()
                .unwrap_or_else(|| placement.division.clone());
            let notice = Notice {
                kind: INCIDENT_NOTIFICATION,
                subject: format!("incident/{incident_id}"),
                division: division.clone(),
                summary: format!(
                    "the resident of case {} in institution {institution_id} {}: acknowledge \
                     within {} hours",
                    placement.case_number,
                    kind_words(kind),
                    context.config.rules.notification_acknowledge_hours
                ),
                acknowledge_by: relief_legal::hours(
                    now,
                    context.config.rules.notification_acknowledge_hours,
                ),
            };
            let notification_ids = issue_each(
                context,
                tx,
                &notice,
                &recipients::incident_recipients(context, &placement, &caller),
                &recipients::incident_escalation(context),
            )
            .await?;
            let row = IncidentRow {
                id: incident_id.clone(),
                placement_id: placement.id.clone(),
                institution_id,
                division,
                station: placement.station.clone(),
                case_division: placement.division.clone(),
                kind: kind as i32,
                occurred_at,
                description: description.clone(),
                reported_by: caller.unit.clone(),
                reported_at: now,
                notification_ids: notification_ids.join("\n"),
            };
            store::insert(tx, &row).await?;
            append(
                tx,
                now,
                &pb::IncidentReported {
                    incident_id: row.id.clone(),
                    placement_id: row.placement_id.clone(),
                    institution_id: row.institution_id.clone(),
                    division: row.division.clone(),
                    kind: row.kind,
                    occurred_at: Some(timestamp(row.occurred_at)),
                    reported_at: Some(timestamp(now)),
                },
            )
            .await?;
            Ok(pb::ReportFosterIncidentResponse {
                incident: Some(row.to_proto()),
            })
        },
    )
    .await
}

/// `ListFosterIncidents`: latest report first, in the placement scope
/// (`crate::placements::ListScope`) widened for civil affairs and governments: the institution,
/// the sending station, civil affairs and governments covering the case's division or the
/// institution's division (those notified of the incident).
pub async fn list(
    context: &ServiceContext,
    request: Request<pb::ListFosterIncidentsRequest>,
) -> Result<pb::ListFosterIncidentsResponse, ApiError> {
    let caller = caller(&request)?.clone();
    let request = request.into_inner();
    let limit = page_size(request.page_size, DEFAULT_PAGE, MAX_PAGE)?;
    let (after_at, after_id) = decode_time_token(&request.page_token)?;
    let mut filter = ListFilter {
        division_pattern: "%".to_owned(),
        placement_id: request.placement_id.trim().to_owned(),
        only_institution: request.institution_id.trim().to_owned(),
        ..ListFilter::default()
    };
    let scope = crate::placements::ListScope::of(&caller, "incidents")?;
    filter.institution_id = scope.institution_id;
    filter.station = scope.station;
    filter.division_pattern = scope.division_pattern;
    let mut rows = store::list(&context.db, &filter, (after_at, &after_id), limit + 1).await?;
    let next_page_token =
        next_time_token(&mut rows, limit, |row| (row.reported_at, row.id.as_str()));
    Ok(pb::ListFosterIncidentsResponse {
        incidents: rows.iter().map(IncidentRow::to_proto).collect(),
        next_page_token,
    })
}
