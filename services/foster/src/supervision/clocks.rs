//! The monthly clocks of a placement: for each calendar month it owes, a visit deadline at the
//! month's end and a report deadline at 24:00 of the 5th working day of the next month, both
//! with the placement's subject. The month of placement starts them ([`schedule_month`] from
//! `on_placed`); each month's visit handler schedules the next month while the placement
//! continues; the end of a placement cancels the clocks of its last month and later
//! ([`cancel_from`]).
//!
//! A handler decides with the row's legal instant (`due_at`), never the sweeper's "now": it
//! counts only visits recorded, and reports filed, before it. RecordVisit and FileReport read
//! the clock after locking the placement row, which the handler also locks, so either the
//! handler sees the record, or the record's time is at or after the handler's "now" (past the
//! due instant) and it is stored as not counted / late. A deadline row fires once, so each
//! month is overdue at most once, however often or late the sweeper runs.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use relief_proto::foster::v1 as pb;
use relief_runtime::db::{Conn, Tx};
use relief_runtime::deadlines::{self, Deadline, DeadlineHandler};
use relief_runtime::events::append;
use relief_runtime::notifications::{Tracked, tracked};
use relief_runtime::time::timestamp;
use relief_runtime::{ApiError, Caller, CallerKind, ServiceContext};

use super::months::{Month, owes};
use super::store;
use crate::placements::store::{self as placements, PlacementRow};
use crate::placements::subject;

/// The deadline kind of a month's visit (due at the month's end).
pub const VISIT_DEADLINE: &str = "foster.visit";

/// The deadline kind of a month's report (due 24:00 of the 5th working day of the next month).
pub const REPORT_DEADLINE: &str = "foster.report";

/// The notification kind of a month that ended without a counted visit.
pub const VISIT_OVERDUE_NOTIFICATION: &str = "VISIT_OVERDUE";

/// The notification kind of a month's report not filed by its due instant.
pub const REPORT_OVERDUE_NOTIFICATION: &str = "REPORT_OVERDUE";

/// Far more months than a placement lasts: bounds the cancelling loop of an absurd instant.
const MAX_MONTHS: usize = 12 * 200;

/// More moves within one month than ever happen: bounds the walk back along a stay.
const MAX_MOVES: usize = 32;

/// The handlers of the two clocks, by kind.
pub fn deadline_handlers() -> Vec<(&'static str, Arc<dyn DeadlineHandler>)> {
    vec![
        (VISIT_DEADLINE, Arc::new(VisitMonthEnded) as _),
        (REPORT_DEADLINE, Arc::new(ReportDue) as _),
    ]
}

fn deadline_id(kind: &str, placement_id: &str, month: Month) -> String {
    format!("{kind}:{placement_id}:{month}")
}

fn payload(placement_id: &str, month: Month) -> Vec<u8> {
    format!("{placement_id}|{month}").into_bytes()
}

fn parse_payload(deadline: &Deadline) -> Result<(String, Month), ApiError> {
    std::str::from_utf8(&deadline.payload)
        .ok()
        .and_then(|text| text.split_once('|'))
        .and_then(|(id, month)| Some((id.to_owned(), Month::parse(month)?)))
        .ok_or_else(|| {
            ApiError::internal(format!("malformed supervision deadline {}", deadline.id))
        })
}

/// Schedules the visit and report clocks of `month` of placement `placement_id`; scheduling
/// twice is harmless.
pub async fn schedule_month(
    context: &ServiceContext,
    tx: &mut Tx,
    now: DateTime<Utc>,
    placement_id: &str,
    month: Month,
) -> Result<(), ApiError> {
    for (kind, due_at) in [
        (VISIT_DEADLINE, month.end()?),
        (REPORT_DEADLINE, month.report_due(&context.holidays)?),
    ] {
        deadlines::schedule(
            tx,
            now,
            &deadline_id(kind, placement_id, month),
            kind,
            &subject(placement_id),
            due_at,
            payload(placement_id, month),
        )
        .await?;
    }
    Ok(())
}

/// Cancels the pending visit and report clocks of placement `placement_id` for `from` and every
/// later month up to and including `through`.
pub async fn cancel_from(
    tx: &mut Tx,
    now: DateTime<Utc>,
    placement_id: &str,
    from: Month,
    through: Month,
) -> Result<(), ApiError> {
    let mut month = from;
    for _ in 0..MAX_MONTHS {
        if month > through {
            break;
        }
        for kind in [VISIT_DEADLINE, REPORT_DEADLINE] {
            deadlines::cancel(tx, now, &deadline_id(kind, placement_id, month)).await?;
        }
        month = month.next();
    }
    Ok(())
}

/// Locks and reads the placement of a firing deadline (the sweeper holds the deadline row: the
/// lock order of every placement change).
async fn locked_placement(tx: &mut Tx, placement_id: &str) -> Result<PlacementRow, ApiError> {
    placements::lock(tx, placement_id).await?;
    placements::fetch(Conn::Tx(tx), placement_id)
        .await?
        .ok_or_else(|| {
            ApiError::internal(format!(
                "supervision deadline for a missing placement {placement_id}"
            ))
        })
}

