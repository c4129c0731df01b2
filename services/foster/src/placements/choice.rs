//! Whether an institution may take a resident (ApprovePlacement, MoveResident), checked in this
//! order, each a FAILED_PRECONDITION of its own: the institution accepts placements (not
//! suspended, documents valid), an agreement of the sending station with it is in force, the
//! agreement has a free bed, the institution has a free bed, a minor goes only where minors are
//! approved; and a non-government institution needs a justification while a government-run
//! welfare, elderly-care or mental-rehabilitation institution could take the resident (plan
//! §二(一)2: 优先选择政府举办的...).

use chrono::{DateTime, NaiveDate, Utc};
use relief_proto::foster::v1::{AgeGroup, InstitutionKind};
use relief_runtime::db::{Conn, Tx};
use relief_runtime::{ApiError, with_tx};

use super::store::{self, PlacementRow};
use crate::agreements::{self, AgreementRow};
use crate::institutions::accepts_placements;
use crate::institutions::store::{self as institution_store, InstitutionRow, status};

/// No agreement of the sending station with the institution covers the day.
pub const NO_AGREEMENT_IN_FORCE: &str = "NO_AGREEMENT_IN_FORCE";

/// The sending station's residents there fill the agreement's beds.
pub const AGREEMENT_BEDS_FULL: &str = "AGREEMENT_BEDS_FULL";

/// The institution's residents fill its capacity.
pub const INSTITUTION_FULL: &str = "INSTITUTION_FULL";

/// A minor into an institution not approved for minors.
pub const MINORS_NOT_APPROVED: &str = "MINORS_NOT_APPROVED";

/// A non-government institution without a justification while a government-run one could take
/// the resident.
pub const JUSTIFICATION_REQUIRED: &str = "JUSTIFICATION_REQUIRED";

/// The kinds of government-run institution preferred (welfare, elderly care, mental
/// rehabilitation).
const PREFERRED_KINDS: [InstitutionKind; 3] = [
    InstitutionKind::SocialWelfare,
    InstitutionKind::ElderlyCare,
    InstitutionKind::MentalRehabilitation,
];

/// Checks that `institution` may take the resident of `resident` (its station and age group)
/// at `now`, under the agreement in force on local day `day`; `justification` as given
/// (trimmed); `leaving`: the institution a moving resident leaves (never an alternative).
/// Returns the agreement in force.
pub async fn check(
    tx: &mut Tx,
    now: DateTime<Utc>,
    day: NaiveDate,
    institution: &InstitutionRow,
    resident: &PlacementRow,
    justification: &str,
    leaving: Option<&str>,
) -> Result<AgreementRow, ApiError> {
    let agreement = room(tx, now, day, institution, resident).await??;
    if institution.government_run || !justification.is_empty() {
        return Ok(agreement);
    }
    for id in preferred(tx, &institution.id).await? {
        if Some(id.as_str()) == leaving {
            continue;
        }
        let Some(alternative) = institution_store::fetch(Conn::Tx(tx), &id).await? else {
            continue;
        };
        if room(tx, now, day, &alternative, resident).await?.is_ok() {
            return Err(ApiError::failed_precondition(
                JUSTIFICATION_REQUIRED,
                format!(
                    "the government-run institution {} ({}) could take the resident: record \
                     why {} is chosen instead",
                    alternative.name, alternative.id, institution.name
                ),
            ));
        }
    }
    Ok(agreement)
}

/// Whether `institution` has room for the resident: the agreement in force, or the first rule
/// it breaks (the outer error is the database's).
async fn room(
    tx: &mut Tx,
    now: DateTime<Utc>,
    day: NaiveDate,
    institution: &InstitutionRow,
    resident: &PlacementRow,
) -> Result<Result<AgreementRow, ApiError>, sqlx::Error> {
    if let Err(refused) = accepts_placements(institution, now) {
        return Ok(Err(refused));
    }
    let Some(agreement) =
        agreements::in_force(Conn::Tx(tx), &resident.station, &institution.id, day).await?
    else {
        return Ok(Err(ApiError::failed_precondition(
            NO_AGREEMENT_IN_FORCE,
            format!(
                "station {} has no agreement with the institution in force on {day}",
                resident.station
            ),
        )));
    };
    let from_station =
        store::active_from_station(Conn::Tx(tx), &resident.station, &institution.id).await?;
    if from_station >= i64::from(agreement.beds) {
        return Ok(Err(ApiError::failed_precondition(
            AGREEMENT_BEDS_FULL,
            format!(
                "the agreement (version {}) holds {} beds and station {} has {} residents \
                 there",
                agreement.version, agreement.beds, resident.station, from_station
            ),
        )));
    }
    let residents = store::active_in_institution(Conn::Tx(tx), &institution.id).await?;
    if residents >= i64::from(institution.capacity) {
        return Ok(Err(ApiError::failed_precondition(
            INSTITUTION_FULL,
            format!(
                "the institution holds {} residents, its capacity",
                institution.capacity
            ),
        )));
    }
    if resident.age_group == AgeGroup::Minor as i32 && !institution.approved_for_minors {
        return Ok(Err(ApiError::failed_precondition(
            MINORS_NOT_APPROVED,
            "the resident is a minor and the institution is not approved for minors",
        )));
    }
    Ok(Ok(agreement))
}

/// The active government-run institutions of the preferred kinds other than `chosen`, oldest
/// registration first.
async fn preferred(tx: &mut Tx, chosen: &str) -> Result<Vec<String>, sqlx::Error> {
    with_tx!(tx, |c| sqlx::query_scalar::<_, String>(
        "SELECT id FROM institutions WHERE government_run = $1 AND status = $2 \
         AND kind IN ($3, $4, $5) AND id <> $6 ORDER BY registered_at, id"
    )
    .bind(true)
    .bind(status::ACTIVE)
    .bind(PREFERRED_KINDS[0] as i32)
    .bind(PREFERRED_KINDS[1] as i32)
    .bind(PREFERRED_KINDS[2] as i32)
    .bind(chosen)
    .fetch_all(c)
    .await)
}
