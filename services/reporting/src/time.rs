//! The one place for time in the read models: instants are stored as microseconds since the epoch
//! (UTC), days as local (Asia/Shanghai) `YYYY-MM-DD`, months as `YYYY-MM`, so the same SQL text
//! compares and sums them on both backends; and the local day range of a report period.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use relief_proto::reporting::v1::{Period, PeriodKind};
use relief_runtime::ApiError;
use relief_runtime::validate::Violations;

/// An instant as stored: microseconds since the epoch, UTC.
pub fn micros(instant: DateTime<Utc>) -> i64 {
    instant.timestamp_micros()
}

/// A stored instant back as a time (the epoch for a value out of range, which no event produces).
pub fn instant(micros: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(micros).unwrap_or_default()
}

/// The local date of an instant.
pub fn local_date(instant: DateTime<Utc>) -> NaiveDate {
    instant.with_timezone(&relief_legal::china()).date_naive()
}

/// The local day of an instant, as stored.
pub fn day(instant: DateTime<Utc>) -> String {
    day_of(local_date(instant))
}

/// A date as stored.
pub fn day_of(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

/// The local month of an instant, as stored (`YYYY-MM`).
pub fn month(instant: DateTime<Utc>) -> String {
    local_date(instant).format("%Y-%m").to_string()
}

/// The last day of a stored month (`YYYY-MM`), as stored; `None` if it is not a month.
pub fn month_last_day(month: &str) -> Option<String> {
    let first = NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d").ok()?;
    Some(day_of(last_of_month(first)?))
}

/// The last date of the month of `first` (its first date).
fn last_of_month(first: NaiveDate) -> Option<NaiveDate> {
    first.checked_add_months(chrono::Months::new(1))?.pred_opt()
}

/// A validated report period: its first and last local day, and how titles name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayRange {
    /// The first day, as stored.
    pub first: String,
    /// The last day, as stored.
    pub last: String,
    /// E.g. "2026年3月", "2026年第1季度", "2026年".
    pub label: String,
    /// The period as asked (echoed in answers).
    pub period: Period,
}

/// Checks `period` (field `field`) and gives its local day range; INVALID_ARGUMENT with a field
/// violation otherwise.
pub fn period_range(field: &str, period: Option<&Period>) -> Result<DayRange, ApiError> {
    let mut violations = Violations::new();
    let range = period.and_then(|period| {
        let range = range_of(period);
        if range.is_none() {
            violations.add(
                field,
                "must be a month (number 1-12), a quarter (1-4) or a year (0) of a year 2000-2100",
            );
        }
        range
    });
    if period.is_none() {
        violations.add(field, "is required");
    }
    violations.finish()?;
    range.ok_or_else(|| ApiError::invalid_field(field, "is required"))
}

/// The period a moment falls in (the current month, for defaults).
pub fn month_period(instant: DateTime<Utc>) -> Period {
    let date = local_date(instant);
    Period {
        kind: PeriodKind::Month as i32,
        year: date.year(),
        number: date.month() as i32,
    }
}

/// The day range of a well-formed period.
pub fn range_of(period: &Period) -> Option<DayRange> {
    if !(2000..=2100).contains(&period.year) {
        return None;
    }
    let (first_month, months, label) = match PeriodKind::try_from(period.kind).ok()? {
        PeriodKind::Month if (1..=12).contains(&period.number) => (
            period.number as u32,
            1,
            format!("{}年{}月", period.year, period.number),
        ),
        PeriodKind::Quarter if (1..=4).contains(&period.number) => (
            (period.number as u32 - 1) * 3 + 1,
            3,
            format!("{}年第{}季度", period.year, period.number),
        ),
        PeriodKind::Year if period.number == 0 => (1, 12, format!("{}年", period.year)),
        _ => return None,
    };
    let first = NaiveDate::from_ymd_opt(period.year, first_month, 1)?;
    let last_month = NaiveDate::from_ymd_opt(period.year, first_month + months - 1, 1)?;
    Some(DayRange {
        first: day_of(first),
        last: day_of(last_of_month(last_month)?),
        label,
        period: *period,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn period(kind: PeriodKind, year: i32, number: i32) -> Period {
        Period {
            kind: kind as i32,
            year,
            number,
        }
    }

    #[test]
    fn periods_cover_whole_local_months() {
        let march = range_of(&period(PeriodKind::Month, 2026, 3)).expect("a month");
        assert_eq!(
            (march.first.as_str(), march.last.as_str()),
            ("2026-03-01", "2026-03-31")
        );
        let q1 = range_of(&period(PeriodKind::Quarter, 2028, 1)).expect("a quarter");
        assert_eq!(
            (q1.first.as_str(), q1.last.as_str()),
            ("2028-01-01", "2028-03-31")
        );
        let year = range_of(&period(PeriodKind::Year, 2026, 0)).expect("a year");
        assert_eq!(
            (year.first.as_str(), year.last.as_str()),
            ("2026-01-01", "2026-12-31")
        );
        assert_eq!(q1.label, "2028年第1季度");
    }

    #[test]
    fn malformed_periods_are_refused() {
        for bad in [
            period(PeriodKind::Month, 2026, 13),
            period(PeriodKind::Quarter, 2026, 0),
            period(PeriodKind::Year, 2026, 1),
            period(PeriodKind::Unspecified, 2026, 1),
            period(PeriodKind::Month, 1999, 1),
        ] {
            assert!(range_of(&bad).is_none(), "{bad:?}");
            assert!(period_range("period", Some(&bad)).is_err());
        }
        assert!(period_range("period", None).is_err());
    }

    #[test]
    fn days_are_local() {
        let late_evening_utc = DateTime::parse_from_rfc3339("2026-03-31T17:00:00Z")
            .expect("rfc3339")
            .with_timezone(&Utc);
        assert_eq!(day(late_evening_utc), "2026-04-01");
        assert_eq!(month(late_evening_utc), "2026-04");
        assert_eq!(month_last_day("2026-02").as_deref(), Some("2026-02-28"));
    }
}
