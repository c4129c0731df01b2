//! The June 19 open day (开放日, plan §三(三)) of every station and institution: recorded on the
//! day, missed ones visible after it.
//!
//! - [`record`]: `RecordOpenDay`, by a station or an institution for itself, on June 19 local.
//! - [`reads`]: `ListOpenDays`, every station and institution in the caller's scope with its
//!   open day of a year; `missed` computed from the records once June 19 24:00 has passed.
//! - [`missed`]: the yearly deadline at June 19 24:00 local ([`start`] makes sure it exists):
//!   OpenDayMissed and a notification for each unit without a record, then next year's.
//! - [`store`]: the table.

pub(crate) mod missed;
mod reads;
mod store;

use chrono::{DateTime, Datelike, NaiveDate, SubsecRound, Utc};
use relief_proto::foster::v1 as pb;
use relief_runtime::db::Conn;
use relief_runtime::deadlines;
use relief_runtime::events::append;
use relief_runtime::time::timestamp;
use relief_runtime::validate::Violations;
use relief_runtime::{ApiError, CallerKind, ServiceContext, caller, idempotency};
use tonic::Request;

use crate::institutions;
pub use reads::list;
use store::OpenDayRow;

/// The `FAILED_PRECONDITION` reason of recording an open day before June 19.
pub const OPEN_DAY_NOT_YET: &str = "OPEN_DAY_NOT_YET";

/// The `FAILED_PRECONDITION` reason of recording an open day after June 19 24:00.
pub const OPEN_DAY_PASSED: &str = "OPEN_DAY_PASSED";

/// The `FAILED_PRECONDITION` reason of recording a year's open day twice.
pub const OPEN_DAY_ALREADY_RECORDED: &str = "OPEN_DAY_ALREADY_RECORDED";

/// The longest description accepted, in characters.
const MAX_DESCRIPTION: usize = 2000;

/// June 19 of `year`, if `year` is one this system handles (1..=9999).
pub fn open_day(year: i32) -> Option<NaiveDate> {
    if !(1..=9999).contains(&year) {
        return None;
    }
    NaiveDate::from_ymd_opt(year, 6, 19)
}

/// The instants `day` begins and ends (00:00 and 24:00 local).
pub fn window(day: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    let start = day
        .pred_opt()
        .map_or(DateTime::<Utc>::MIN_UTC, relief_legal::end_of_day);
    (start, relief_legal::end_of_day(day))
}

/// The year whose open day is still ahead of (or on) `now`: this year's until June 19 24:00
/// local, then next year's.
pub fn year_ahead(now: DateTime<Utc>) -> i32 {
    let year = institutions::today(now).year();
    match open_day(year) {
        Some(day) if now >= window(day).1 => year + 1,
        _ => year,
    }
}

