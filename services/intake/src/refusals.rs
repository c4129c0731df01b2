//! Refusals of relief (不予救助): a station that does not admit a person who asked for relief
//! records the reason it gave in the refusal notice. No case opens; the event lets reporting
//! count refusals per station.

use relief_proto::intake::v1 as pb;
use relief_runtime::events::append;
use relief_runtime::time::timestamp;
use relief_runtime::{ApiError, ServiceContext, caller, idempotency, with_tx};
use tonic::Request;

use crate::flags;
use relief_runtime::validate::Violations;

/// `RecordReliefRefusal`.
pub async fn record(
    context: &ServiceContext,
    request: Request<pb::RecordReliefRefusalRequest>,
) -> Result<pb::RecordReliefRefusalResponse, ApiError> {
    let caller = caller(&request)?.clone();
    let request = request.into_inner();
    let now = context.clock.now();
    let mut check = Violations::new();
    let decided_at = check.past_instant("decided_at", request.decided_at.as_ref(), now);
    let reason = check.required_text("reason", &request.reason, 1000);
    let referral = match pb::Referral::try_from(request.referral) {
        Ok(pb::Referral::Unspecified) => pb::Referral::WalkIn,
        Ok(referral) => referral,
        Err(_) => {
            check.add("referral", "is not a known value");
            pb::Referral::WalkIn
        }
    };
    let encounter_id =
        check.optional_text("referral_encounter_id", &request.referral_encounter_id, 64);
    check.finish()?;
    let person_flags = request.flags.unwrap_or_default();
    idempotency::run(
        context,
        &caller,
        "/relief.intake.v1.IntakeService/RecordReliefRefusal",
        &request.request_id,
        &request,
        async |tx| {
            let refusal = pb::ReliefRefusal {
                refusal_id: uuid::Uuid::now_v7().to_string(),
                station: caller.unit.clone(),
                division: caller.division.clone(),
                decided_at: Some(timestamp(decided_at)),
                reason: reason.clone(),
                referral: referral as i32,
                referral_encounter_id: encounter_id.clone(),
                flags: Some(person_flags),
            };
            with_tx!(tx, |conn| {
                sqlx::query(
                    "INSERT INTO relief_refusals (id, station, division, decided_at, reason, \
                     referral, referral_encounter_id, flags, recorded_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                )
                .bind(&refusal.refusal_id)
                .bind(&refusal.station)
                .bind(&refusal.division)
                .bind(decided_at)
                .bind(&refusal.reason)
                .bind(refusal.referral)
                .bind((!encounter_id.is_empty()).then_some(&encounter_id))
                .bind(flags::to_bits(&person_flags))
                .bind(now)
                .execute(conn)
                .await
                .map(|_| ())
            })?;
            append(
                tx,
                now,
                &pb::ReliefRefused {
                    refusal_id: refusal.refusal_id.clone(),
                    station: refusal.station.clone(),
                    division: refusal.division.clone(),
                    decided_at: refusal.decided_at,
                    referral: refusal.referral,
                    flags: Some(person_flags),
                },
            )
            .await?;
            Ok(pb::RecordReliefRefusalResponse {
                refusal: Some(refusal),
            })
        },
    )
    .await
}
