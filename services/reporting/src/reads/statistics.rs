//! `GetPeriodStatistics`: the figures of a month, quarter or year (DOMAIN.md §4 "Period
//! statistics"), per county, the city station and the city, with compliance.
//!
//! Every figure but one is a sum of the daily counters (`r_daily`, written only by
//! [`crate::facts::put`]) over the period's local days: one query sums them by division, metric
//! and dimension, and the rows are folded from that here. The metric names are the read-model
//! contract's. The exception is "notifications acknowledged on time", read from
//! `r_notifications` by `acknowledge_by` day: a notification left unacknowledged becomes late by
//! the passing of time, which no event records, so it is decided against the reporting clock.
//!
//! The city row sums the five division rows (its median comes from the merged histograms). A
//! fact of a division that is none of the five has no row and is in no total.

use std::collections::{BTreeMap, HashMap};

use chrono::{Days, NaiveDate};
use relief_proto::intake::v1::DepartureKind;
use relief_proto::reporting::v1 as pb;
use relief_runtime::{ApiError, Caller, ServiceContext, with_db};

use super::dashboard::count;
use crate::areas::{self, Scope};
use crate::time::{DayRange, micros, period_range};

/// The vulnerable groups of `admission.<group>`, in [`pb::AdmissionCounts`] order.
const GROUPS: [&str; 7] = [
    "disabled",
    "mental_disorder",
    "intellectual_disability",
    "minor",
    "elderly",
    "mobility_impaired",
    "acute_illness",
];

/// `GetPeriodStatistics`: INVALID_ARGUMENT (`period`) for a malformed period, NOT_FOUND for a
/// division outside the caller's scope; otherwise a row per division in scope, then the city
/// total when the whole city is in scope, and the repeat vagrancy of the rows' cases by origin.
pub async fn get(
    context: &ServiceContext,
    caller: &Caller,
    request: pb::GetPeriodStatisticsRequest,
) -> Result<pb::GetPeriodStatisticsResponse, ApiError> {
    let range = period_range("period", request.period.as_ref())?;
    let scope = Scope::of(caller, &request.division)?;
    let mut sums = daily_sums(context, &range).await?;
    notification_ratios(context, &range, &mut sums).await?;

    let empty = Sums::default();
    let rows = scope
        .areas()
        .into_iter()
        .map(|area| {
            if area.kind == pb::AreaKind::City as i32 {
                let mut city = Sums::default();
                for division in areas::all_divisions() {
                    if let Some(division) = sums.get(division) {
                        city.merge(division);
                    }
                }
                city.row(area)
            } else {
                sums.get(&area.division).unwrap_or(&empty).row(area)
            }
        })
        .collect();

    let mut origins: BTreeMap<String, i64> = BTreeMap::new();
    for division in &scope.divisions {
        for (origin, value) in sums.get(*division).unwrap_or(&empty).dims("repeat") {
            *origins.entry(origin.to_owned()).or_default() += value;
        }
    }
    let mut repeat_vagrancy_by_origin: Vec<pb::OriginCount> = origins
        .into_iter()
        .filter(|(_, cases)| *cases != 0)
        .map(|(origin, cases)| pb::OriginCount {
            name: areas::name_of(&origin),
            origin_division: origin,
            repeat_cases: count(cases),
        })
        .collect();
    // Most first; equal counts by code, an unknown origin ("") after the known ones.
    repeat_vagrancy_by_origin.sort_by(|a, b| {
        b.repeat_cases
            .cmp(&a.repeat_cases)
            .then(
                a.origin_division
                    .is_empty()
                    .cmp(&b.origin_division.is_empty()),
            )
            .then(a.origin_division.cmp(&b.origin_division))
    });

    Ok(pb::GetPeriodStatisticsResponse {
        period: Some(range.period),
        rows,
        repeat_vagrancy_by_origin,
    })
}

/// What one area adds up to over the period.
#[derive(Debug, Clone, Default)]
struct Sums {
    /// metric -> dim -> sum of r_daily.
    counters: HashMap<String, BTreeMap<String, i64>>,
    /// Notifications due in the period (acknowledged, or past acknowledge_by now).
    notifications_due: i64,
    /// Of those, acknowledged on time.
    notifications_on_time: i64,
}

