//! The calendar months of supervision (local time, UTC+8): which month an instant falls in, the
//! visit deadline (the month's end), the report deadline (24:00 of the 5th working day of the
//! next month), and which months a placement owes or may report on. Pure; unit-tested here.

use std::fmt;

use chrono::{DateTime, Datelike, Utc};
use relief_legal::HolidayCalendar;
use relief_runtime::ApiError;

/// The working day of the next month by whose end a month's report is due (DOMAIN.md,
/// "Deadlines and escalations": the 5th [product]).
pub const REPORT_WORKING_DAY: u32 = 5;

/// A calendar month, `YYYY-MM` in text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    year: i32,
    month: u32,
}

impl Month {
    /// The local calendar month containing `instant`.
    pub fn of(instant: DateTime<Utc>) -> Month {
        let date = crate::institutions::today(instant);
        Month {
            year: date.year(),
            month: date.month(),
        }
    }

    /// `YYYY-MM` (four-digit year from 1000, month 01-12); `None` for anything else.
    pub fn parse(text: &str) -> Option<Month> {
        let (year, month) = text.split_once('-')?;
        if year.len() != 4 || month.len() != 2 {
            return None;
        }
        if !year
            .bytes()
            .chain(month.bytes())
            .all(|b| b.is_ascii_digit())
        {
            return None;
        }
        let year: i32 = year.parse().ok()?;
        let month: u32 = month.parse().ok()?;
        ((1000..=9999).contains(&year) && (1..=12).contains(&month))
            .then_some(Month { year, month })
    }

