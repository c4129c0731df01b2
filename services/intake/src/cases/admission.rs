//! Admission (求助登记): a station registers a person and opens the case of one stay, in one
//! transaction with its number, its repeat links, its events and its 10-day deadline.

use chrono::{DateTime, Datelike, Utc};
use relief_proto::intake::v1 as pb;
use relief_runtime::db::Tx;
use relief_runtime::events::append;
use relief_runtime::personal_data::{self, BlindIndexKind, PersonalData};
use relief_runtime::time::timestamp;
use relief_runtime::{ApiError, Caller, ServiceContext, caller, idempotency, with_tx};
use tonic::Request;

use super::convert::{self, Admission};
use super::store::{self, CaseRow};
use super::{repeat, stay};
use crate::{flags, units};

/// The `FAILED_PRECONDITION` reason of a referral naming an encounter that does not fit it.
const REFERRAL_ENCOUNTER_MISMATCH: &str = "REFERRAL_ENCOUNTER_MISMATCH";

/// `AdmitPerson`.
pub async fn admit(
    context: &ServiceContext,
    request: Request<pb::AdmitPersonRequest>,
) -> Result<pb::AdmitPersonResponse, ApiError> {
    let caller = caller(&request)?.clone();
    let request = request.into_inner();
    let keys = personal_data::require(context.personal_data.as_deref())?;
    let now = context.clock.now();
    let admission = Admission::from_request(&request, now)?;
    let index_opt = admission
        .id_number
        .as_ref()
        .map(|id| keys.blind_index(BlindIndexKind::IdNumber, id.as_str()))
        .transpose()?;
    let mut response = idempotency::run(
        context,
        &caller,
        "/relief.intake.v1.IntakeService/AdmitPerson",
        &request.request_id,
        &request,
        async |tx| {
            check_referral(context, tx, &caller, &admission).await?;
            let case = open_case(tx, now, &caller, &admission, keys, index_opt.as_deref()).await?;
            Ok(pb::AdmitPersonResponse { case: Some(case) })
        },
    )
    .await?;
    // The stored response (the idempotency key's row) holds no personal data: the person goes
    // back to the station from its own request, which a retry repeats exactly.
    if let Some(case) = response.case.as_mut() {
        case.person = Some(admission.person.to_proto());
        case.person_omitted = false;
    }
    Ok(response)
}

/// Writes the case, its links, its events and its deadline; returns it without the person.
async fn open_case(
    tx: &mut Tx,
    now: DateTime<Utc>,
    caller: &Caller,
    admission: &Admission,
    keys: &PersonalData,
    index_opt: Option<&str>,
) -> Result<pb::Case, ApiError> {
    // Fixed before encrypting: the ciphertext is bound to it.
    let id = uuid::Uuid::now_v7().to_string();
    let year = convert::china_date(admission.admitted_at).year();
    let sequence = store::next_sequence(tx, &caller.division, year).await?;
    let mut earlier = match index_opt {
        Some(index) => repeat::earlier_cases(tx, index).await?,
        None => Vec::new(),
    };
    // Departure slice: a transfer continues the same stay, so the cases it continues are not
    // earlier stays (not repeat vagrancy).
    if let Some(from) = &admission.transferred_from_case_id {
        let chain = crate::departure::transfer_chain(tx, from).await?;
        earlier.retain(|case_id| !chain.contains(case_id));
    }
    let row = CaseRow {
        case_number: format!("{}-{year}-{sequence:06}", caller.division),
        station: caller.unit.clone(),
        division: caller.division.clone(),
        admitted_at: admission.admitted_at,
        referral: admission.referral as i32,
        referral_encounter_id: admission.referral_encounter_id.clone(),
        identity_status: admission.identity_status as i32,
        flags: flags::to_bits(&admission.flags),
        status: pb::CaseStatus::InStation as i32,
        origin_division: admission.origin_division.clone(),
        belongings: admission.belongings.join("\n"),
        health_check: admission.health_check.clone(),
        ten_day_rule_applies: admission.ten_day_rule_applies,
        over_ten_days_since: None,
        long_stay_reason: None,
        long_stay_justified_at: None,
        person: admission.person.encrypt(keys, &id)?,
        id_number_index: index_opt.map(str::to_owned),
        warnings: admission.warnings.join("\n"),
        created_at: now,
        turns_16_at: admission.turns_16_at,
        transferred_from_case_id: admission.transferred_from_case_id.clone(),
        placement_id: None,
        institution_id: None,
        institution_division: None,
        proposed_placement_id: None,
        id,
    };
    store::insert(tx, &row).await?;
    append(
        tx,
        now,
        &pb::PersonAdmitted {
            case_id: row.id.clone(),
            station: row.station.clone(),
            division: row.division.clone(),
            admitted_at: Some(timestamp(row.admitted_at)),
            referral: row.referral,
            identity_status: row.identity_status,
            flags: Some(admission.flags),
            origin_division: row.origin_division.clone(),
            ten_day_rule_applies: row.ten_day_rule_applies,
            repeat_of_case_ids: earlier.clone(),
            // Departure slice: identity continues that case's file and clocks.
            continues_case_id: row.transferred_from_case_id.clone().unwrap_or_default(),
        },
    )
    .await?;
    repeat::link(tx, now, &row.id, &earlier, &row.origin_division).await?;
    if row.ten_day_rule_applies {
        stay::schedule(tx, now, &row).await?;
    }
    Ok(convert::to_proto(&row, earlier))
}

/// A handover referral names an encounter escorted to the calling station; a hospital referral
/// an acute-illness encounter in the station's division (or one it is the local station of).
/// NOT_FOUND for an encounter that does not exist, FAILED_PRECONDITION for one that does not fit.
async fn check_referral(
    context: &ServiceContext,
    tx: &mut Tx,
    caller: &Caller,
    admission: &Admission,
) -> Result<(), ApiError> {
    // Departure slice: a transfer names the case the sending station closed.
    if let Some(case_id) = &admission.transferred_from_case_id {
        return crate::departure::check_transfer(tx, caller, case_id).await;
    }
    let Some(encounter_id) = &admission.referral_encounter_id else {
        return Ok(());
    };
    let encounter: Option<(i32, Option<String>, String)> = with_tx!(tx, |conn| {
        sqlx::query_as("SELECT outcome, receiving_station, division FROM encounters WHERE id = $1")
            .bind(encounter_id)
            .fetch_optional(conn)
            .await
    })?;
    let (outcome, receiving_station_opt, division) =
        encounter.ok_or(ApiError::NotFound { what: "encounter" })?;
    // The encounters a station holds: those escorted to it, and acute illnesses in its
    // division. Any other encounter answers NOT_FOUND, so its existence does not leak.
    let escorted_here = outcome == pb::EncounterOutcome::Escorted as i32
        && receiving_station_opt.as_deref() == Some(caller.unit.as_str());
    let ill_here = outcome == pb::EncounterOutcome::AcuteIllness as i32
        && (division == caller.division
            || units::local_station(context, &division)
                .is_some_and(|station| station.unit == caller.unit));
    if !escorted_here && !ill_here {
        return Err(ApiError::NotFound { what: "encounter" });
    }
    let fits = match admission.referral {
        pb::Referral::Handover => escorted_here,
        pb::Referral::Hospital => ill_here,
        _ => true,
    };
    if fits {
        Ok(())
    } else {
        Err(ApiError::failed_precondition(
            REFERRAL_ENCOUNTER_MISMATCH,
            "a handover referral needs an encounter escorted to this station; a hospital \
             referral an acute-illness encounter in this station's division",
        ))
    }
}
