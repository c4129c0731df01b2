//! The proto boundary of cases: an `AdmitPersonRequest` checked into an [`Admission`] (every bad
//! field reported at once, INVALID_ARGUMENT naming it as in the proto), and a stored row turned
//! back into a `Case`.

use chrono::{DateTime, Datelike, NaiveDate, SubsecRound, Utc};
use relief_legal::IdNumber;
use relief_proto::intake::v1 as pb;
use relief_runtime::ApiError;
use relief_runtime::time::{timestamp, timestamp_opt};

use super::person::PersonRecord;
use super::stay;
use super::store::CaseRow;
use crate::flags;
use relief_runtime::validate::Violations;

/// Longest accepted name, in characters.
const MAX_NAME: usize = 100;
/// Longest accepted address, health check, cause or relatives text, in characters.
const MAX_ADDRESS: usize = 500;
const MAX_TEXT: usize = 2000;
/// Belongings: at most this many items of at most this many characters.
const MAX_BELONGINGS: usize = 200;
const MAX_BELONGING_CHARS: usize = 200;
/// Oldest plausible age in years.
const MAX_AGE: i32 = 130;

/// A checked admission: what a new case stores.
#[derive(Debug, Clone)]
pub struct Admission {
    /// The person, normalised; personal data.
    pub person: PersonRecord,
    /// The parsed ID number, if one was given.
    pub id_number: Option<IdNumber>,
    /// When the person was admitted (microsecond precision, as both backends store it).
    pub admitted_at: DateTime<Utc>,
    pub referral: pb::Referral,
    /// For HANDOVER and HOSPITAL.
    pub referral_encounter_id: Option<String>,
    /// For TRANSFER: the case this stay continues (departure slice).
    pub transferred_from_case_id: Option<String>,
    pub identity_status: pb::IdentityStatus,
    pub flags: pb::VulnerableFlags,
    pub belongings: Vec<String>,
    pub health_check: String,
    /// The household division, else the ID number's division, else empty.
    pub origin_division: String,
    pub ten_day_rule_applies: bool,
    /// From when the person is 16 (`crate::departure::turns_16_at`; departure slice).
    pub turns_16_at: Option<DateTime<Utc>>,
    /// `UNKNOWN_DIVISION_CODE: <field>` for each unknown division code.
    pub warnings: Vec<String>,
}

impl Admission {
    /// Checks `request` as of `now`.
    pub fn from_request(
        request: &pb::AdmitPersonRequest,
        now: DateTime<Utc>,
    ) -> Result<Admission, ApiError> {
        let today = china_date(now);
        let mut check = Violations::new();
        let mut warnings = Vec::new();
        let given = request.person.clone().unwrap_or_default();

        let name = check.optional_text("person.name", &given.name, MAX_NAME);
        if pb::Sex::try_from(given.sex).is_err() {
            check.add("person.sex", "is not a known value");
        }
        let birth_date = birth_date(&mut check, &given.birth_date, today);
        if !(0..=MAX_AGE).contains(&given.estimated_age) {
            check.add(
                "person.estimated_age",
                &format!("must be between 0 (unknown) and {MAX_AGE}"),
            );
        }
        let id_number = check.id_number("person.id_number", &given.id_number, today, &mut warnings);
        let household_division = if given.household_division.trim().is_empty() {
            String::new()
        } else {
            check.division(
                "person.household_division",
                &given.household_division,
                &mut warnings,
            )
        };
        let household_address = check.optional_text(
            "person.household_address",
            &given.household_address,
            MAX_ADDRESS,
        );
        let cause = check.optional_text("person.cause", &given.cause, MAX_TEXT);
        let relatives = check.optional_text("person.relatives", &given.relatives, MAX_TEXT);

        let admitted_at = check
            .past_instant("admitted_at", request.admitted_at.as_ref(), now)
            .trunc_subsecs(6);
        let referral = check.required_enum("referral", pb::Referral::try_from(request.referral));
        let referral_encounter_id =
            referral_encounter(&mut check, referral, &request.referral_encounter_id);
        // Departure slice: a TRANSFER names the case it continues.
        let transferred_from_case_id =
            transferred_from(&mut check, referral, &request.transferred_from_case_id);
        let identity_status = check.required_enum(
            "identity_status",
            pb::IdentityStatus::try_from(request.identity_status),
        );
        let belongings: Vec<String> = request
            .belongings
            .iter()
            .map(|item| item.trim().to_owned())
            .filter(|item| !item.is_empty())
            .collect();
        if belongings.len() > MAX_BELONGINGS
            || belongings.iter().any(|item| {
                item.chars().count() > MAX_BELONGING_CHARS || item.contains(char::is_control)
            })
        {
            check.add(
                "belongings",
                &format!(
                    "at most {MAX_BELONGINGS} items, each one line of at most \
                     {MAX_BELONGING_CHARS} characters"
                ),
            );
        }
        let health_check = check.optional_text("health_check", &request.health_check, MAX_TEXT);
        check.finish()?;

        let mut flags = request.flags.unwrap_or_default();
        let admitted_on = china_date(admitted_at);
        let age = birth_date
            .map(|birth| completed_years(birth, admitted_on))
            .or_else(|| (given.estimated_age > 0).then_some(given.estimated_age))
            .or_else(|| {
                id_number
                    .as_ref()
                    .map(|id| completed_years(id.birth_date(), admitted_on))
            });
        // The vulnerable groups follow from a known age, whatever the flags said: reporting
        // counts admissions by group from these flags.
        if let Some(age) = age {
            flags.minor |= age < 18;
            flags.elderly |= age >= 60;
        }
        let origin_division = if household_division.is_empty() {
            id_number
                .as_ref()
                .map(|id| id.division_code().to_owned())
                .unwrap_or_default()
        } else {
            household_division.clone()
        };
        let person = PersonRecord {
            name,
            sex: given.sex,
            birth_date: birth_date.map(|d| d.to_string()).unwrap_or_default(),
            estimated_age: given.estimated_age,
            id_number: id_number
                .as_ref()
                .map(|id| id.as_str().to_owned())
                .unwrap_or_default(),
            household_division,
            household_address,
            cause,
            relatives,
        };
        // Departure slice: the same sources, in the same order, as `age` above.
        let turns_16_at = crate::departure::turns_16_at(
            birth_date,
            given.estimated_age,
            id_number.as_ref().map(IdNumber::birth_date),
            admitted_at,
        );
        Ok(Admission {
            person,
            id_number,
            admitted_at,
            referral,
            referral_encounter_id,
            transferred_from_case_id,
            identity_status,
            flags,
            belongings,
            health_check,
            origin_division,
            ten_day_rule_applies: stay::ten_day_rule_applies(age, &flags),
            turns_16_at,
            warnings,
        })
    }
}

