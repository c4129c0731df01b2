//! "A person under 16 leaves only with a guardian or an escort" [national], decided without
//! decrypting the person: at admission the case stores `turns_16_at`, the instant from which the
//! person is 16, and a departure compares its own instant with it.

use chrono::{DateTime, Datelike, Months, NaiveDate, NaiveTime, TimeZone, Utc};

/// The age from which a person may leave alone [national].
const LEAVES_ALONE_FROM_AGE: u32 = 16;

/// The instant from which the person is 16, from the same sources (and in the same order) as the
/// age of the 10-day rule: the birth date, else the estimated age (counted as the latest
/// birthday it allows, so a child is never taken for older), else the ID number's birth date.
/// `None` when the age is unknown. For a person already 16 at admission it is `admitted_at`
/// itself: the column then says "16 by admission" and never tells an adult's birth date.
pub fn turns_16_at(
    birth_date_opt: Option<NaiveDate>,
    estimated_age: i32,
    id_birth_date_opt: Option<NaiveDate>,
    admitted_at: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let admitted_on = china_date(admitted_at);
    let sixteenth_birthday = match (birth_date_opt, estimated_age) {
        (Some(birth), _) => sixteenth_birthday(birth),
        (None, age) if age > 0 => {
            let years_left = LEAVES_ALONE_FROM_AGE.saturating_sub(age.unsigned_abs());
            admitted_on.checked_add_months(Months::new(12 * years_left))
        }
        (None, _) => id_birth_date_opt.and_then(sixteenth_birthday),
    };
    let age_known = birth_date_opt.is_some() || estimated_age > 0 || id_birth_date_opt.is_some();
    if !age_known {
        return None;
    }
    // A date past chrono's range is far in the future: the person is a child for good.
    let turns = sixteenth_birthday.map_or(DateTime::<Utc>::MAX_UTC, start_of_china_day);
    Some(turns.max(admitted_at))
}

/// Whether a person who leaves at `departed_at` is under 16: by `turns_16_at` when the age is
/// known; otherwise only if the `minor` flag is set (the station then knows a child when it sees
/// one, and the rule applies, since 16 and 17 cannot be told from "minor").
pub fn under_16(
    turns_16_at_opt: Option<DateTime<Utc>>,
    minor_flag: bool,
    departed_at: DateTime<Utc>,
) -> bool {
    match turns_16_at_opt {
        Some(turns) => departed_at < turns,
        None => minor_flag,
    }
}

/// The 16th birthday (周岁) of a person born on `birth`; for 29 February in a common year,
/// 1 March (the day the age in completed years changes).
fn sixteenth_birthday(birth: NaiveDate) -> Option<NaiveDate> {
    let year = birth
        .year()
        .checked_add(i32::try_from(LEAVES_ALONE_FROM_AGE).ok()?)?;
    NaiveDate::from_ymd_opt(year, birth.month(), birth.day())
        .or_else(|| NaiveDate::from_ymd_opt(year, 3, 1))
}

fn china_date(instant: DateTime<Utc>) -> NaiveDate {
    instant.with_timezone(&relief_legal::china()).date_naive()
}

/// 00:00 China time of `date`.
fn start_of_china_day(date: NaiveDate) -> DateTime<Utc> {
    relief_legal::china()
        .from_local_datetime(&date.and_time(NaiveTime::MIN))
        .single()
        .map_or(DateTime::<Utc>::MAX_UTC, |local| local.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn a_birth_date_gives_the_local_midnight_of_the_sixteenth_birthday() {
        let admitted = at("2026-01-10T02:00:00Z");
        let turns = turns_16_at(Some(day("2010-03-01")), 0, None, admitted).unwrap();
        assert_eq!(turns, at("2026-02-28T16:00:00Z"));
        assert!(under_16(Some(turns), false, at("2026-02-28T15:59:59Z")));
        assert!(!under_16(Some(turns), false, turns));
    }

    #[test]
    fn an_adult_gets_the_admission_instant_and_no_birth_date() {
        let admitted = at("2026-01-10T02:00:00Z");
        assert_eq!(
            turns_16_at(Some(day("1980-05-05")), 0, None, admitted),
            Some(admitted)
        );
        assert_eq!(turns_16_at(None, 40, None, admitted), Some(admitted));
        assert_eq!(
            turns_16_at(None, 0, Some(day("2009-01-01")), admitted),
            Some(admitted)
        );
        assert!(!under_16(Some(admitted), true, admitted));
    }

    #[test]
    fn an_estimated_age_counts_the_latest_birthday_it_allows() {
        let admitted = at("2026-01-10T02:00:00Z");
        let turns = turns_16_at(None, 12, None, admitted).unwrap();
        assert_eq!(turns, at("2030-01-09T16:00:00Z"));
    }

    #[test]
    fn the_birth_date_comes_before_the_estimate_and_the_id_number() {
        let admitted = at("2026-01-10T02:00:00Z");
        assert_eq!(
            turns_16_at(
                Some(day("1990-01-01")),
                10,
                Some(day("2015-01-01")),
                admitted
            ),
            Some(admitted)
        );
        let from_id = turns_16_at(None, 0, Some(day("2015-06-01")), admitted).unwrap();
        assert_eq!(from_id, at("2031-05-31T16:00:00Z"));
    }

    #[test]
    fn an_unknown_age_leaves_it_to_the_minor_flag() {
        let admitted = at("2026-01-10T02:00:00Z");
        assert_eq!(turns_16_at(None, 0, None, admitted), None);
        assert!(under_16(None, true, admitted));
        assert!(!under_16(None, false, admitted));
    }

    #[test]
    fn a_leap_day_birthday_turns_on_the_first_of_march() {
        assert_eq!(
            sixteenth_birthday(day("2012-02-29")),
            Some(day("2028-02-29"))
        );
        assert_eq!(
            sixteenth_birthday(day("2008-02-29")),
            Some(day("2024-02-29"))
        );
        assert_eq!(
            sixteenth_birthday(day("2084-02-29")),
            Some(day("2100-03-01"))
        );
    }
}
