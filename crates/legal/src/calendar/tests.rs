use chrono::{Datelike, NaiveDate};

use super::HolidayCalendar;
use crate::error::Error;

const SHIPPED: &str = include_str!("../../../../deploy/holidays.toml");

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn shipped() -> HolidayCalendar {
    HolidayCalendar::from_toml_str(SHIPPED).unwrap()
}

#[test]
fn shipped_calendar_loads_and_names_a_notice_per_year() {
    let calendar = shipped();
    for year in 2024..=2026 {
        assert!(calendar.covers(year), "{year} missing");
    }
    for year in calendar.years() {
        let source = calendar.source(year).unwrap();
        assert!(source.contains("国务院办公厅"), "{year}: {source}");
        assert!(source.contains("国办发明电"), "{year}: {source}");
        assert!(source.contains(&format!("{year}年")), "{year}: {source}");
    }
    assert_eq!(calendar.source(2031), None);
    assert!(!calendar.covers(2031));
}

#[test]
fn shipped_2026_matches_the_domain_facts() {
    let calendar = shipped();
    // Spring Festival: Feb 15-23 off; Saturdays Feb 14 and Feb 28 worked.
    for day in 15..=23 {
        assert!(calendar.is_rest_day(date(2026, 2, day)), "2026-02-{day}");
    }
    assert!(calendar.is_working_day(date(2026, 2, 24)));
    assert!(calendar.is_working_day(date(2026, 2, 14)));
    assert!(calendar.is_working_day(date(2026, 2, 28)));
    // National Day: Oct 1-7 off, Sunday Sep 20 and Saturday Oct 10 worked.
    for day in 1..=7 {
        assert!(calendar.is_rest_day(date(2026, 10, day)));
    }
    assert!(calendar.is_working_day(date(2026, 9, 20)));
    assert!(calendar.is_working_day(date(2026, 10, 10)));
    // An ordinary weekend and weekday.
    assert!(calendar.is_rest_day(date(2026, 3, 7)));
    assert!(calendar.is_working_day(date(2026, 3, 9)));
}

#[test]
fn shipped_2020_carries_the_spring_festival_extension() {
    let calendar = shipped();
    // 国办发明电〔2020〕1号 extended the holiday to Feb 2: Saturday Feb 1 was no longer worked.
    assert!(calendar.is_rest_day(date(2020, 1, 31)));
    assert!(calendar.is_rest_day(date(2020, 2, 1)));
    assert!(calendar.is_working_day(date(2020, 2, 3)));
    assert!(calendar.source(2020).unwrap().contains("〔2020〕1号"));
}

#[test]
fn weekends_only_rests_on_saturday_and_sunday() {
    let calendar = HolidayCalendar::weekends_only();
    assert!(!calendar.covers(2026));
    assert!(calendar.is_rest_day(date(2026, 2, 28))); // Saturday
    assert!(calendar.is_rest_day(date(2026, 3, 1))); // Sunday
    assert!(calendar.is_working_day(date(2026, 2, 16))); // Monday, Spring Festival
}

#[test]
fn uncovered_years_of_a_loaded_calendar_are_weekends_only() {
    let calendar = shipped();
    let first_january_2031 = date(2031, 1, 1); // Wednesday
    assert_eq!(first_january_2031.weekday(), chrono::Weekday::Wed);
    assert!(calendar.is_working_day(first_january_2031));
}

fn load_err(text: &str) -> Error {
    HolidayCalendar::from_toml_str(text).unwrap_err()
}

#[test]
fn a_date_under_the_wrong_year_is_rejected() {
    let error = load_err(
        r#"
        [years.2026]
        source = "notice"
        holidays = ["2025-10-01"]
        "#,
    );
    assert_eq!(
        error,
        Error::CalendarDateOutsideYear {
            year: 2026,
            date: date(2025, 10, 1)
        }
    );
    assert_eq!(
        error.to_string(),
        "holiday calendar year 2026: 2025-10-01 is not in 2026"
    );
}

#[test]
fn a_date_both_holiday_and_workday_is_rejected() {
    let error = load_err(
        r#"
        [years.2026]
        source = "notice"
        holidays = ["2026-02-28"]
        workdays = ["2026-02-28"]
        "#,
    );
    assert_eq!(
        error,
        Error::CalendarHolidayAndWorkday {
            year: 2026,
            date: date(2026, 2, 28)
        }
    );
}

#[test]
fn a_weekday_listed_as_workday_is_rejected() {
    let error = load_err(
        r#"
        [years.2026]
        source = "notice"
        workdays = ["2026-02-27"]
        "#,
    );
    assert_eq!(
        error,
        Error::CalendarWorkdayNotWeekend {
            year: 2026,
            date: date(2026, 2, 27)
        }
    );
    assert!(error.to_string().contains("2026-02-27"));
}

#[test]
fn malformed_input_is_rejected() {
    assert!(matches!(
        load_err("[years.2026]\nsource = \"n\"\nholidays = [\"2026-02-30\"]\n"),
        Error::CalendarDate { year: 2026, .. }
    ));
    assert!(matches!(
        load_err("[years.next]\nsource = \"n\"\n"),
        Error::CalendarYearKey { .. }
    ));
    assert!(matches!(
        load_err("[years.2026]\nsource = \" \"\n"),
        Error::CalendarMissingSource { year: 2026 }
    ));
    // A misspelt key is an error, not silently ignored.
    assert!(matches!(
        load_err("[years.2026]\nsource = \"n\"\nworkday = [\"2026-01-04\"]\n"),
        Error::CalendarSyntax { .. }
    ));
    assert!(matches!(
        load_err("[years.2026]\nholidays = []\n"),
        Error::CalendarSyntax { .. }
    ));
    assert!(matches!(
        load_err("not toml ["),
        Error::CalendarSyntax { .. }
    ));
}

#[test]
fn empty_text_is_weekends_only() {
    assert_eq!(
        HolidayCalendar::from_toml_str("").unwrap(),
        HolidayCalendar::weekends_only()
    );
}

#[test]
fn insert_year_refuses_a_second_table_for_a_year() {
    let mut calendar = HolidayCalendar::weekends_only();
    calendar
        .insert_year(2030, "notice", [date(2030, 1, 1)], [])
        .unwrap();
    assert!(calendar.is_rest_day(date(2030, 1, 1)));
    assert_eq!(
        calendar.insert_year(2030, "notice", [], []),
        Err(Error::CalendarDuplicateYear { year: 2030 })
    );
}
