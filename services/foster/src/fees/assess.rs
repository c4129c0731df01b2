//! Assessing fees: the month-end deadline of each month of a placement, and the final
//! assessment when it ends.
//!
//! - [`on_placed`] schedules the deadline of the placement's first month at the month's end.
//! - The [`MonthEnd`] handler assesses that month (`assessed_at` = the month's end, the legal
//!   instant, or the placement's end if it ended in the month) and schedules the next month if
//!   the placement is active and was so at the month's end.
//! - [`on_ended`] assesses every month not yet assessed, from the placement's first month up to
//!   and including the month it ended in (prorated), so a late sweeper loses none, and cancels
//!   the pending month-end deadlines.
//!
//! Each (placement, month) is assessed at most once (the table's key); a month with no day in
//! care stores nothing. A month for which the county has no rates on some day in care cannot be
//! assessed: it waits (a retry deadline `foster.fee-retry:<placement>:<YYYY-MM>:<n>` due an
//! hour later, assessing the month as of its end once rates exist), the problem is logged, and
//! the county civil affairs is notified once per county and month (FEE_RATES_MISSING), all in
//! the handler's transaction; the next month is scheduled all the same.
//!
//! The rates of a day [product]: the latest version effective on or before it among those stored
//! before the month's end (SetCountyRates later, effective inside the month, does not change the
//! month, whenever the sweeper runs); a day none of them covers takes the latest version
//! effective on or before it among all (so a month waiting for rates is assessed once they
//! exist).
//!
//! The margin of a day [product]: the basis points of the agreement version in force that day
//! between the sending station and the institution (so a new agreement version with another
//! margin applies from its first day, splitting the month into runs), or, on a day no version
//! is in force, the agreement recorded on the placement.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Days, NaiveDate, SubsecRound, Utc};
use relief_proto::common::v1::Money;
use relief_proto::foster::v1 as pb;
use relief_runtime::db::{Conn, Tx};
use relief_runtime::deadlines::{self, Deadline, DeadlineHandler};
use relief_runtime::events::append;
use relief_runtime::notifications::{Tracked, tracked};
use relief_runtime::time::timestamp;
use relief_runtime::{ApiError, ServiceContext};

use super::compute::{self, Month, Unassessable};
use super::store::{self, FeeRow, LineRow};
use super::{FEE_RATES_MISSING, margins};
use crate::institutions::today;
use crate::placements::store::PlacementRow;
use crate::placements::subject;

/// The deadline kind of a month's end for a placement's fee.
pub const FEE_DEADLINE: &str = "foster.fee";

fn deadline_id(placement_id: &str, month: Month) -> String {
    format!("{FEE_DEADLINE}:{placement_id}:{month}")
}

fn month_end(month: Month) -> Result<DateTime<Utc>, ApiError> {
    relief_legal::month_end(month.year, month.month).map_err(ApiError::internal)
}

fn placed_at(row: &PlacementRow) -> Result<DateTime<Utc>, ApiError> {
    row.placed_at
        .ok_or_else(|| ApiError::internal(format!("placement {} has no placement instant", row.id)))
}

/// Schedules the month-end deadline of `month` for placement `placement_id` (idempotent).
async fn schedule(
    tx: &mut Tx,
    now: DateTime<Utc>,
    placement_id: &str,
    month: Month,
) -> Result<(), ApiError> {
    deadlines::schedule(
        tx,
        now,
        &deadline_id(placement_id, month),
        FEE_DEADLINE,
        &subject(placement_id),
        month_end(month)?,
        format!("{placement_id}|{month}").into_bytes(),
    )
    .await?;
    Ok(())
}

/// A placement started: the deadline of its first month.
pub async fn on_placed(
    tx: &mut Tx,
    now: DateTime<Utc>,
    row: &PlacementRow,
) -> Result<(), ApiError> {
    let month = Month::of(today(placed_at(row)?));
    schedule(tx, now, &row.id, month).await
}

/// A placement ended: every month not assessed yet, up to the end month, is assessed now; the
/// pending month-end deadlines are cancelled, except for a month lacking rates (it stays pending
/// and the county is notified).
pub async fn on_ended(
    context: &ServiceContext,
    tx: &mut Tx,
    now: DateTime<Utc>,
    row: &PlacementRow,
) -> Result<(), ApiError> {
    let Some(ended_at) = row.ended_at else {
        return Err(ApiError::internal(format!(
            "placement {} ended without an end instant",
            row.id
        )));
    };
    let last = Month::of(today(ended_at));
    let mut month = Month::of(today(placed_at(row)?));
    while month <= last {
        let assessed_at = if month == last {
            ended_at
        } else {
            month_end(month)?
        };
        match assess_month(tx, now, row, month, assessed_at).await? {
            Outcome::MissingRates { day } => {
                log_missing(row, month, day);
                report_missing(context, tx, now, &row.division, month, day).await?;
                // The month-end deadline retries it once rates exist.
                schedule(tx, now, &row.id, month).await?;
            }
            Outcome::Done => {
                deadlines::cancel(tx, now, &deadline_id(&row.id, month)).await?;
            }
        }
        month = month.next();
    }
    Ok(())
}

