//! The dev clock and the demo's calendar: which month it drives, the local times of each day's
//! rounds, and moving the shared clock of `relief dev --dev-clock` forward to them.

use anyhow::{Context as _, anyhow};
use chrono::{DateTime, Datelike, Days, Months, NaiveDate, TimeZone, Utc};
use relief_proto::admin::v1 as admin;
use relief_proto::admin::v1::clock_service_client::ClockServiceClient;
use relief_runtime::time::{instant, timestamp};
use tonic::Code;

use super::calls::call;
use super::connect::{Connection, UnitChannel};
use super::units;

/// Days of the previous month the demo drives before its month: verification requests filed
/// then fall due within the month, so the police answers of the month can be on time or late.
pub const PRELUDE_DAYS: u32 = 7;

/// The instant of `hour:minute` local time (Asia/Shanghai) on `date`.
pub fn local(date: NaiveDate, hour: u32, minute: u32) -> DateTime<Utc> {
    let naive = date.and_hms_opt(hour, minute, 0).unwrap_or_default();
    relief_legal::china()
        .from_local_datetime(&naive)
        .single()
        .map_or_else(|| naive.and_utc(), |local| local.with_timezone(&Utc))
}

/// The local day of `at`.
pub fn local_date(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&relief_legal::china()).date_naive()
}

/// `date` plus `days`.
pub fn plus_days(date: NaiveDate, days: u32) -> NaiveDate {
    date.checked_add_days(Days::new(u64::from(days)))
        .unwrap_or(date)
}

/// The first day of the month of `date`.
pub fn first_of_month(date: NaiveDate) -> NaiveDate {
    date.with_day(1).unwrap_or(date)
}

/// The number of days of the month of `date`.
pub fn days_in_month(date: NaiveDate) -> u32 {
    let first = first_of_month(date);
    first.checked_add_months(Months::new(1)).map_or(30, |next| {
        u32::try_from((next - first).num_days()).unwrap_or(30)
    })
}

/// What the demo drives: from `start` (in the previous month) through the last day of `month`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Calendar {
    /// The first day driven.
    pub start: NaiveDate,
    /// The first day of the month the demo reports on.
    pub month: NaiveDate,
    /// How many days are driven.
    pub days: u32,
}

impl Calendar {
    /// The month whose run-up starts at the earliest 08:30 not before `now`, driven in full, or
    /// only its first `days` days (run-up included) when given.
    pub fn from(now: DateTime<Utc>, days: Option<u32>) -> Calendar {
        let mut month = first_of_month(local_date(now));
        loop {
            let start = month
                .checked_sub_days(Days::new(u64::from(PRELUDE_DAYS)))
                .unwrap_or(month);
            if local(start, 8, 30) >= now {
                let full = PRELUDE_DAYS + days_in_month(month);
                return Calendar {
                    start,
                    month,
                    days: days.unwrap_or(full).max(1),
                };
            }
            month = month.checked_add_months(Months::new(1)).unwrap_or(month);
        }
    }

    /// The local day of day `index` of the drive.
    pub fn day(&self, index: u32) -> NaiveDate {
        plus_days(self.start, index)
    }

    /// `YYYY-MM` of the month reported on.
    pub fn month_label(&self) -> String {
        format!("{:04}-{:02}", self.month.year(), self.month.month())
    }
}

/// The dev clock of the running cluster.
#[derive(Debug)]
pub struct DevClock {
    client: ClockServiceClient<UnitChannel>,
}

impl DevClock {
    /// Connects and checks that the cluster runs on a dev clock; a clear error otherwise.
    pub async fn connect(connection: &Connection) -> anyhow::Result<DevClock> {
        let url = connection.url("intake")?;
        let mut client = connection.clock(&units::civil_affairs("211100"))?;
        match client.get_time(admin::GetTimeRequest {}).await {
            Ok(_) => Ok(DevClock { client }),
            Err(status) if status.code() == Code::Unimplemented => Err(anyhow!(
                "the cluster at {url} runs on the system clock (it serves no \
                 relief.admin.v1.ClockService): start `relief dev --dev-clock` first"
            )),
            Err(status) => Err(anyhow!(
                "cannot reach `relief dev` at {url} ({}): start `relief dev --dev-clock` first, \
                 with the same --data-dir, --base-port and --insecure as this command",
                status.message()
            )),
        }
    }

    /// Now, on the cluster's clock.
    pub async fn now(&mut self) -> anyhow::Result<DateTime<Utc>> {
        let client = self.client.clone();
        let response = call("read the dev clock", || {
            let mut client = client.clone();
            async move { client.get_time(admin::GetTimeRequest {}).await }
        })
        .await?;
        instant("now", response.now.as_ref()).context("the dev clock answered no time")
    }

    /// Moves the clock to `at` (every deadline falling due fires at once); a clock already past
    /// it stays where it is. Returns the time after the move.
    pub async fn move_to(&mut self, at: DateTime<Utc>) -> anyhow::Result<DateTime<Utc>> {
        let now = self.now().await?;
        if now >= at {
            return Ok(now);
        }
        let client = self.client.clone();
        let request = admin::SetTimeRequest {
            time: Some(timestamp(at)),
        };
        let response = call("move the dev clock", || {
            let mut client = client.clone();
            async move { client.set_time(request).await }
        })
        .await?;
        instant("now", response.now.as_ref()).context("the dev clock answered no time")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .map(|at| at.with_timezone(&Utc))
            .unwrap_or_default()
    }

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap_or_default()
    }

    #[test]
    fn the_month_is_the_first_whose_run_up_is_still_ahead() {
        let calendar = Calendar::from(at("2026-03-20T08:00:00+08:00"), None);
        assert_eq!(calendar.month, date("2026-04-01"));
        assert_eq!(calendar.start, date("2026-03-25"));
        assert_eq!(calendar.days, 7 + 30);
        assert_eq!(calendar.month_label(), "2026-04");
        // Too late for April's run-up: May, starting on April 24.
        let calendar = Calendar::from(at("2026-03-25T09:00:00+08:00"), Some(5));
        assert_eq!(calendar.month, date("2026-05-01"));
        assert_eq!(calendar.start, date("2026-04-24"));
        assert_eq!(calendar.days, 5);
        assert_eq!(calendar.day(7), date("2026-05-01"));
        // Early on the first day of the run-up: that month.
        let calendar = Calendar::from(at("2026-12-25T07:00:00+08:00"), None);
        assert_eq!(calendar.month, date("2027-01-01"));
        assert_eq!(calendar.days, 7 + 31);
    }

    #[test]
    fn local_times_are_china_time() {
        assert_eq!(
            local(date("2026-04-01"), 8, 30),
            at("2026-04-01T08:30:00+08:00")
        );
        assert_eq!(
            local_date(at("2026-03-31T23:30:00+08:00")),
            date("2026-03-31")
        );
        assert_eq!(days_in_month(date("2026-02-10")), 28);
    }
}
