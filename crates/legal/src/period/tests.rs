//! Table tests with the examples of DOMAIN.md "Legal time" and the shipped calendar.

use chrono::{DateTime, Utc};

use super::*;

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

fn shipped() -> HolidayCalendar {
    HolidayCalendar::from_toml_str(include_str!("../../../../deploy/holidays.toml")).unwrap()
}

fn not_covering(years: &[i32]) -> Vec<Warning> {
    years
        .iter()
        .map(|&year| Warning::CalendarNotCovering { year })
        .collect()
}

#[test]
fn act_period_months_table() {
    let calendar = shipped();
    let weekends = HolidayCalendar::weekends_only();
    // (start, months, calendar, due, uncovered years)
    let cases: &[(&str, u32, &HolidayCalendar, &str, &[i32])] = &[
        // Received 2026-01-31, any time that day: Feb 28 is a Saturday made a working day.
        (
            "2026-01-31T00:00:00+08:00",
            1,
            &calendar,
            "2026-03-01T00:00:00+08:00",
            &[],
        ),
        (
            "2026-01-31T12:00:00+08:00",
            1,
            &calendar,
            "2026-03-01T00:00:00+08:00",
            &[],
        ),
        (
            "2026-01-31T23:59:59+08:00",
            1,
            &calendar,
            "2026-03-01T00:00:00+08:00",
            &[],
        ),
        // Received 2026-01-15: Feb 15 is in the Spring Festival holiday (Feb 15-23).
        (
            "2026-01-15T09:30:00+08:00",
            1,
            &calendar,
            "2026-02-25T00:00:00+08:00",
            &[],
        ),
        // With weekends only, Saturday Feb 28 rolls to Monday Mar 2.
        (
            "2026-01-31T12:00:00+08:00",
            1,
            &weekends,
            "2026-03-03T00:00:00+08:00",
            &[2026],
        ),
        // Leap year: Jan 31 + 1 month is Feb 29 (a Tuesday); 2028 is not in the calendar.
        (
            "2028-01-31T12:00:00+08:00",
            1,
            &calendar,
            "2028-03-01T00:00:00+08:00",
            &[2028],
        ),
        // Aug 31 + 1 month is Sep 30 (a Wednesday, working).
        (
            "2026-08-31T12:00:00+08:00",
            1,
            &calendar,
            "2026-10-01T00:00:00+08:00",
            &[],
        ),
        // Sep 5 + 1 month is Oct 5, in the National Day holiday: Oct 8 (Thursday).
        (
            "2026-09-05T12:00:00+08:00",
            1,
            &calendar,
            "2026-10-09T00:00:00+08:00",
            &[],
        ),
        // A year not covered: Jan 15 2027 (a Friday) with weekends only, and a warning.
        (
            "2026-12-15T12:00:00+08:00",
            1,
            &calendar,
            "2027-01-16T00:00:00+08:00",
            &[2027],
        ),
        // Ending in a covered year needs no warning even if it started in December.
        (
            "2026-11-30T12:00:00+08:00",
            1,
            &calendar,
            "2026-12-31T00:00:00+08:00",
            &[],
        ),
        // Three months, across the National Day holiday's end.
        (
            "2026-07-03T08:00:00+08:00",
            3,
            &calendar,
            "2026-10-09T00:00:00+08:00",
            &[],
        ),
        // Twelve months from a leap day: Feb 28 of the next year.
        (
            "2028-02-29T08:00:00+08:00",
            12,
            &calendar,
            "2029-03-01T00:00:00+08:00",
            &[2029],
        ),
    ];
    for &(start, months, calendar, due, uncovered) in cases {
        let deadline = act_period_months(at(start), months, calendar);
        assert_eq!(deadline.due, at(due), "{start} + {months} months");
        assert_eq!(deadline.warnings, not_covering(uncovered), "{start}");
    }
}

#[test]
fn the_local_day_decides_not_the_utc_day() {
    let calendar = shipped();
    // 2026-01-14 16:30 UTC is already 2026-01-15 00:30 in China: Feb 15 → Feb 24.
    let late_utc = act_period_months(at("2026-01-14T16:30:00Z"), 1, &calendar);
    assert_eq!(late_utc.due, at("2026-02-25T00:00:00+08:00"));
    // One minute before local midnight it is still Jan 14: Feb 14, a Saturday worked.
    let before = act_period_months(at("2026-01-14T15:59:00Z"), 1, &calendar);
    assert_eq!(before.due, at("2026-02-15T00:00:00+08:00"));
}