/// The China local date of `instant` (Asia/Shanghai, UTC+8).
pub fn china_date(instant: DateTime<Utc>) -> NaiveDate {
    instant.with_timezone(&relief_legal::china()).date_naive()
}

/// Age in completed years (周岁) on `date`; 0 before the birth date.
fn completed_years(birth: NaiveDate, date: NaiveDate) -> i32 {
    let mut years = date.year() - birth.year();
    if (date.month(), date.day()) < (birth.month(), birth.day()) {
        years -= 1;
    }
    years.max(0)
}

/// An optional `YYYY-MM-DD` birth date, a real date not after `today` nor before 1900.
fn birth_date(check: &mut Violations, value: &str, today: NaiveDate) -> Option<NaiveDate> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    let field = "person.birth_date";
    let Ok(date) = NaiveDate::parse_from_str(value, "%Y-%m-%d") else {
        check.add(field, "must be a real date written YYYY-MM-DD");
        return None;
    };
    if value.len() != 10 {
        check.add(field, "must be a real date written YYYY-MM-DD");
        None
    } else if date > today {
        check.add(field, "must not be in the future");
        None
    } else if date.year() < 1900 {
        check.add(field, "must not be before 1900");
        None
    } else {
        Some(date)
    }
}

/// The referral encounter: required for a handover or hospital referral, absent for a walk-in.
fn referral_encounter(
    check: &mut Violations,
    referral: pb::Referral,
    value: &str,
) -> Option<String> {
    let field = "referral_encounter_id";
    match referral {
        pb::Referral::Handover | pb::Referral::Hospital => Some(check.required_id(field, value)),
        // Departure slice: a transfer names a case, not an encounter.
        pb::Referral::WalkIn | pb::Referral::Transfer if !value.trim().is_empty() => {
            check.add(field, "must be empty for a walk-in or a transfer");
            None
        }
        _ => None,
    }
}

/// Departure slice: the case a TRANSFER continues, required for a transfer and empty otherwise.
fn transferred_from(check: &mut Violations, referral: pb::Referral, value: &str) -> Option<String> {
    let field = "transferred_from_case_id";
    match referral {
        pb::Referral::Transfer => Some(check.required_id(field, value)),
        _ if !value.trim().is_empty() => {
            check.add(field, "must be empty unless the referral is a transfer");
            None
        }
        _ => None,
    }
}

/// The case of `row` with its repeat links, without the person (`person_omitted` false: the
/// caller decides).
pub fn to_proto(row: &CaseRow, repeat_of_case_ids: Vec<String>) -> pb::Case {
    pb::Case {
        case_id: row.id.clone(),
        case_number: row.case_number.clone(),
        station: row.station.clone(),
        division: row.division.clone(),
        admitted_at: Some(timestamp(row.admitted_at)),
        referral: row.referral,
        referral_encounter_id: row.referral_encounter_id.clone().unwrap_or_default(),
        identity_status: row.identity_status,
        flags: Some(flags::from_bits(row.flags)),
        status: row.status,
        origin_division: row.origin_division.clone(),
        belongings: lines(&row.belongings),
        health_check: row.health_check.clone(),
        ten_day_rule_applies: row.ten_day_rule_applies,
        over_ten_days_since: timestamp_opt(row.over_ten_days_since),
        long_stay_reason: row.long_stay_reason.clone().unwrap_or_default(),
        repeat_of_case_ids,
        person: None,
        person_omitted: false,
        warnings: lines(&row.warnings),
        transferred_from_case_id: row.transferred_from_case_id.clone().unwrap_or_default(),
        placement_id: row.placement_id.clone().unwrap_or_default(),
        institution_id: row.institution_id.clone().unwrap_or_default(),
        proposed_placement_id: row.proposed_placement_id.clone().unwrap_or_default(),
    }
}

/// The non-empty lines of a stored list.
fn lines(text: &str) -> Vec<String> {
    text.split('\n')
        .filter(|line| !line.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn completed_years_count_from_the_birthday() {
        assert_eq!(completed_years(day("2010-03-01"), day("2026-02-28")), 15);
        assert_eq!(completed_years(day("2010-03-01"), day("2026-03-01")), 16);
        assert_eq!(completed_years(day("2030-01-01"), day("2026-03-01")), 0);
    }

    #[test]
    fn a_china_date_turns_eight_hours_before_utc() {
        let instant = DateTime::parse_from_rfc3339("2025-12-31T16:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(china_date(instant), day("2026-01-01"));
    }
}
