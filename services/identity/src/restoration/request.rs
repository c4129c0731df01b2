//! `RequestHouseholdRestoration`: the station holding a case asks a police unit to restore the
//! person's cancelled household registration; one open request per case.

use relief_proto::identity::v1 as pb;
use relief_runtime::db::Conn;
use relief_runtime::events::append;
use relief_runtime::time::timestamp;
use relief_runtime::validate::Violations;
use relief_runtime::{ApiError, ServiceContext, caller, idempotency};
use tonic::Request;

use super::store::{self, RestorationRow, status};
use super::{RESTORATION_REQUESTED_NOTIFICATION, subject};
use crate::files::store as files;
use crate::units;

/// The `FAILED_PRECONDITION` reason of a second open request for a case.
const RESTORATION_ALREADY_REQUESTED: &str = "RESTORATION_ALREADY_REQUESTED";

/// The longest note accepted, in characters.
const MAX_NOTE: usize = 1000;

/// `RequestHouseholdRestoration` (the station holding the case).
pub async fn request(
    context: &ServiceContext,
    request: Request<pb::RequestHouseholdRestorationRequest>,
) -> Result<pb::RequestHouseholdRestorationResponse, ApiError> {
    let caller = caller(&request)?.clone();
    let request = request.into_inner();
    let now = context.clock.now();
    let mut check = Violations::new();
    let case_id = check.required_id("case_id", &request.case_id);
    let police_unit_id = request.police_unit.trim();
    let police_unit = if police_unit_id.is_empty() {
        check.add("police_unit", "is required");
        None
    } else {
        let unit = units::police_unit(context, police_unit_id);
        if unit.is_none() {
            check.add("police_unit", "must be the unit id of a police unit");
        }
        unit
    };
    let note = check.optional_text("note", &request.note, MAX_NOTE);
    check.finish()?;
    let Some(police_unit) = police_unit else {
        return Err(ApiError::invalid_field("police_unit", "is required"));
    };
    idempotency::run(
        context,
        &caller,
        "/relief.identity.v1.IdentityQueryService/RequestHouseholdRestoration",
        &request.request_id,
        &request,
        async |tx| {
            // A case intake's feed has not brought yet is as unknown as another station's.
            let case = files::stay_case(Conn::Tx(tx), &case_id)
                .await?
                .filter(|case| case.station == caller.unit)
                .ok_or(ApiError::NotFound { what: "case" })?;
            if store::open_for_case(tx, &case.case_id).await? {
                return Err(already_requested());
            }
            let row = RestorationRow {
                id: uuid::Uuid::now_v7().to_string(),
                case_id: case.case_id.clone(),
                station: caller.unit.clone(),
                division: case.division.clone(),
                police_unit: police_unit.id.clone(),
                requested_at: now,
                note: note.clone(),
                status: status::REQUESTED,
                restored_at: None,
                restored_division: None,
                warnings: String::new(),
            };
            store::insert(tx, &row).await.map_err(|error| {
                // The partial unique index caught a concurrent request the read could not see.
                if matches!(&error, sqlx::Error::Database(db) if db.is_unique_violation()) {
                    already_requested()
                } else {
                    error.into()
                }
            })?;
            append(
                tx,
                now,
                &pb::HouseholdRestorationRequested {
                    restoration_id: row.id.clone(),
                    case_id: row.case_id.clone(),
                    division: row.division.clone(),
                    police_unit: row.police_unit.clone(),
                    requested_at: Some(timestamp(now)),
                },
            )
            .await?;
            relief_runtime::notifications::tracked(
                context,
                tx,
                now,
                relief_runtime::notifications::Tracked {
                    kind: RESTORATION_REQUESTED_NOTIFICATION.to_owned(),
                    subject: subject(&row.id),
                    division: row.division.clone(),
                    summary: format!(
                        "household restoration {} requested by {} for case {}",
                        row.id, row.station, row.case_id
                    ),
                    recipients: vec![police_unit.caller()],
                },
            )
            .await?;
            Ok(pb::RequestHouseholdRestorationResponse {
                restoration: Some(row.to_proto()),
            })
        },
    )
    .await
}

fn already_requested() -> ApiError {
    ApiError::failed_precondition(
        RESTORATION_ALREADY_REQUESTED,
        "a household restoration of this case is already requested and not yet done",
    )
}
