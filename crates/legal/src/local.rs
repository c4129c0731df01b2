//! China local time: Asia/Shanghai, a fixed UTC+8.
//!
//! China has kept UTC+8 without daylight saving time since 1991, so a fixed offset is exact
//! for every date this system handles and no time-zone database is needed. Every "day" in
//! this crate is a local calendar day, and "24:00" of a day is 00:00 of the next local day,
//! stored as the corresponding UTC instant.

use chrono::{DateTime, Days, FixedOffset, NaiveDate, NaiveTime, TimeDelta, TimeZone, Utc};

/// Offset of China local time from UTC, in seconds (UTC+8).
pub const CHINA_OFFSET_SECONDS: i32 = 8 * 3600;

const CHINA: FixedOffset = match FixedOffset::east_opt(CHINA_OFFSET_SECONDS) {
    Some(offset) => offset,
    // Unreachable: 8 hours is within chrono's ±24 h bound; checked at compile time.
    None => panic!("china offset out of range"),
};

/// The China local time zone (Asia/Shanghai), UTC+8 with no daylight saving time.
pub fn china() -> FixedOffset {
    CHINA
}

/// The local calendar day containing `instant`.
///
/// Within 8 hours of chrono's last instant the local day is past the last date chrono can
/// represent; it saturates at [`NaiveDate::MAX`] (chrono's own conversion would panic).
pub(crate) fn local_date(instant: DateTime<Utc>) -> NaiveDate {
    instant
        .naive_utc()
        .checked_add_signed(TimeDelta::seconds(i64::from(CHINA_OFFSET_SECONDS)))
        .map_or(NaiveDate::MAX, |local| local.date())
}

/// 00:00 local of `date`, as an instant; saturates at chrono's limits.
pub(crate) fn start_of_day(date: NaiveDate) -> DateTime<Utc> {
    let local = date.and_time(NaiveTime::MIN);
    match local.checked_sub_signed(TimeDelta::seconds(i64::from(CHINA_OFFSET_SECONDS))) {
        Some(utc) => Utc.from_utc_datetime(&utc),
        None => DateTime::<Utc>::MIN_UTC,
    }
}

/// 24:00 local of `date` (00:00 of the following local day), as an instant: when something
/// valid through `date` (a licence, a document) runs out.
///
/// For the last date chrono can represent this saturates at [`DateTime::<Utc>::MAX_UTC`]
/// (about 262,000 years from now), so the deadline functions stay total.
pub fn end_of_day(date: NaiveDate) -> DateTime<Utc> {
    match date.checked_add_days(Days::new(1)) {
        Some(next) => start_of_day(next),
        None => DateTime::<Utc>::MAX_UTC,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn china_is_utc_plus_eight() {
        assert_eq!(china().local_minus_utc(), 8 * 3600);
        assert_eq!(CHINA_OFFSET_SECONDS, 28_800);
    }

    #[test]
    fn local_date_crosses_midnight_eight_hours_early() {
        // 2026-01-31 16:00 UTC is 2026-02-01 00:00 in China.
        assert_eq!(
            local_date(utc("2026-01-31T16:00:00Z")),
            NaiveDate::from_ymd_opt(2026, 2, 1).unwrap()
        );
        assert_eq!(
            local_date(utc("2026-01-31T15:59:59Z")),
            NaiveDate::from_ymd_opt(2026, 1, 31).unwrap()
        );
    }

    #[test]
    fn end_of_day_is_next_local_midnight() {
        let day = NaiveDate::from_ymd_opt(2026, 2, 28).unwrap();
        assert_eq!(end_of_day(day), utc("2026-03-01T00:00:00+08:00"));
        assert_eq!(start_of_day(day), utc("2026-02-28T00:00:00+08:00"));
    }

    #[test]
    fn local_date_saturates_at_the_last_date() {
        assert_eq!(local_date(DateTime::<Utc>::MAX_UTC), NaiveDate::MAX);
        assert_eq!(local_date(DateTime::<Utc>::MIN_UTC), NaiveDate::MIN);
    }

    #[test]
    fn day_bounds_saturate_at_chrono_limits() {
        assert_eq!(end_of_day(NaiveDate::MAX), DateTime::<Utc>::MAX_UTC);
        assert_eq!(start_of_day(NaiveDate::MIN), DateTime::<Utc>::MIN_UTC);
    }
}
