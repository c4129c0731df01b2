//! Calendar months in China local time: monthly visits, monthly reports, statistics.
//!
//! A calendar month runs from 00:00 local of its 1st to 24:00 local of its last day, i.e.
//! the half-open range `[start, end)` of instants.

use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};

use crate::calendar::HolidayCalendar;
use crate::error::{Error, Result};
use crate::local::{end_of_day, local_date, start_of_day};
use crate::period::{DayCounter, Deadline};

/// Start (1st 00:00 local) and end (last day 24:00 local) of the local calendar month that
/// contains `instant`; `start <= instant < end`.
pub fn calendar_month(instant: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
    let first = first_of_month(local_date(instant));
    (start_of_day(first), end_of_day(last_of_month(first)))
}

/// Start of the calendar month `year`-`month` (1st 00:00 local) as an instant.
pub fn month_start(year: i32, month: u32) -> Result<DateTime<Utc>> {
    Ok(start_of_day(first_day(year, month)?))
}

/// End of the calendar month `year`-`month` (last day 24:00 local, i.e. 00:00 local of the
/// next month's 1st) as an instant: the due instant of "by the end of each calendar month".
pub fn month_end(year: i32, month: u32) -> Result<DateTime<Utc>> {
    Ok(end_of_day(last_of_month(first_day(year, month)?)))
}

/// 24:00 local of the `n`th working day of the calendar month `year`-`month`, e.g. "the 5th
/// working day of the next month" for periodic reports.
///
/// Working days are counted from the 1st, skipping rest days in `calendar`; the warnings say
/// which uncovered years were looked at. If the month has fewer than `n` working days the
/// count runs on into the next month. `n = 0` gives the start of the month (24:00 of the
/// previous month's last day).
pub fn nth_working_day_of_month(
    year: i32,
    month: u32,
    n: u32,
    calendar: &HolidayCalendar,
) -> Result<Deadline> {
    let day_before = first_day(year, month)?
        .pred_opt()
        .ok_or(Error::InvalidMonth { year, month })?;
    let mut days = DayCounter::new(calendar);
    let last_day = days.nth_working_day_after(day_before, n);
    Ok(days.deadline(last_day))
}

fn first_day(year: i32, month: u32) -> Result<NaiveDate> {
    NaiveDate::from_ymd_opt(year, month, 1).ok_or(Error::InvalidMonth { year, month })
}

fn first_of_month(date: NaiveDate) -> NaiveDate {
    // Day 1 exists in every month; the fallback is never taken.
    date.with_day(1).unwrap_or(date)
}

fn last_of_month(first: NaiveDate) -> NaiveDate {
    first
        .checked_add_months(Months::new(1))
        .and_then(|next| next.pred_opt())
        // Only December of chrono's last year has no next month: its last day is MAX.
        .unwrap_or(NaiveDate::MAX)
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};

    use super::*;
    use crate::period::Warning;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn shipped() -> HolidayCalendar {
        HolidayCalendar::from_toml_str(include_str!("../../../deploy/holidays.toml")).unwrap()
    }

    #[test]
    fn calendar_month_is_local() {
        // 2026-02-28 16:30 UTC is already 2026-03-01 00:30 in China: that is March.
        let (start, end) = calendar_month(at("2026-02-28T16:30:00Z"));
        assert_eq!(start, at("2026-03-01T00:00:00+08:00"));
        assert_eq!(end, at("2026-04-01T00:00:00+08:00"));
        let (start, end) = calendar_month(at("2026-02-28T15:59:59Z"));
        assert_eq!(start, at("2026-02-01T00:00:00+08:00"));
        assert_eq!(end, at("2026-03-01T00:00:00+08:00"));
    }

    #[test]
    fn month_bounds() {
        assert_eq!(
            month_start(2028, 2).unwrap(),
            at("2028-02-01T00:00:00+08:00")
        );
        assert_eq!(month_end(2028, 2).unwrap(), at("2028-03-01T00:00:00+08:00"));
        assert_eq!(
            month_end(2026, 12).unwrap(),
            at("2027-01-01T00:00:00+08:00")
        );
        assert_eq!(
            month_end(2026, 13),
            Err(Error::InvalidMonth {
                year: 2026,
                month: 13
            })
        );
        assert!(month_start(2026, 0).is_err());
    }

    #[test]
    fn fifth_working_day_of_the_month() {
        let calendar = shipped();
        // October 2026: Oct 1-7 off, Saturday Oct 10 worked → 8, 9, 10, 12, 13.
        let deadline = nth_working_day_of_month(2026, 10, 5, &calendar).unwrap();
        assert_eq!(deadline.due, at("2026-10-14T00:00:00+08:00"));
        assert!(deadline.warnings.is_empty());
        // March 2026: Mar 2-6 are the first five working days.
        let deadline = nth_working_day_of_month(2026, 3, 5, &calendar).unwrap();
        assert_eq!(deadline.due, at("2026-03-07T00:00:00+08:00"));
        // n = 0 is the start of the month.
        let deadline = nth_working_day_of_month(2026, 3, 0, &calendar).unwrap();
        assert_eq!(deadline.due, month_start(2026, 3).unwrap());
    }

    #[test]
    fn working_day_of_an_uncovered_month_warns() {
        let deadline = nth_working_day_of_month(2031, 1, 5, &shipped()).unwrap();
        // Jan 1 2031 is a Wednesday: 1, 2, 3, 6, 7 with weekends only.
        assert_eq!(deadline.due, at("2031-01-08T00:00:00+08:00"));
        assert_eq!(
            deadline.warnings,
            vec![Warning::CalendarNotCovering { year: 2031 }]
        );
    }

    #[test]
    fn nth_working_day_rejects_a_bad_month() {
        assert!(nth_working_day_of_month(2026, 13, 5, &shipped()).is_err());
    }
}
