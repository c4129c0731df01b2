//! Deadlines and durations in China local time.
//!
//! Every function takes and returns absolute instants (`DateTime<Utc>`), so a deadline can be
//! stored as it is and survives restarts; the counting itself is done on China local
//! calendar days (see [`crate::china`]). There are three kinds of time limit:
//!
//! - **Periods for an act** (Civil Code arts. 200–204): [`act_period_months`],
//!   [`working_days`] and, in [`crate::month`], [`crate::nth_working_day_of_month`]. The start
//!   day is not counted, a last day that is a rest day moves to the next working day, and the
//!   period ends at 24:00 local of its last day.
//! - **Exact durations**: [`hours`] ("within 24 hours" is the instant plus 24 hours).
//! - **Durations that define a status** (stranded over 3 months, stay over 10 days):
//!   [`status_months`] and [`status_days`], which count like an act period but never move
//!   for rest days.
//!
//! Rest days come from a [`HolidayCalendar`]. When a computation looks at a day of a year the
//! calendar does not cover, it uses weekends only for that day and says so in
//! [`Deadline::warnings`].
//!
//! The functions are total: an input so close to chrono's limit (about 262,000 years from
//! now) that the result cannot be represented gives [`DateTime::<Utc>::MAX_UTC`].

use std::collections::BTreeSet;
use std::fmt;

use chrono::{DateTime, Datelike, Days, Months, NaiveDate, TimeDelta, Utc};

use crate::calendar::HolidayCalendar;
use crate::local::{end_of_day, local_date};

/// A computed deadline: the instant it falls due and what the computation had to assume.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deadline {
    /// The instant the time limit runs out (24:00 local of the last day, as UTC). An act done
    /// before this instant is on time.
    pub due: DateTime<Utc>,
    /// Assumptions made on the way, in year order; empty when the calendar covered every day
    /// the computation looked at.
    pub warnings: Vec<Warning>,
}

/// Something a deadline computation had to assume.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Warning {
    /// The computation looked at days of `year`, which the holiday calendar does not cover:
    /// only Saturdays and Sundays were taken as rest days there, so the deadline may move once
    /// that year's State Council notice is added to the calendar.
    CalendarNotCovering {
        /// The year without a table.
        year: i32,
    },
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::CalendarNotCovering { year } => write!(
                f,
                "holiday calendar does not cover {year}: weekends only were used"
            ),
        }
    }
}

/// End of a period of `months` months for an act, started by the event at `start`
/// (Civil Code arts. 200–204).
///
/// The start day (the local day of `start`) is not counted. The period ends on the day of
/// the final month that corresponds to the start day, or on that month's last day where
/// there is none (Jan 31 + 1 month → Feb 28, or Feb 29 in a leap year). If that day is a rest
/// day in `calendar`, it moves to the first working day after. The period ends at 24:00
/// local of that day, returned as the instant 00:00 local of the next day. The time of day
/// of `start` does not matter.
///
/// With the 2026 calendar: received 2026-01-31 → due 2026-02-28 24:00 (a Saturday made a
/// working day); received 2026-01-15 → Feb 15 is in the Spring Festival holiday → due
/// 2026-02-24 24:00.
pub fn act_period_months(
    start: DateTime<Utc>,
    months: u32,
    calendar: &HolidayCalendar,
) -> Deadline {
    let mut days = DayCounter::new(calendar);
    let last_day = local_date(start)
        .checked_add_months(Months::new(months))
        .and_then(|corresponding| days.first_working_day_from(corresponding));
    days.deadline(last_day)
}

/// End of a period of `n` working days for an act, started by the event at `start`.
///
/// Counting starts on the day after the start day (the local day of `start`) and skips rest
/// days in `calendar`; the period ends at 24:00 local of the `n`th working day. For `n = 0`
/// it ends at 24:00 of the start day.
pub fn working_days(start: DateTime<Utc>, n: u32, calendar: &HolidayCalendar) -> Deadline {
    let mut days = DayCounter::new(calendar);
    let last_day = days.nth_working_day_after(local_date(start), n);
    days.deadline(last_day)
}

