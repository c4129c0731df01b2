//! `SignAgreement`: the calling station records a new version of its agreement with an
//! institution (any in the city: a station sees every institution). The version is the last one
//! plus one; the institution's row lock serialises two signings for it, and the unique
//! (station, institution, version) key is the backstop.

use chrono::SubsecRound;
use relief_proto::foster::v1 as pb;
use relief_runtime::db::Conn;
use relief_runtime::events::append;
use relief_runtime::time::timestamp;
use relief_runtime::validate::Violations;
use relief_runtime::{ApiError, ServiceContext, caller, idempotency};
use tonic::Request;

use super::AGREEMENT_BEDS_OVER_CAPACITY;
use super::store::{self, AgreementRow, day_text, parse_day};
use crate::institutions::{self, store as institution_store};

/// The longest contract number accepted, in characters.
const MAX_REFERENCE: usize = 200;

/// The largest margin accepted, in basis points (30 %) [product].
pub const MAX_MARGIN_BPS: i32 = 3000;

/// `SignAgreement` (station).
pub async fn sign(
    context: &ServiceContext,
    request: Request<pb::SignAgreementRequest>,
) -> Result<pb::SignAgreementResponse, ApiError> {
    let caller = caller(&request)?.clone();
    let request = request.into_inner();
    let now = context.clock.now().trunc_subsecs(6);
    let mut check = Violations::new();
    let institution_id = check.required_id("institution_id", &request.institution_id);
    let starts_on = parse_day(request.starts_on.trim());
    if starts_on.is_none() {
        check.add("starts_on", "must be a date YYYY-MM-DD");
    }
    let ends_on = parse_day(request.ends_on.trim());
    match (starts_on, ends_on) {
        (_, None) => check.add("ends_on", "must be a date YYYY-MM-DD"),
        (Some(starts), Some(ends)) if ends < starts => {
            check.add("ends_on", "must not be before starts_on");
        }
        _ => {}
    }
    if request.beds < 1 {
        check.add("beds", "must be at least 1");
    }
    if !(0..=MAX_MARGIN_BPS).contains(&request.margin_bps) {
        check.add(
            "margin_bps",
            &format!("must be between 0 and {MAX_MARGIN_BPS} basis points"),
        );
    }
    let reference = check.required_text("reference", &request.reference, MAX_REFERENCE);
    check.finish()?;
    let (Some(starts_on), Some(ends_on)) = (starts_on, ends_on) else {
        return Err(ApiError::invalid_field("starts_on", "must be a date"));
    };
    // The station's division as the units file has it (its county's fee rates apply).
    let station_division = context
        .units
        .get(&caller.unit)
        .map_or_else(|| caller.division.clone(), |unit| unit.division.clone());
    idempotency::run(
        context,
        &caller,
        "/relief.foster.v1.FosterSupervisionService/SignAgreement",
        &request.request_id,
        &request,
        async |tx| {
            institution_store::lock(tx, &institution_id).await?;
            let institution = institution_store::fetch(Conn::Tx(tx), &institution_id)
                .await?
                .filter(|row| institutions::sees(&caller, row))
                .ok_or(ApiError::NotFound {
                    what: "institution",
                })?;
            if request.beds > institution.capacity {
                return Err(ApiError::failed_precondition(
                    AGREEMENT_BEDS_OVER_CAPACITY,
                    format!(
                        "the agreement holds {} beds but the institution has {}",
                        request.beds, institution.capacity
                    ),
                ));
            }
            let version = store::last_version(tx, &caller.unit, &institution.id).await? + 1;
            let row = AgreementRow {
                id: uuid::Uuid::now_v7().to_string(),
                station: caller.unit.clone(),
                station_division: station_division.clone(),
                institution_id: institution.id.clone(),
                version,
                starts_on: day_text(starts_on),
                ends_on: day_text(ends_on),
                beds: request.beds,
                margin_bps: request.margin_bps,
                reference: reference.clone(),
                signed_by: caller.unit.clone(),
                signed_at: now,
                superseded_by: None,
            };
            store::insert(tx, &row).await.map_err(|error| {
                // Another signing took this version (the lock above makes it unlikely).
                if matches!(&error, sqlx::Error::Database(db) if db.is_unique_violation()) {
                    ApiError::unavailable(
                        "CONCURRENT_VERSION",
                        "another version of this agreement was being recorded; retry",
                    )
                } else {
                    error.into()
                }
            })?;
            append(
                tx,
                now,
                &pb::AgreementSigned {
                    agreement_id: row.id.clone(),
                    station: row.station.clone(),
                    station_division: row.station_division.clone(),
                    institution_id: row.institution_id.clone(),
                    version: row.version,
                    starts_on: row.starts_on.clone(),
                    ends_on: row.ends_on.clone(),
                    beds: row.beds,
                    signed_at: Some(timestamp(now)),
                },
            )
            .await?;
            Ok(pb::SignAgreementResponse {
                agreement: Some(row.to_proto()),
            })
        },
    )
    .await
}