impl Sums {
    /// Every dimension of `metric` with its sum.
    fn dims<'a>(&'a self, metric: &str) -> impl Iterator<Item = (&'a str, i64)> + 'a {
        self.counters
            .get(metric)
            .into_iter()
            .flat_map(|dims| dims.iter().map(|(dim, value)| (dim.as_str(), *value)))
    }

    /// The sum of `metric` over every dimension.
    fn total(&self, metric: &str) -> i64 {
        self.dims(metric).map(|(_, value)| value).sum()
    }

    /// The sum of `metric` under `dim`.
    fn dim(&self, metric: &str, dim: &str) -> i64 {
        self.counters
            .get(metric)
            .and_then(|dims| dims.get(dim))
            .copied()
            .unwrap_or(0)
    }

    /// `metric`'s dimensions as a proto map, zeros left out.
    fn map(&self, metric: &str) -> HashMap<String, i32> {
        self.dims(metric)
            .filter(|(_, value)| *value != 0)
            .map(|(dim, value)| (dim.to_owned(), count(value)))
            .collect()
    }

    /// A compliance ratio of a metric whose dimension `on_time_dim` counts the obligations done
    /// on time and whose every dimension counts one due (ON_TIME/LATE, DONE/OVERDUE).
    fn ratio(&self, metric: &str, on_time_dim: &str) -> pb::Ratio {
        pb::Ratio {
            on_time: count(self.dim(metric, on_time_dim)),
            due: count(self.total(metric)),
        }
    }

    /// Adds `other`'s sums to these.
    fn merge(&mut self, other: &Sums) {
        for (metric, dims) in &other.counters {
            let into = self.counters.entry(metric.clone()).or_default();
            for (dim, value) in dims {
                *into.entry(dim.clone()).or_default() += value;
            }
        }
        self.notifications_due += other.notifications_due;
        self.notifications_on_time += other.notifications_on_time;
    }

    /// The row of `area` from these sums.
    fn row(&self, area: pb::Area) -> pb::PeriodStatisticsRow {
        let group = |name: &str| count(self.total(&format!("admission.{name}")));
        let [
            disabled,
            mental_disorder,
            intellectual_disability,
            minor,
            elderly,
            mobility_impaired,
            acute_illness,
        ] = GROUPS.map(group);
        let transfers = self.dim("admission", "TRANSFER");
        pb::PeriodStatisticsRow {
            area: Some(area),
            sightings: count(self.total("sighting")),
            encounters_by_outcome: self.map("encounter"),
            admissions: Some(pb::AdmissionCounts {
                total: count(self.total("admission") - transfers),
                transfers: count(transfers),
                disabled,
                mental_disorder,
                intellectual_disability,
                minor,
                elderly,
                mobility_impaired,
                acute_illness,
            }),
            identifications_by_method: self.map("identification"),
            returns_home: count(self.dim("departure", DepartureKind::ReturnedHome.as_str_name())),
            placements: count(self.dim("placement", "NEW")),
            settlements_filed: count(self.total("settlement.filed")),
            settlements_approved: count(self.dim("settlement.decided", "APPROVED")),
            deaths: count(self.dim("departure", DepartureKind::Death.as_str_name())),
            compliance: Some(pb::Compliance {
                police_answers: Some(self.ratio("police_answer", "ON_TIME")),
                police_answer_median_days: median(&self.histogram("police_answer_days")),
                notices_within_24_hours: Some(self.ratio("notice_24h", "ON_TIME")),
                requests_within_7_working_days: Some(self.ratio("request_7wd", "ON_TIME")),
                visits: Some(self.ratio("visit", "DONE")),
                notifications_acknowledged: Some(pb::Ratio {
                    on_time: count(self.notifications_on_time),
                    due: count(self.notifications_due),
                }),
            }),
        }
    }

    /// A histogram metric (dimension = a zero-padded number of days) as days -> how many. A
    /// dimension that is not a number is a defect of ingestion: logged and left out.
    fn histogram(&self, metric: &str) -> BTreeMap<i64, i64> {
        let mut histogram = BTreeMap::new();
        for (dim, value) in self.dims(metric) {
            match dim.parse::<i64>() {
                Ok(days) => *histogram.entry(days).or_default() += value,
                Err(_) => tracing::warn!(metric, dim, "a histogram dimension is not a number"),
            }
        }
        histogram
    }
}

/// The exact median of a histogram (value -> how many): the middle value, or the mean of the two
/// middle values (so x.5 is possible); 0 when empty.
fn median(histogram: &BTreeMap<i64, i64>) -> f64 {
    let n: i64 = histogram.values().filter(|count| **count > 0).sum();
    if n == 0 {
        return 0.0;
    }
    // 0-based positions of the middle value(s) in the sorted values.
    let (low, high) = ((n - 1) / 2, n / 2);
    let mut seen = 0;
    let (mut low_value, mut high_value) = (None, None);
    for (value, how_many) in histogram.iter().filter(|(_, count)| **count > 0) {
        seen += how_many;
        if low_value.is_none() && seen > low {
            low_value = Some(*value);
        }
        if seen > high {
            high_value = Some(*value);
            break;
        }
    }
    match (low_value, high_value) {
        (Some(low), Some(high)) => (low + high) as f64 / 2.0,
        _ => 0.0,
    }
}