/// What assessing a month did.
enum Outcome {
    /// Assessed now, assessed before, or no day in care (nothing to store).
    Done,
    /// No rates on `day`: nothing stored.
    MissingRates { day: NaiveDate },
}

/// Assesses `month` of placement `row` at `assessed_at`, unless it is assessed already.
async fn assess_month(
    tx: &mut Tx,
    now: DateTime<Utc>,
    row: &PlacementRow,
    month: Month,
    assessed_at: DateTime<Utc>,
) -> Result<Outcome, ApiError> {
    let label = month.to_string();
    if store::fee_exists(Conn::Tx(tx), &row.id, &label).await? {
        return Ok(Outcome::Done);
    }
    let placed_on = today(placed_at(row)?);
    let Some(span) = compute::days_in_care(month, placed_on, row.ended_at.map(today)) else {
        return Ok(Outcome::Done);
    };
    // The versions stored before the month's end decide it (a later one effective inside the
    // month does not change it, however late the sweeper runs); a day none of them covers
    // takes any version.
    let stored = store::rates_through(Conn::Tx(tx), &row.division, span.1).await?;
    let cutoff = month_end(month)?;
    let timely = stored
        .iter()
        .filter(|rates| rates.set_at < cutoff)
        .filter_map(store::RatesRow::version)
        .collect::<Vec<_>>();
    let versions = stored
        .iter()
        .filter_map(store::RatesRow::version)
        .collect::<Vec<_>>();
    let margins = margins_of(tx, row, span).await?;
    let self_care = pb::SelfCare::try_from(row.self_care).unwrap_or_default();
    let assessment = match compute::assess_with_fallback(
        month,
        span,
        &timely,
        &versions,
        self_care,
        row.special_group,
        |day| margins.get(&day).copied().unwrap_or_default(),
    ) {
        Ok(assessment) => assessment,
        Err(Unassessable::NoRates { day }) => return Ok(Outcome::MissingRates { day }),
        Err(other) => {
            return Err(ApiError::internal(format!(
                "the fee of placement {} for {label} cannot be computed: {other:?}",
                row.id
            )));
        }
    };
    let int = |value: i64| i32::try_from(value).map_err(ApiError::internal);
    let fee = FeeRow {
        placement_id: row.id.clone(),
        month: label.clone(),
        institution_id: row.institution().to_owned(),
        station: row.station.clone(),
        division: row.division.clone(),
        days_in_care: int(assessment.days_in_care)?,
        days_in_month: int(assessment.days_in_month)?,
        total_fen: assessment.total,
        assessed_at,
    };
    let mut lines = Vec::with_capacity(assessment.lines.len());
    for (line_no, line) in assessment.lines.iter().enumerate() {
        lines.push(LineRow {
            placement_id: row.id.clone(),
            month: label.clone(),
            line_no: int(i64::try_from(line_no).map_err(ApiError::internal)?)?,
            component: line.component as i32,
            from_on: line.from_on.to_string(),
            to_on: line.to_on.to_string(),
            days: int(line.days)?,
            rates_effective_on: line.rates_effective_on.to_string(),
            monthly_fen: line.monthly,
            margin_bps: line.margin_bps,
            amount_fen: line.amount,
        });
    }
    if store::insert_fee(tx, &fee, &lines).await? {
        append(
            tx,
            now,
            &pb::FeeAssessed {
                placement_id: fee.placement_id.clone(),
                institution_id: fee.institution_id.clone(),
                station: fee.station.clone(),
                division: fee.division.clone(),
                month: fee.month.clone(),
                days_in_care: fee.days_in_care,
                total: Some(Money { fen: fee.total_fen }),
                assessed_at: Some(timestamp(fee.assessed_at)),
            },
        )
        .await?;
    }
    Ok(Outcome::Done)
}

/// The margin in basis points of each day of `span` (see the module documentation).
async fn margins_of(
    tx: &mut Tx,
    row: &PlacementRow,
    (first, last): (NaiveDate, NaiveDate),
) -> Result<HashMap<NaiveDate, i32>, ApiError> {
    let recorded = match &row.agreement_id {
        Some(id) => margins::of_agreement(Conn::Tx(tx), id).await?,
        None => None,
    };
    let mut by_day = HashMap::new();
    let mut day = first;
    while day <= last {
        let bps = margins::in_force(Conn::Tx(tx), &row.station, row.institution(), day)
            .await?
            .or(recorded)
            .unwrap_or_default();
        by_day.insert(day, bps);
        day = match day.checked_add_days(Days::new(1)) {
            Some(next) => next,
            None => break,
        };
    }
    Ok(by_day)
}