/// The instant `n` hours after `start`: an exact duration, with no rounding to days and no
/// regard to rest days ("notice within 24 hours").
pub fn hours(start: DateTime<Utc>, n: u32) -> DateTime<Utc> {
    start
        .checked_add_signed(TimeDelta::hours(i64::from(n)))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// The instant from which a status defined by "over `n` months" holds (e.g. stranded over
/// 3 months), for a stay that began at `start`.
///
/// Counted like an act period, without moving for rest days: the start day is not counted,
/// the `n` months end at 24:00 local of the corresponding day of the final month (or its last
/// day where there is none), and the status holds from that instant on (the returned instant
/// included). Admitted 2026-01-31 10:00 → over 1 month from 2026-02-28 24:00 local.
///
/// Why this choice rather than `start` plus an exact length: the duration is the same legal
/// time as every other period in the system (Civil Code art. 201: a period counted in days,
/// months or years does not count the start day; art. 203: it ends at 24:00 of its last
/// day), a month has no exact length anyway, and a whole-day count gives one answer for
/// everybody admitted on the same day, whatever the hour of admission. The status therefore
/// begins up to 24 hours later than a naive "same clock time, n months on" would (admitted
/// 10:00 → 14 hours later).
pub fn status_months(start: DateTime<Utc>, n: u32) -> DateTime<Utc> {
    match local_date(start).checked_add_months(Months::new(n)) {
        Some(last_day) => end_of_day(last_day),
        None => DateTime::<Utc>::MAX_UTC,
    }
}

/// The instant from which a status defined by "over `n` days" holds (e.g. stay over
/// 10 days), for a stay that began at `start`.
///
/// The start day is not counted; day 1 is the next local day, and the status holds from
/// 24:00 local of day `n` on (the returned instant included), rest days or not. Admitted
/// 2026-03-01 10:00 local → over 10 days from 2026-03-11 24:00 local (= 2026-03-12 00:00
/// local, 2026-03-11 16:00 UTC). The reasoning is that of [`status_months`]: the same day
/// count as an act period (Civil Code arts. 201 and 203), one answer per admission day.
pub fn status_days(start: DateTime<Utc>, n: u32) -> DateTime<Utc> {
    match local_date(start).checked_add_days(Days::new(u64::from(n))) {
        Some(last_day) => end_of_day(last_day),
        None => DateTime::<Utc>::MAX_UTC,
    }
}

/// Walks local days through a calendar, remembering the uncovered years it looked at.
pub(crate) struct DayCounter<'a> {
    calendar: &'a HolidayCalendar,
    uncovered: BTreeSet<i32>,
}

impl<'a> DayCounter<'a> {
    pub(crate) fn new(calendar: &'a HolidayCalendar) -> Self {
        Self {
            calendar,
            uncovered: BTreeSet::new(),
        }
    }

    fn note(&mut self, year: i32) {
        if !self.calendar.covers(year) {
            self.uncovered.insert(year);
        }
    }

    fn is_working_day(&mut self, date: NaiveDate) -> bool {
        self.note(date.year());
        self.calendar.is_working_day(date)
    }

    /// `date` if it is a working day, else the first working day after it.
    fn first_working_day_from(&mut self, mut date: NaiveDate) -> Option<NaiveDate> {
        while !self.is_working_day(date) {
            date = date.succ_opt()?;
        }
        Some(date)
    }

    /// The `n`th working day after `date` (`date` itself not counted; `n = 0` is `date`).
    pub(crate) fn nth_working_day_after(
        &mut self,
        mut date: NaiveDate,
        mut n: u32,
    ) -> Option<NaiveDate> {
        while n > 0 {
            let next = date.succ_opt()?;
            // Past the last covered year only weekends rest, and any seven days hold exactly
            // five working days: jump whole weeks at once, leaving 1..=5 days to count, so
            // that huge counts stay fast.
            if n > 5
                && self
                    .calendar
                    .last_year()
                    .is_none_or(|last| next.year() > last)
            {
                let weeks = (n - 1) / 5;
                let target = date.checked_add_days(Days::new(u64::from(weeks) * 7))?;
                self.uncovered.extend(next.year()..=target.year());
                date = target;
                n -= weeks * 5;
                continue;
            }
            date = next;
            if self.is_working_day(date) {
                n -= 1;
            }
        }
        Some(date)
    }

    /// The deadline ending at 24:00 of `last_day` (`None`: past chrono's range).
    pub(crate) fn deadline(self, last_day: Option<NaiveDate>) -> Deadline {
        Deadline {
            due: last_day.map_or(DateTime::<Utc>::MAX_UTC, end_of_day),
            warnings: self
                .uncovered
                .into_iter()
                .map(|year| Warning::CalendarNotCovering { year })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests;