/// `RecordOpenDay`: the calling station (of units.toml) or institution records its open day of
/// `year`, on June 19 local of that year.
pub async fn record(
    context: &ServiceContext,
    request: Request<pb::RecordOpenDayRequest>,
) -> Result<pb::RecordOpenDayResponse, ApiError> {
    let caller = caller(&request)?.clone();
    let request = request.into_inner();
    let mut check = Violations::new();
    let day = open_day(request.year);
    if day.is_none() {
        check.add("year", "must be a year from 1 to 9999");
    }
    if request.visitors < 0 {
        check.add("visitors", "must be 0 or more");
    }
    let description = check.required_text("description", &request.description, MAX_DESCRIPTION);
    check.finish()?;
    let Some(day) = day else {
        return Err(ApiError::invalid_field("year", "must be a year"));
    };
    idempotency::run(
        context,
        &caller,
        "/relief.foster.v1.FosterSupervisionService/RecordOpenDay",
        &request.request_id,
        &request,
        async |tx| {
            // The year's deadline first, then the clock: a record made before 24:00 is always
            // seen by the sweeper, and one after the sweeper fired is OPEN_DAY_PASSED.
            deadlines::lock_subject(tx, &missed::subject(request.year)).await?;
            let now = context.clock.now().trunc_subsecs(6);
            let (institution, division) = match caller.kind {
                CallerKind::Station => {
                    let unit = context
                        .units
                        .get(&caller.unit)
                        .filter(|unit| unit.kind == CallerKind::Station)
                        .ok_or(ApiError::NotFound { what: "station" })?;
                    (false, unit.division.clone())
                }
                CallerKind::Foster => {
                    let row = institutions::store::fetch(Conn::Tx(tx), &caller.unit)
                        .await?
                        .ok_or(ApiError::NotFound {
                            what: "institution",
                        })?;
                    (true, row.division)
                }
                other => {
                    return Err(ApiError::PermissionDenied {
                        message: format!("a {other} caller has no open day"),
                    });
                }
            };
            let (starts, ends) = window(day);
            if now < starts {
                return Err(ApiError::failed_precondition(
                    OPEN_DAY_NOT_YET,
                    format!(
                        "the open day of {} is {day}: record it on that day",
                        request.year
                    ),
                ));
            }
            if now >= ends {
                return Err(ApiError::failed_precondition(
                    OPEN_DAY_PASSED,
                    format!("the open day of {} was {day}", request.year),
                ));
            }
            let row = OpenDayRow {
                year: request.year,
                unit: caller.unit.clone(),
                institution,
                division,
                visitors: request.visitors,
                description: description.clone(),
                recorded_at: now,
            };
            if !store::insert(tx, &row).await? {
                return Err(ApiError::failed_precondition(
                    OPEN_DAY_ALREADY_RECORDED,
                    format!("the open day of {} is already recorded", request.year),
                ));
            }
            append(
                tx,
                now,
                &pb::OpenDayRecorded {
                    year: row.year,
                    unit: row.unit.clone(),
                    institution: row.institution,
                    division: row.division.clone(),
                    visitors: row.visitors,
                    recorded_at: Some(timestamp(now)),
                },
            )
            .await?;
            Ok(pb::RecordOpenDayResponse {
                open_day: Some(row.to_proto()),
            })
        },
    )
    .await
}

/// The deadline handlers of this part, by kind.
pub fn deadline_handlers() -> Vec<(
    &'static str,
    std::sync::Arc<dyn relief_runtime::deadlines::DeadlineHandler>,
)> {
    vec![(
        missed::OPEN_DAY_DEADLINE,
        std::sync::Arc::new(missed::OpenDayDeadline) as _,
    )]
}

/// Runs once when the service starts, before it serves (after migrations): makes sure the
/// deadline of the next open day exists (idempotent across restarts).
pub async fn start(context: &ServiceContext) -> Result<(), relief_runtime::RunError> {
    let now = context.clock.now().trunc_subsecs(6);
    let failed =
        |e: sqlx::Error| relief_runtime::RunError::Db(relief_runtime::db::DbError::Connect(e));
    let mut tx = context.db.begin().await.map_err(failed)?;
    missed::schedule(&mut tx, now, year_ahead(now))
        .await
        .map_err(failed)?;
    context.commit(tx).await.map_err(failed)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]

    use super::*;

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn the_open_day_is_june_19_local() {
        let day = open_day(2026).unwrap();
        assert_eq!(
            window(day),
            (
                utc("2026-06-19T00:00:00+08:00"),
                utc("2026-06-20T00:00:00+08:00")
            )
        );
        assert!(open_day(0).is_none());
        assert!(open_day(10_000).is_none());
    }

    #[test]
    fn the_year_ahead_turns_at_june_19_24_00_local() {
        assert_eq!(year_ahead(utc("2026-03-10T10:00:00+08:00")), 2026);
        assert_eq!(year_ahead(utc("2026-06-19T23:59:59+08:00")), 2026);
        assert_eq!(year_ahead(utc("2026-06-20T00:00:00+08:00")), 2027);
        // New Year's Eve in UTC is already the new year in China.
        assert_eq!(year_ahead(utc("2026-12-31T16:00:00Z")), 2027);
        assert_eq!(year_ahead(utc("2026-12-31T15:59:59Z")), 2027);
    }
}