fn log_missing(row: &PlacementRow, month: Month, day: NaiveDate) {
    tracing::warn!(
        placement = %row.id,
        division = %row.division,
        month = %month,
        day = %day,
        "no county rates apply on this day: the fee of the month cannot be assessed until a \
         rates version effective on or before it is stored (SetCountyRates or the rates file)"
    );
}

/// Notifies the county civil affairs of `division` that its fees of `month` lack rates from
/// `day`, once per county and month.
async fn report_missing(
    context: &ServiceContext,
    tx: &mut Tx,
    now: DateTime<Utc>,
    division: &str,
    month: Month,
    day: NaiveDate,
) -> Result<(), ApiError> {
    if !store::record_missing(tx, division, &month.to_string(), day, now).await? {
        return Ok(());
    }
    tracked(
        context,
        tx,
        now,
        Tracked {
            kind: FEE_RATES_MISSING.to_owned(),
            subject: format!("county-rates/{division}"),
            division: division.to_owned(),
            summary: format!(
                "no county fee rates of {division} apply on {day}: the foster fees of {month} \
                 cannot be assessed until a rates version effective on or before that day is \
                 stored (SetCountyRates)"
            ),
            recipients: crate::units::civil_affairs_for(context, division),
        },
    )
    .await
}

/// Fires the end of a month of a placement (or a retry of a month waiting for rates): assesses
/// the month as of its end, schedules the next one while the resident is in care.
#[derive(Debug, Clone, Copy)]
pub struct MonthEnd;

/// The handler of [`FEE_DEADLINE`] and [`FEE_RETRY_DEADLINE`].
pub fn handler() -> Arc<dyn DeadlineHandler> {
    Arc::new(MonthEnd)
}

/// The deadline kind of a retry of a month that waited for rates.
pub const FEE_RETRY_DEADLINE: &str = "foster.fee-retry";

/// How long a month waiting for rates waits before the next attempt.
const RETRY_AFTER: chrono::TimeDelta = chrono::TimeDelta::hours(1);

/// Schedules attempt `attempt` of assessing `month` of placement `placement_id`, due one hour
/// after `now`.
async fn schedule_retry(
    tx: &mut Tx,
    now: DateTime<Utc>,
    placement_id: &str,
    month: Month,
    attempt: u32,
) -> Result<(), ApiError> {
    deadlines::schedule(
        tx,
        now,
        &format!("{FEE_RETRY_DEADLINE}:{placement_id}:{month}:{attempt}"),
        FEE_RETRY_DEADLINE,
        &subject(placement_id),
        now + RETRY_AFTER,
        format!("{placement_id}|{month}|{attempt}").into_bytes(),
    )
    .await?;
    Ok(())
}

#[tonic::async_trait]
impl DeadlineHandler for MonthEnd {
    async fn fire(
        &self,
        context: &ServiceContext,
        tx: &mut Tx,
        deadline: &Deadline,
        now: DateTime<Utc>,
    ) -> Result<(), ApiError> {
        let now = now.trunc_subsecs(6);
        let text = String::from_utf8_lossy(&deadline.payload).into_owned();
        let bad = || ApiError::internal(format!("bad fee deadline payload {text}"));
        let mut parts = text.split('|');
        let placement_id = parts.next().ok_or_else(bad)?;
        let month = Month::parse(parts.next().ok_or_else(bad)?).ok_or_else(bad)?;
        // `None`: the month's end; `Some(n)`: the n-th retry of a month waiting for rates.
        let attempt = match parts.next() {
            Some(n) => Some(n.parse::<u32>().map_err(|_| bad())?),
            None => None,
        };
        // The row is locked before it is read, so an ending racing this handler waits for it
        // (or this one sees the row ended).
        crate::placements::store::lock(tx, placement_id).await?;
        let Some(row) = crate::placements::store::fetch(Conn::Tx(tx), placement_id).await? else {
            return Err(ApiError::internal(format!(
                "fee deadline for a missing placement {placement_id}"
            )));
        };
        // Assessed as of the month's end (the legal instant), whenever the sweeper runs.
        let due = month_end(month)?;
        let assessed_at = row.ended_at.map_or(due, |ended| ended.min(due));
        if let Outcome::MissingRates { day } =
            assess_month(tx, now, &row, month, assessed_at).await?
        {
            // The month waits for rates: notified once per county and month, retried later.
            log_missing(&row, month, day);
            report_missing(context, tx, now, &row.division, month, day).await?;
            let next = attempt.map_or(1, |n| n.saturating_add(1));
            schedule_retry(tx, now, &row.id, month, next).await?;
        }
        // An ended placement's later months were assessed (or scheduled) when it ended; a
        // retry does not schedule (its month's end did).
        if attempt.is_none() && row.is_active() && row.in_care_at(due) {
            schedule(tx, now, &row.id, month.next()).await?;
        }
        Ok(())
    }
}