    /// The month after this one.
    pub fn next(self) -> Month {
        if self.month == 12 {
            Month {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Month {
                year: self.year,
                month: self.month + 1,
            }
        }
    }

    /// 00:00 local of the 1st.
    pub fn start(self) -> Result<DateTime<Utc>, ApiError> {
        relief_legal::month_start(self.year, self.month).map_err(ApiError::internal)
    }

    /// 24:00 local of the last day: the due instant of the month's visit.
    pub fn end(self) -> Result<DateTime<Utc>, ApiError> {
        relief_legal::month_end(self.year, self.month).map_err(ApiError::internal)
    }

    /// 24:00 local of the [`REPORT_WORKING_DAY`]th working day of the next month in `calendar`:
    /// the due instant of the month's report. A calendar not covering that month is assumed to
    /// have weekends only (logged).
    pub fn report_due(self, calendar: &HolidayCalendar) -> Result<DateTime<Utc>, ApiError> {
        let next = self.next();
        let deadline = relief_legal::nth_working_day_of_month(
            next.year,
            next.month,
            REPORT_WORKING_DAY,
            calendar,
        )
        .map_err(ApiError::internal)?;
        if !deadline.warnings.is_empty() {
            tracing::warn!(
                month = %self,
                warnings = ?deadline.warnings,
                "the holiday calendar does not cover a report deadline; weekends only assumed"
            );
        }
        Ok(deadline.due)
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// Whether a placement in care from `placed_at` until `ended_at` (none: still) owes the visit
/// and the report of the month ending at `month_end`: placed before that end and not ended
/// within the month (a placement that ends mid-month owes nothing for that month; one ending
/// exactly at 24:00 of the last day owes the whole month).
pub fn owes(
    placed_at: Option<DateTime<Utc>>,
    ended_at: Option<DateTime<Utc>>,
    month_end: DateTime<Utc>,
) -> bool {
    placed_at.is_some_and(|placed| placed < month_end)
        && ended_at.is_none_or(|ended| ended >= month_end)
}

/// Whether a placement in care from `placed_at` until `ended_at` was in care at some instant of
/// the month `[start, end)` (what a report may be filed for).
pub fn in_care_during(
    placed_at: Option<DateTime<Utc>>,
    ended_at: Option<DateTime<Utc>>,
    (start, end): (DateTime<Utc>, DateTime<Utc>),
) -> bool {
    placed_at.is_some_and(|placed| {
        placed < end && ended_at.is_none_or(|ended| ended > start.max(placed))
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests: a panic is a failed test")]

    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn month(text: &str) -> Month {
        Month::parse(text).unwrap()
    }

    fn shipped() -> HolidayCalendar {
        HolidayCalendar::from_toml_str(include_str!("../../../../deploy/holidays.toml")).unwrap()
    }

    #[test]
    fn an_instant_falls_in_its_local_month() {
        // 2026-03-31 23:59 local is still March; 00:00 of April 1 local is April.
        assert_eq!(Month::of(at("2026-03-31T23:59:59+08:00")), month("2026-03"));
        assert_eq!(Month::of(at("2026-04-01T00:00:00+08:00")), month("2026-04"));
        // 2026-03-31 16:30 UTC is already April in China.
        assert_eq!(Month::of(at("2026-03-31T16:30:00Z")), month("2026-04"));
        assert_eq!(
            Month::of(at("2026-12-31T23:00:00+08:00")).to_string(),
            "2026-12"
        );
    }

    #[test]
    fn months_parse_and_print_as_yyyy_mm() {
        assert_eq!(month("2026-09").to_string(), "2026-09");
        assert_eq!(month("2026-12").next(), month("2027-01"));
        assert_eq!(month("2026-01").next(), month("2026-02"));
        for bad in [
            "",
            "2026",
            "2026-9",
            "2026-13",
            "2026-00",
            "26-09",
            "2026/09",
            "2026-09-01",
            "+026-09",
            "2026--9",
            "0999-01",
            "２０２６-09",
        ] {
            assert_eq!(Month::parse(bad), None, "{bad:?}");
        }
        assert!(month("2026-09") < month("2026-10"));
        assert!(month("2026-12") < month("2027-01"));
    }

    #[test]
    fn a_month_runs_from_its_first_to_24_00_of_its_last_day() {
        assert_eq!(
            month("2026-03").start().unwrap(),
            at("2026-03-01T00:00:00+08:00")
        );
        assert_eq!(
            month("2026-03").end().unwrap(),
            at("2026-04-01T00:00:00+08:00")
        );
        assert_eq!(
            month("2028-02").end().unwrap(),
            at("2028-03-01T00:00:00+08:00")
        );
        assert_eq!(
            month("2026-12").end().unwrap(),
            at("2027-01-01T00:00:00+08:00")
        );
    }

    #[test]
    fn a_report_is_due_at_the_end_of_the_fifth_working_day_of_the_next_month() {
        let calendar = shipped();
        // September's report: October 1-7 are the National Day holiday, Saturday October 10
        // is worked: 8, 9, 10, 12, 13 → due 24:00 of October 13.
        assert_eq!(
            month("2026-09").report_due(&calendar).unwrap(),
            at("2026-10-14T00:00:00+08:00")
        );
        // February's report: March 2-6 are the first five working days.
        assert_eq!(
            month("2026-02").report_due(&calendar).unwrap(),
            at("2026-03-07T00:00:00+08:00")
        );
        // December's report is due in January of the next year.
        assert!(month("2026-12").report_due(&calendar).unwrap() > month("2026-12").end().unwrap());
    }

    #[test]
    fn a_month_is_owed_unless_the_placement_ended_within_it() {
        let end = month("2026-03").end().unwrap();
        let placed = Some(at("2026-03-10T10:00:00+08:00"));
        assert!(owes(placed, None, end));
        // Placed on the last minute: the month is still owed.
        assert!(owes(Some(at("2026-03-31T23:59:00+08:00")), None, end));
        // Placed at the month's end: that is April.
        assert!(!owes(Some(end), None, end));
        assert!(!owes(None, None, end));
        // Ended mid-month: nothing owed; ended at 24:00 of the last day or later: owed.
        assert!(!owes(placed, Some(at("2026-03-20T09:00:00+08:00")), end));
        assert!(!owes(placed, Some(at("2026-03-31T23:59:59+08:00")), end));
        assert!(owes(placed, Some(end), end));
        assert!(owes(placed, Some(at("2026-04-02T09:00:00+08:00")), end));
    }

    #[test]
    fn a_report_may_be_filed_for_any_month_the_resident_was_in_care() {
        let march = |m: &str| (month(m).start().unwrap(), month(m).end().unwrap());
        let placed = Some(at("2026-03-10T10:00:00+08:00"));
        assert!(in_care_during(placed, None, march("2026-03")));
        assert!(in_care_during(placed, None, march("2026-05")));
        assert!(!in_care_during(placed, None, march("2026-02")));
        assert!(!in_care_during(None, None, march("2026-03")));
        // Ended on April 3: April counts, May does not.
        let ended = Some(at("2026-04-03T09:00:00+08:00"));
        assert!(in_care_during(placed, ended, march("2026-04")));
        assert!(!in_care_during(placed, ended, march("2026-05")));
        // Ended at 24:00 of April 30: May does not count.
        let ended = Some(month("2026-04").end().unwrap());
        assert!(!in_care_during(placed, ended, march("2026-05")));
        // Placed and ended at the same instant: never in care.
        assert!(!in_care_during(placed, placed, march("2026-03")));
    }
}