/// The r_daily sums of the period by division (one grouped query).
async fn daily_sums(
    context: &ServiceContext,
    range: &DayRange,
) -> Result<HashMap<String, Sums>, ApiError> {
    let rows: Vec<(String, String, String, i64)> = with_db!(&context.db, |pool| {
        sqlx::query_as(
            "SELECT division, metric, dim, CAST(SUM(value) AS BIGINT) FROM r_daily \
             WHERE day >= $1 AND day <= $2 GROUP BY division, metric, dim",
        )
        .bind(&range.first)
        .bind(&range.last)
        .fetch_all(pool)
        .await
    })?;
    let mut sums: HashMap<String, Sums> = HashMap::new();
    for (division, metric, dim, value) in rows {
        *sums
            .entry(division)
            .or_default()
            .counters
            .entry(metric)
            .or_default()
            .entry(dim)
            .or_default() += value;
    }
    Ok(sums)
}

/// Adds to `sums` the notifications whose acknowledge_by falls on a day of the period: due once
/// acknowledged or once acknowledge_by has passed (reporting clock); on time when acknowledged
/// on time (the event's `on_time`; by the times, if it did not say).
async fn notification_ratios(
    context: &ServiceContext,
    range: &DayRange,
    sums: &mut HashMap<String, Sums>,
) -> Result<(), ApiError> {
    let first = day_start(&range.first)?;
    let after_last = day_start(&range.last)? + chrono::Duration::days(1);
    let now = micros(context.clock.now());
    let rows: Vec<(String, i64, i64)> = with_db!(&context.db, |pool| {
        sqlx::query_as(
            "SELECT division, \
               SUM(CASE WHEN acknowledged_at IS NOT NULL OR acknowledge_by < $3 THEN 1 ELSE 0 END), \
               SUM(CASE WHEN acknowledged_at IS NOT NULL AND COALESCE(ack_on_time, \
                 CASE WHEN acknowledged_at <= acknowledge_by THEN 1 ELSE 0 END) = 1 \
                 THEN 1 ELSE 0 END) \
             FROM r_notifications WHERE acknowledge_by >= $1 AND acknowledge_by < $2 \
             GROUP BY division",
        )
        .bind(micros(first))
        .bind(micros(after_last))
        .bind(now)
        .fetch_all(pool)
        .await
    })?;
    for (division, due, on_time) in rows {
        let sums = sums.entry(division).or_default();
        sums.notifications_due += due;
        sums.notifications_on_time += on_time;
    }
    Ok(())
}

/// 00:00 local of a stored day, as an instant.
fn day_start(day: &str) -> Result<chrono::DateTime<chrono::Utc>, ApiError> {
    let date = NaiveDate::parse_from_str(day, "%Y-%m-%d").map_err(ApiError::internal)?;
    let before = date
        .checked_sub_days(Days::new(1))
        .ok_or_else(|| ApiError::internal(format!("no day before {day}")))?;
    Ok(relief_legal::end_of_day(before))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn histogram(pairs: &[(i64, i64)]) -> BTreeMap<i64, i64> {
        pairs.iter().copied().collect()
    }

    #[test]
    fn the_median_is_exact() {
        assert_eq!(median(&histogram(&[])), 0.0);
        assert_eq!(median(&histogram(&[(4, 1)])), 4.0);
        // 2, 3, 3, 9: the mean of 3 and 3.
        assert_eq!(median(&histogram(&[(2, 1), (3, 2), (9, 1)])), 3.0);
        // 2, 5: x.5.
        assert_eq!(median(&histogram(&[(2, 1), (5, 1)])), 3.5);
        // 1, 1, 1, 8, 10: the third.
        assert_eq!(median(&histogram(&[(1, 3), (8, 1), (10, 1)])), 1.0);
        // A counter moved to zero by a revision counts nothing.
        assert_eq!(median(&histogram(&[(1, 0), (6, 1), (7, 1)])), 6.5);
    }

    #[test]
    fn admissions_leave_transfers_out_of_the_total() {
        let mut sums = Sums::default();
        for (metric, dim, value) in [
            ("admission", "NEW", 5),
            ("admission", "TRANSFER", 2),
            ("admission.minor", "", 1),
            ("departure", "DEPARTURE_KIND_RETURNED_HOME", 3),
            ("departure", "DEPARTURE_KIND_DEATH", 1),
            ("police_answer", "ON_TIME", 3),
            ("police_answer", "LATE", 1),
        ] {
            sums.counters
                .entry(metric.to_owned())
                .or_default()
                .insert(dim.to_owned(), value);
        }
        let row = sums.row(pb::Area::default());
        let admissions = row.admissions.expect("admissions");
        assert_eq!((admissions.total, admissions.transfers), (5, 2));
        assert_eq!(admissions.minor, 1);
        assert_eq!((row.returns_home, row.deaths), (3, 1));
        let compliance = row.compliance.expect("compliance");
        assert_eq!(
            compliance.police_answers,
            Some(pb::Ratio { on_time: 3, due: 4 })
        );
    }

    #[test]
    fn periods_start_at_local_midnight() {
        assert_eq!(
            day_start("2026-03-01").expect("a day").to_rfc3339(),
            "2026-02-28T16:00:00+00:00"
        );
    }
}
