//! Property tests of the deadline functions against the shipped holiday calendar.

// Test helpers outside #[test] functions may unwrap too (clippy.toml allows it in tests).
#![allow(clippy::unwrap_used)]

use chrono::{DateTime, Datelike, Days, Months, NaiveDate, TimeDelta, Timelike, Utc};
use proptest::prelude::*;
use relief_legal::{
    HolidayCalendar, Warning, act_period_months, calendar_month, china, hours,
    nth_working_day_of_month, status_days, status_months, working_days,
};

const SHIPPED: &str = include_str!("../../../deploy/holidays.toml");

fn shipped() -> HolidayCalendar {
    HolidayCalendar::from_toml_str(SHIPPED).unwrap()
}

/// Instants from mid-2018 to the end of 2029: before, inside and after the covered years.
fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    let from = DateTime::parse_from_rfc3339("2018-06-01T00:00:00Z")
        .unwrap()
        .timestamp();
    let to = DateTime::parse_from_rfc3339("2029-12-31T23:59:59Z")
        .unwrap()
        .timestamp();
    (from..=to).prop_map(|secs| DateTime::from_timestamp(secs, 0).unwrap())
}

fn local_day(instant: DateTime<Utc>) -> NaiveDate {
    instant.with_timezone(&china()).date_naive()
}

/// The last day of a period that ends at `due` (24:00 local of that day).
fn last_day(due: DateTime<Utc>) -> NaiveDate {
    local_day(due).pred_opt().unwrap()
}

fn is_local_midnight(instant: DateTime<Utc>) -> bool {
    let local = instant.with_timezone(&china());
    local.hour() == 0 && local.minute() == 0 && local.second() == 0 && local.nanosecond() == 0
}

fn days_between(from: NaiveDate, to: NaiveDate) -> impl Iterator<Item = NaiveDate> {
    from.iter_days().take_while(move |day| *day <= to)
}