/// Placement `row` and the placements it continues (a move ends one and starts the next) that
/// were in care during the month starting at `month_start`: a visit to the resident counts for
/// the month whichever institution held them when visited.
async fn stay_in_month(
    tx: &mut Tx,
    row: &PlacementRow,
    month_start: DateTime<Utc>,
) -> Result<Vec<String>, ApiError> {
    let mut ids = vec![row.id.clone()];
    let mut previous = row.previous_placement_id.clone();
    while let Some(id) = previous.take() {
        if ids.len() >= MAX_MOVES {
            break;
        }
        let Some(earlier) = placements::fetch(Conn::Tx(tx), &id).await? else {
            break;
        };
        if earlier.ended_at.is_none_or(|ended| ended <= month_start) {
            break;
        }
        ids.push(earlier.id);
        previous = earlier.previous_placement_id;
    }
    Ok(ids)
}

/// The sending station as a recipient: the unit file's, else the case's division.
fn station(context: &ServiceContext, row: &PlacementRow) -> Option<Caller> {
    context
        .units
        .get(&row.station)
        .map(|unit| unit.caller())
        .or_else(|| Caller::new(CallerKind::Station, &row.division, &row.station).ok())
}

/// Fires at the end of a month the placement owes: without a visit in it recorded before that
/// instant (to this placement or, in the month of a move, the one it continues), VisitOverdue and a notification to the sending station and the county civil
/// affairs; then, if the placement continues into the next month and owes it, that month's
/// clocks.
#[derive(Debug, Clone, Copy, Default)]
struct VisitMonthEnded;

#[tonic::async_trait]
impl DeadlineHandler for VisitMonthEnded {
    async fn fire(
        &self,
        context: &ServiceContext,
        tx: &mut Tx,
        deadline: &Deadline,
        now: DateTime<Utc>,
    ) -> Result<(), ApiError> {
        let (placement_id, month) = parse_payload(deadline)?;
        let row = locked_placement(tx, &placement_id).await?;
        if !owes(row.placed_at, row.ended_at, month.end()?) {
            // Ended within the month (its clocks were cancelled; a late sweeper may still
            // meet a row scheduled before the end was recorded).
            return Ok(());
        }
        let due_at = deadline.due_at;
        let text = month.to_string();
        let mut visited = false;
        for id in stay_in_month(tx, &row, month.start()?).await? {
            if store::visit_recorded_before(tx, &id, &text, due_at).await? {
                visited = true;
                break;
            }
        }
        if !visited {
            append(
                tx,
                now,
                &pb::VisitOverdue {
                    placement_id: row.id.clone(),
                    institution_id: row.institution().to_owned(),
                    station: row.station.clone(),
                    division: row.division.clone(),
                    month: text.clone(),
                    due_at: Some(timestamp(due_at)),
                },
            )
            .await?;
            let mut recipients: Vec<Caller> = station(context, &row).into_iter().collect();
            recipients.extend(context.units.civil_affairs_for(&row.division));
            tracked(
                context,
                tx,
                now,
                Tracked {
                    kind: VISIT_OVERDUE_NOTIFICATION.to_owned(),
                    subject: subject(&row.id),
                    division: row.division.clone(),
                    summary: format!(
                        "placement {} (case {}, institution {}): no visit by station {} was \
                         recorded for {text}; visit the resident",
                        row.id,
                        row.case_number,
                        row.institution(),
                        row.station
                    ),
                    recipients,
                },
            )
            .await?;
        }
        let next = month.next();
        if owes(row.placed_at, row.ended_at, next.end()?) {
            schedule_month(context, tx, now, &row.id, next).await?;
        }
        Ok(())
    }
}

/// Fires at 24:00 of the 5th working day after a month the placement owes: without a report
/// for it filed before that instant, ReportOverdue and a notification to the institution and
/// the sending station.
#[derive(Debug, Clone, Copy, Default)]
struct ReportDue;

#[tonic::async_trait]
impl DeadlineHandler for ReportDue {
    async fn fire(
        &self,
        context: &ServiceContext,
        tx: &mut Tx,
        deadline: &Deadline,
        now: DateTime<Utc>,
    ) -> Result<(), ApiError> {
        let (placement_id, month) = parse_payload(deadline)?;
        let row = locked_placement(tx, &placement_id).await?;
        if !owes(row.placed_at, row.ended_at, month.end()?) {
            return Ok(());
        }
        let due_at = deadline.due_at;
        let text = month.to_string();
        let filed = store::report_of(Conn::Tx(tx), &row.id, &text)
            .await?
            .is_some_and(|report| report.filed_at < due_at);
        if filed {
            return Ok(());
        }
        append(
            tx,
            now,
            &pb::ReportOverdue {
                placement_id: row.id.clone(),
                institution_id: row.institution().to_owned(),
                station: row.station.clone(),
                division: row.division.clone(),
                month: text.clone(),
                due_at: Some(timestamp(due_at)),
            },
        )
        .await?;
        let institution = crate::units::institution(
            row.institution_division.as_deref().unwrap_or(&row.division),
            row.institution(),
        );
        let recipients: Vec<Caller> = institution
            .into_iter()
            .chain(station(context, &row))
            .collect();
        tracked(
            context,
            tx,
            now,
            Tracked {
                kind: REPORT_OVERDUE_NOTIFICATION.to_owned(),
                subject: subject(&row.id),
                division: row.division.clone(),
                summary: format!(
                    "placement {} (case {}): institution {} filed no report for {text} by its \
                     due time; file it",
                    row.id,
                    row.case_number,
                    row.institution()
                ),
                recipients,
            },
        )
        .await
    }
}
