//! The yearly open-day deadline, due at June 19 24:00 local: every station of units.toml and
//! every institution registered before that instant without a record of that year's open day
//! missed it (OpenDayMissed and a tracked notification to the unit and the city civil-affairs
//! bureau); then next year's deadline is scheduled. The deadline fires once per year (its id
//! names the year), and the outcome depends only on the records and the due instant.

use chrono::{DateTime, Utc};
use relief_proto::foster::v1 as pb;
use relief_runtime::db::{Conn, Tx};
use relief_runtime::deadlines::{self, Deadline, DeadlineHandler};
use relief_runtime::events::append;
use relief_runtime::notifications::{Tracked, tracked};
use relief_runtime::time::timestamp;
use relief_runtime::units::Unit;
use relief_runtime::{ApiError, ServiceContext};

use super::store;
use super::{open_day, window};

/// The deadline kind of a year's open day.
pub const OPEN_DAY_DEADLINE: &str = "foster.open_day";

/// The notification kind of a missed open day.
pub const OPEN_DAY_MISSED_NOTIFICATION: &str = "OPEN_DAY_MISSED";

/// The role of the city civil-affairs bureau.
const CITY_CIVIL_AFFAIRS: &str = "city-civil-affairs";

/// The deadline id of `year`'s open day.
pub fn deadline_id(year: i32) -> String {
    format!("foster.open-day:{year}")
}

/// The deadline subject of `year`'s open day.
pub fn subject(year: i32) -> String {
    format!("open-day/{year}")
}

/// Schedules the deadline of `year`'s open day (June 19 24:00 local); scheduling twice is
/// harmless. A year outside 1..=9999 is ignored.
pub async fn schedule(tx: &mut Tx, now: DateTime<Utc>, year: i32) -> Result<(), sqlx::Error> {
    let Some(day) = open_day(year) else {
        return Ok(());
    };
    deadlines::schedule(
        tx,
        now,
        &deadline_id(year),
        OPEN_DAY_DEADLINE,
        &subject(year),
        window(day).1,
        year.to_string().into_bytes(),
    )
    .await?;
    Ok(())
}

/// Fires a year's open-day deadline.
#[derive(Debug, Clone, Copy, Default)]
pub struct OpenDayDeadline;

#[tonic::async_trait]
impl DeadlineHandler for OpenDayDeadline {
    async fn fire(
        &self,
        context: &ServiceContext,
        tx: &mut Tx,
        deadline: &Deadline,
        now: DateTime<Utc>,
    ) -> Result<(), ApiError> {
        let text = String::from_utf8_lossy(&deadline.payload).into_owned();
        let year: i32 = text
            .parse()
            .map_err(|_| ApiError::internal(format!("bad open-day deadline payload {text}")))?;
        let due_at = deadline.due_at;
        let held: std::collections::HashSet<String> = store::of_year(Conn::Tx(tx), year)
            .await?
            .into_iter()
            .filter(|row| row.recorded_at < due_at)
            .map(|row| row.unit)
            .collect();
        let city: Vec<_> = context
            .units
            .with_role(CITY_CIVIL_AFFAIRS)
            .map(Unit::caller)
            .collect();
        for unit in store::obliged(Conn::Tx(tx), &context.units, due_at).await? {
            if held.contains(&unit.unit) {
                continue;
            }
            append(
                tx,
                now,
                &pb::OpenDayMissed {
                    year,
                    unit: unit.unit.clone(),
                    institution: unit.institution,
                    division: unit.division.clone(),
                    due_at: Some(timestamp(due_at)),
                },
            )
            .await?;
            let mut recipients = vec![unit.caller()];
            recipients.extend(city.iter().filter(|c| c.unit != unit.unit).cloned());
            tracked(
                context,
                tx,
                now,
                Tracked {
                    kind: OPEN_DAY_MISSED_NOTIFICATION.to_owned(),
                    subject: format!("open-day/{year}:{}", unit.unit),
                    division: unit.division.clone(),
                    summary: format!(
                        "{} {}: no open day of {year} was recorded by the end of June 19",
                        if unit.institution {
                            "institution"
                        } else {
                            "station"
                        },
                        unit.unit
                    ),
                    recipients,
                },
            )
            .await?;
        }
        schedule(tx, now, year.saturating_add(1)).await?;
        Ok(())
    }
}