proptest! {
    #[test]
    fn act_period_ends_at_midnight_after_start_on_a_working_day(
        start in instant(), months in 0u32..=24,
    ) {
        let calendar = shipped();
        let deadline = act_period_months(start, months, &calendar);
        prop_assert!(is_local_midnight(deadline.due));
        prop_assert!(deadline.due > start);
        let corresponding = local_day(start).checked_add_months(Months::new(months)).unwrap();
        let due_day = last_day(deadline.due);
        prop_assert!(corresponding <= due_day);
        prop_assert!(calendar.is_working_day(due_day));
        // No working day between the corresponding day and the due day.
        for day in days_between(corresponding, due_day.pred_opt().unwrap()) {
            prop_assert!(calendar.is_rest_day(day), "{day} is a working day");
        }
        // A warning for exactly the uncovered years looked at.
        let expected: Vec<Warning> = (corresponding.year()..=due_day.year())
            .filter(|year| !calendar.covers(*year))
            .map(|year| Warning::CalendarNotCovering { year })
            .collect();
        prop_assert_eq!(deadline.warnings, expected);
    }

    #[test]
    fn working_days_counts_exactly_n(start in instant(), n in 0u32..=40) {
        let calendar = shipped();
        let deadline = working_days(start, n, &calendar);
        prop_assert!(is_local_midnight(deadline.due));
        prop_assert!(deadline.due > start);
        let start_day = local_day(start);
        let due_day = last_day(deadline.due);
        let counted = days_between(start_day.succ_opt().unwrap(), due_day)
            .filter(|day| calendar.is_working_day(*day))
            .count();
        prop_assert_eq!(counted, n as usize);
        if n > 0 {
            prop_assert!(calendar.is_working_day(due_day));
        } else {
            prop_assert_eq!(due_day, start_day);
        }
    }

    #[test]
    fn deadlines_are_monotonic_in_start(a in instant(), b in instant(), n in 0u32..=12) {
        let calendar = shipped();
        let (early, late) = if a <= b { (a, b) } else { (b, a) };
        prop_assert!(act_period_months(early, n, &calendar).due
            <= act_period_months(late, n, &calendar).due);
        prop_assert!(working_days(early, n, &calendar).due
            <= working_days(late, n, &calendar).due);
        prop_assert!(status_months(early, n) <= status_months(late, n));
        prop_assert!(status_days(early, n) <= status_days(late, n));
        prop_assert!(hours(early, n) <= hours(late, n));
    }

    #[test]
    fn deadlines_are_monotonic_in_n(start in instant(), a in 0u32..=30, b in 0u32..=30) {
        let calendar = shipped();
        let (small, large) = if a <= b { (a, b) } else { (b, a) };
        prop_assert!(act_period_months(start, small, &calendar).due
            <= act_period_months(start, large, &calendar).due);
        prop_assert!(status_months(start, small) <= status_months(start, large));
        prop_assert!(status_days(start, small) <= status_days(start, large));
        if small < large {
            // Strictly: each extra working day is a later day.
            prop_assert!(working_days(start, small, &calendar).due
                < working_days(start, large, &calendar).due);
        }
    }

    #[test]
    fn status_durations_never_roll(start in instant(), n in 0u32..=24) {
        let start_day = local_day(start);
        let months = status_months(start, n);
        prop_assert!(is_local_midnight(months));
        prop_assert!(months > start);
        prop_assert_eq!(
            last_day(months),
            start_day.checked_add_months(Months::new(n)).unwrap()
        );
        let days = status_days(start, n);
        prop_assert!(is_local_midnight(days));
        prop_assert_eq!(last_day(days), start_day.checked_add_days(Days::new(u64::from(n))).unwrap());
        prop_assert_eq!(hours(start, n) - start, TimeDelta::hours(i64::from(n)));
    }

    /// Extra holidays can only delay a deadline; extra working weekend days can only bring it
    /// forward. (Adding a whole year's table can do either, so neither direction holds for
    /// "shipped calendar versus weekends only": Jan 31 2026 + 1 month is earlier with it.)
    #[test]
    fn holidays_delay_and_workdays_advance(
        start_offset in 0u64..500,
        n in 1u32..=20,
        months in 1u32..=6,
        picks in proptest::collection::vec(0u64..365, 0..40),
    ) {
        // 2027 is not in the shipped calendar; add a made-up table for it.
        let base = shipped();
        let first = NaiveDate::from_ymd_opt(2027, 1, 1).unwrap();
        let days: Vec<NaiveDate> = picks.iter().map(|offset| first + Days::new(*offset)).collect();
        let weekend = |day: &NaiveDate| day.weekday().number_from_monday() >= 6;
        let mut more_holidays = base.clone();
        more_holidays.insert_year(2027, "test", days.clone(), []).unwrap();
        let mut more_workdays = base.clone();
        more_workdays
            .insert_year(2027, "test", [], days.iter().copied().filter(weekend))
            .unwrap();
        let start = DateTime::parse_from_rfc3339("2026-09-01T10:00:00+08:00").unwrap()
            .with_timezone(&Utc) + Days::new(start_offset);
        let plain = working_days(start, n, &base).due;
        prop_assert!(working_days(start, n, &more_holidays).due >= plain);
        prop_assert!(working_days(start, n, &more_workdays).due <= plain);
        let plain = act_period_months(start, months, &base).due;
        prop_assert!(act_period_months(start, months, &more_holidays).due >= plain);
        prop_assert!(act_period_months(start, months, &more_workdays).due <= plain);
    }

    #[test]
    fn calendar_month_contains_the_instant(instant in instant()) {
        let (start, end) = calendar_month(instant);
        prop_assert!(start <= instant && instant < end);
        prop_assert!(is_local_midnight(start) && is_local_midnight(end));
        prop_assert_eq!(local_day(start).day(), 1);
        prop_assert_eq!(local_day(end).day(), 1);
        prop_assert_eq!(local_day(start).checked_add_months(Months::new(1)).unwrap(), local_day(end));
    }

    #[test]
    fn nth_working_day_of_month_counts_from_the_first(
        year in 2018i32..=2029, month in 1u32..=12, n in 0u32..=25,
    ) {
        let calendar = shipped();
        let deadline = nth_working_day_of_month(year, month, n, &calendar).unwrap();
        prop_assert!(is_local_midnight(deadline.due));
        let first = NaiveDate::from_ymd_opt(year, month, 1).unwrap();
        let due_day = last_day(deadline.due);
        let counted = days_between(first, due_day)
            .filter(|day| calendar.is_working_day(*day))
            .count();
        prop_assert_eq!(counted, n as usize);
    }
}
