//! The holiday calendar: which local days are rest days.
//!
//! Mainland China's working days follow the State Council General Office's yearly notice
//! (国务院办公厅关于 YYYY 年部分节假日安排的通知): it names the days off for each festival and
//! the weekend days made working days (调休上班). The calendar is data operators update each
//! year (`deploy/holidays.toml`), one table per year with the notice named as its source.
//! A year without a table is treated as weekends only; the deadline functions report that
//! with [`crate::Warning::CalendarNotCovering`].

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, NaiveDate, Weekday};
use serde::Deserialize;

use crate::error::{Error, Result};

/// Rest days and adjusted working days per year, from the State Council's notices.
///
/// A day is a rest day when it is listed as a holiday, or when it is a Saturday or Sunday
/// not listed as a working day. Outside the covered years only weekends rest.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HolidayCalendar {
    years: BTreeMap<i32, YearTable>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct YearTable {
    source: String,
    holidays: BTreeSet<NaiveDate>,
    workdays: BTreeSet<NaiveDate>,
}

/// `deploy/holidays.toml` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CalendarFile {
    #[serde(default)]
    years: BTreeMap<String, YearFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct YearFile {
    source: String,
    #[serde(default)]
    holidays: Vec<String>,
    #[serde(default)]
    workdays: Vec<String>,
}

impl HolidayCalendar {
    /// A calendar that covers no year: only Saturdays and Sundays rest.
    pub fn weekends_only() -> Self {
        Self::default()
    }

    /// Loads a calendar from TOML text of this shape:
    ///
    /// ```toml
    /// [years.2026]
    /// source = "国务院办公厅关于2026年部分节假日安排的通知 (国办发明电〔2025〕7号)"
    /// holidays = ["2026-01-01", "2026-01-02", "2026-01-03"]
    /// workdays = ["2026-01-04"]   # weekend days made working days (调休上班)
    /// ```
    ///
    /// Rejected, with an error naming the year and date: text that is not TOML of that
    /// shape (unknown keys included), a key that is not a year, an empty source, a date not
    /// written `yyyy-mm-dd`, a date listed under a year it is not in, a date both holiday and
    /// working day, and a working day that is not a Saturday or Sunday.
    pub fn from_toml_str(text: &str) -> Result<Self> {
        let file: CalendarFile = toml::from_str(text).map_err(|error| Error::CalendarSyntax {
            message: error.to_string().trim_end().to_owned(),
        })?;
        let mut calendar = Self::default();
        for (key, table) in file.years {
            let year: i32 = key
                .trim()
                .parse()
                .map_err(|_| Error::CalendarYearKey { key: key.clone() })?;
            let holidays = parse_dates(year, &table.holidays)?;
            let workdays = parse_dates(year, &table.workdays)?;
            calendar.insert_year(year, table.source, holidays, workdays)?;
        }
        Ok(calendar)
    }

    /// Adds one year's table, checked as [`HolidayCalendar::from_toml_str`] checks a file.
    ///
    /// For operators' tools and tests; services load the file.
    pub fn insert_year(
        &mut self,
        year: i32,
        source: impl Into<String>,
        holidays: impl IntoIterator<Item = NaiveDate>,
        workdays: impl IntoIterator<Item = NaiveDate>,
    ) -> Result<()> {
        let source = source.into();
        if self.years.contains_key(&year) {
            return Err(Error::CalendarDuplicateYear { year });
        }
        if source.trim().is_empty() {
            return Err(Error::CalendarMissingSource { year });
        }
        let holidays: BTreeSet<NaiveDate> = holidays.into_iter().collect();
        let workdays: BTreeSet<NaiveDate> = workdays.into_iter().collect();
        for &date in holidays.iter().chain(&workdays) {
            if date.year() != year {
                return Err(Error::CalendarDateOutsideYear { year, date });
            }
        }
        if let Some(&date) = holidays.intersection(&workdays).next() {
            return Err(Error::CalendarHolidayAndWorkday { year, date });
        }
        if let Some(&date) = workdays.iter().find(|date| !is_weekend(**date)) {
            return Err(Error::CalendarWorkdayNotWeekend { year, date });
        }
        self.years.insert(
            year,
            YearTable {
                source,
                holidays,
                workdays,
            },
        );
        Ok(())
    }

    /// Whether `date` is a rest day: a listed holiday, or a Saturday or Sunday not made a
    /// working day. Outside the covered years, exactly the weekends.
    pub fn is_rest_day(&self, date: NaiveDate) -> bool {
        match self.years.get(&date.year()) {
            Some(table) if table.workdays.contains(&date) => false,
            Some(table) if table.holidays.contains(&date) => true,
            _ => is_weekend(date),
        }
    }

    /// Whether `date` is a working day (not a rest day).
    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        !self.is_rest_day(date)
    }

    /// Whether the calendar has a table for `year`.
    pub fn covers(&self, year: i32) -> bool {
        self.years.contains_key(&year)
    }

    /// The notice(s) the table for `year` was taken from, if the year is covered.
    pub fn source(&self, year: i32) -> Option<&str> {
        self.years.get(&year).map(|table| table.source.as_str())
    }

    /// The covered years, in order.
    pub fn years(&self) -> impl Iterator<Item = i32> + '_ {
        self.years.keys().copied()
    }

    /// The last covered year, if any.
    pub fn last_year(&self) -> Option<i32> {
        self.years.keys().next_back().copied()
    }
}

fn is_weekend(date: NaiveDate) -> bool {
    matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

fn parse_dates(year: i32, values: &[String]) -> Result<Vec<NaiveDate>> {
    values
        .iter()
        .map(|value| {
            NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d").map_err(|_| Error::CalendarDate {
                year,
                value: value.clone(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests;
