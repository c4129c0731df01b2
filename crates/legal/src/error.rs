//! The crate's error type.

use chrono::NaiveDate;

use crate::id_number::IdNumberError;

/// Everything that can go wrong in this crate.
///
/// Messages are lowercase, name the year and date or the field at fault, and never repeat an
/// ID number or other personal data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The holiday calendar text is not TOML of the expected shape.
    #[error("holiday calendar is not valid: {message}")]
    CalendarSyntax {
        /// What the TOML parser reported.
        message: String,
    },
    /// A key under `[years]` is not a year.
    #[error("holiday calendar key `years.{key}` is not a year")]
    CalendarYearKey {
        /// The key as written.
        key: String,
    },
    /// A year appears twice (only possible when adding years in code).
    #[error("holiday calendar year {year} is defined twice")]
    CalendarDuplicateYear {
        /// The year.
        year: i32,
    },
    /// A year has no source notice named.
    #[error("holiday calendar year {year} names no source notice")]
    CalendarMissingSource {
        /// The year.
        year: i32,
    },
    /// A date string is not `yyyy-mm-dd`.
    #[error("holiday calendar year {year}: {value:?} is not a date (expected yyyy-mm-dd)")]
    CalendarDate {
        /// The year whose table holds the value.
        year: i32,
        /// The value as written.
        value: String,
    },
    /// A date is listed under a year it is not in.
    #[error("holiday calendar year {year}: {date} is not in {year}")]
    CalendarDateOutsideYear {
        /// The year whose table holds the date.
        year: i32,
        /// The date.
        date: NaiveDate,
    },
    /// A date is listed both as a holiday and as a working day.
    #[error("holiday calendar year {year}: {date} is both a holiday and a working day")]
    CalendarHolidayAndWorkday {
        /// The year.
        year: i32,
        /// The date.
        date: NaiveDate,
    },
    /// A date listed as an adjusted working day is not a Saturday or Sunday.
    #[error("holiday calendar year {year}: working day {date} is not a weekend day")]
    CalendarWorkdayNotWeekend {
        /// The year.
        year: i32,
        /// The date.
        date: NaiveDate,
    },
    /// A year and month that do not name a calendar month (month outside 1..=12, or a year
    /// outside what chrono can represent).
    #[error("{year}-{month} is not a calendar month")]
    InvalidMonth {
        /// The year given.
        year: i32,
        /// The month given.
        month: u32,
    },
    /// A division code is not six ASCII digits. (An unknown but well-formed code is not an
    /// error: see [`mod@crate::division`].)
    #[error("division code must be six ascii digits (got {len} characters)")]
    DivisionCodeFormat {
        /// Length of the rejected text, in characters.
        len: usize,
    },
    /// An ID number was rejected.
    #[error(transparent)]
    IdNumber(#[from] IdNumberError),
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