#[test]
fn working_days_table() {
    let calendar = shipped();
    let cases: &[(&str, u32, &str, &[i32])] = &[
        // Filed Tue Sep 29 2026, 3 working days: Sep 30, (Oct 1-7 off), Oct 8, Oct 9.
        (
            "2026-09-29T17:00:00+08:00",
            3,
            "2026-10-10T00:00:00+08:00",
            &[],
        ),
        // 7 working days from Mon Sep 28: 29, 30, Oct 8, 9, 10 (Saturday worked), 12, 13.
        (
            "2026-09-28T09:00:00+08:00",
            7,
            "2026-10-14T00:00:00+08:00",
            &[],
        ),
        // Sunday Sep 20 is worked: Fri Sep 18 + 1 working day is Sep 20.
        (
            "2026-09-18T09:00:00+08:00",
            1,
            "2026-09-21T00:00:00+08:00",
            &[],
        ),
        // Across Spring Festival: Fri Feb 13 + 2: Feb 14 (Saturday worked), Feb 24.
        (
            "2026-02-13T09:00:00+08:00",
            2,
            "2026-02-25T00:00:00+08:00",
            &[],
        ),
        // Across the year's end into an uncovered year: Dec 31, Jan 1 2027, Jan 4.
        (
            "2026-12-30T09:00:00+08:00",
            3,
            "2027-01-05T00:00:00+08:00",
            &[2027],
        ),
        // n = 0 ends with the start day.
        (
            "2026-03-04T09:00:00+08:00",
            0,
            "2026-03-05T00:00:00+08:00",
            &[],
        ),
        // Started late on a UTC day that is already Saturday Mar 7 in China: Mar 9, 10.
        ("2026-03-06T17:00:00Z", 2, "2026-03-11T00:00:00+08:00", &[]),
    ];
    for &(start, n, due, uncovered) in cases {
        let deadline = working_days(at(start), n, &calendar);
        assert_eq!(deadline.due, at(due), "{start} + {n} working days");
        assert_eq!(deadline.warnings, not_covering(uncovered), "{start}");
    }
}

#[test]
fn hours_are_exact() {
    assert_eq!(
        hours(at("2026-03-01T10:15:00+08:00"), 24),
        at("2026-03-02T10:15:00+08:00")
    );
    assert_eq!(
        hours(at("2026-02-14T23:00:00+08:00"), 0),
        at("2026-02-14T23:00:00+08:00")
    );
}

#[test]
fn status_durations_never_roll() {
    // Stay over 10 days: admitted 2026-03-01 10:00 → over 10 days from 2026-03-11 24:00.
    assert_eq!(
        status_days(at("2026-03-01T10:00:00+08:00"), 10),
        at("2026-03-12T00:00:00+08:00")
    );
    // Same from any hour of the same local day.
    assert_eq!(
        status_days(at("2026-02-28T16:00:00Z"), 10),
        at("2026-03-12T00:00:00+08:00")
    );
    // Stranded over 3 months: Nov 15 + 3 months is Feb 15, in the holiday; no roll.
    assert_eq!(
        status_months(at("2025-11-15T10:00:00+08:00"), 3),
        at("2026-02-16T00:00:00+08:00")
    );
    // Corresponding-day rule: Nov 30 + 3 months is Feb 28 (no Feb 30), a Saturday.
    assert_eq!(
        status_months(at("2025-11-30T10:00:00+08:00"), 3),
        at("2026-03-01T00:00:00+08:00")
    );
}

#[test]
fn warning_text() {
    assert_eq!(
        Warning::CalendarNotCovering { year: 2027 }.to_string(),
        "holiday calendar does not cover 2027: weekends only were used"
    );
}

#[test]
fn results_past_chronos_range_saturate() {
    let calendar = shipped();
    let near_end = DateTime::<Utc>::MAX_UTC;
    assert_eq!(
        act_period_months(near_end, 1, &calendar).due,
        DateTime::<Utc>::MAX_UTC
    );
    assert_eq!(status_months(near_end, 1), DateTime::<Utc>::MAX_UTC);
    assert_eq!(status_days(near_end, 1), DateTime::<Utc>::MAX_UTC);
    assert_eq!(hours(near_end, 1), DateTime::<Utc>::MAX_UTC);
    // A huge count runs off the end of time quickly (uncovered weeks are jumped whole).
    let huge = working_days(at("2026-03-01T10:00:00+08:00"), u32::MAX, &calendar);
    assert_eq!(huge.due, DateTime::<Utc>::MAX_UTC);
}

#[test]
fn week_jumps_agree_with_day_by_day_counting() {
    // 2027 and later are uncovered; counts above 5 jump whole weeks there.
    let calendar = shipped();
    let start = at("2026-12-20T10:00:00+08:00");
    let mut previous = working_days(start, 0, &calendar).due;
    for n in 1..200 {
        let due = working_days(start, n, &calendar).due;
        let mut counter = DayCounter::new(&calendar);
        let mut day = local_date(start);
        let mut left = n;
        while left > 0 {
            day = day.succ_opt().unwrap();
            if counter.is_working_day(day) {
                left -= 1;
            }
        }
        assert_eq!(due, end_of_day(day), "n = {n}");
        assert!(due > previous);
        previous = due;
    }
}
