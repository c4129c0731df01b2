//! The tables of fees (migration 1002): `county_rates`, `fees` with `fee_lines`, and
//! `fee_rates_missing`. One SQL text per query for both backends.

use chrono::{DateTime, NaiveDate, Utc};
use relief_proto::common::v1::Money;
use relief_proto::foster::v1 as pb;
use relief_runtime::db::{Conn, Db, Tx};
use relief_runtime::time::timestamp;
use relief_runtime::{with_conn, with_db, with_tx};

use super::compute::{Amounts, Version};

/// A stored rates version.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RatesRow {
    pub division: String,
    /// YYYY-MM-DD.
    pub effective_on: String,
    pub basic_living_fen: i64,
    pub care_full_fen: i64,
    pub care_partial_fen: i64,
    pub care_none_fen: i64,
    pub special_bed_fen: i64,
    pub special_rehabilitation_fen: i64,
    pub set_by: String,
    pub set_at: DateTime<Utc>,
}

impl RatesRow {
    /// The amounts.
    pub fn amounts(&self) -> Amounts {
        Amounts {
            basic_living: self.basic_living_fen,
            care_full: self.care_full_fen,
            care_partial: self.care_partial_fen,
            care_none: self.care_none_fen,
            special_bed: self.special_bed_fen,
            special_rehabilitation: self.special_rehabilitation_fen,
        }
    }

    /// The version for the arithmetic; `None` if the stored day is malformed (never written so).
    pub fn version(&self) -> Option<Version> {
        Some(Version {
            effective_on: self.effective_on.parse().ok()?,
            amounts: self.amounts(),
        })
    }

    /// The protobuf rates.
    pub fn to_proto(&self) -> pb::CountyRates {
        let money = |fen| Some(Money { fen });
        pb::CountyRates {
            division: self.division.clone(),
            effective_on: self.effective_on.clone(),
            basic_living: money(self.basic_living_fen),
            care_full: money(self.care_full_fen),
            care_partial: money(self.care_partial_fen),
            care_none: money(self.care_none_fen),
            special_bed: money(self.special_bed_fen),
            special_rehabilitation: money(self.special_rehabilitation_fen),
            set_by: self.set_by.clone(),
            set_at: Some(timestamp(self.set_at)),
        }
    }
}

const RATES_COLUMNS: &str = "division, effective_on, basic_living_fen, care_full_fen, \
    care_partial_fen, care_none_fen, special_bed_fen, special_rehabilitation_fen, set_by, set_at";

/// Stores a new version; false (nothing written) if one is stored for the same division and day.
pub async fn insert_rates(tx: &mut Tx, row: &RatesRow) -> Result<bool, sqlx::Error> {
    let sql = format!(
        "INSERT INTO county_rates ({RATES_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, \
         $10) ON CONFLICT (division, effective_on) DO NOTHING"
    );
    let done = with_tx!(tx, |c| sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(&row.division)
        .bind(&row.effective_on)
        .bind(row.basic_living_fen)
        .bind(row.care_full_fen)
        .bind(row.care_partial_fen)
        .bind(row.care_none_fen)
        .bind(row.special_bed_fen)
        .bind(row.special_rehabilitation_fen)
        .bind(&row.set_by)
        .bind(row.set_at)
        .execute(c)
        .await
        .map(|done| done.rows_affected()))?;
    Ok(done == 1)
}

/// The version of `division` from `effective_on`, if stored.
pub async fn fetch_rates(
    conn: Conn<'_>,
    division: &str,
    effective_on: &str,
) -> Result<Option<RatesRow>, sqlx::Error> {
    let sql = format!(
        "SELECT {RATES_COLUMNS} FROM county_rates WHERE division = $1 AND effective_on = $2"
    );
    with_conn!(conn, |c| sqlx::query_as::<_, RatesRow>(
        sqlx::AssertSqlSafe(sql.as_str())
    )
    .bind(division)
    .bind(effective_on)
    .fetch_optional(c)
    .await)
}

/// The versions of `division` taking effect on or before `through`, oldest first.
pub async fn rates_through(
    conn: Conn<'_>,
    division: &str,
    through: NaiveDate,
) -> Result<Vec<RatesRow>, sqlx::Error> {
    let sql = format!(
        "SELECT {RATES_COLUMNS} FROM county_rates WHERE division = $1 AND effective_on <= $2 \
         ORDER BY effective_on"
    );
    with_conn!(conn, |c| sqlx::query_as::<_, RatesRow>(
        sqlx::AssertSqlSafe(sql.as_str())
    )
    .bind(division)
    .bind(through.to_string())
    .fetch_all(c)
    .await)
}

/// The versions whose division matches the `LIKE` pattern `pattern` (and equals `division`
/// unless it is empty): by division, then latest `effective_on` first.
pub async fn list_rates(
    db: &Db,
    pattern: &str,
    division: &str,
) -> Result<Vec<RatesRow>, sqlx::Error> {
    let sql = format!(
        "SELECT {RATES_COLUMNS} FROM county_rates WHERE division LIKE $1 \
         AND ($2 = '' OR division = $2) ORDER BY division, effective_on DESC"
    );
    with_db!(db, |pool| sqlx::query_as::<_, RatesRow>(
        sqlx::AssertSqlSafe(sql.as_str())
    )
    .bind(pattern)
    .bind(division)
    .fetch_all(pool)
    .await)
}

/// A stored fee (without its lines).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct FeeRow {
    pub placement_id: String,
    /// YYYY-MM.
    pub month: String,
    pub institution_id: String,
    pub station: String,
    /// The case's division.
    pub division: String,
    pub days_in_care: i32,
    pub days_in_month: i32,
    pub total_fen: i64,
    pub assessed_at: DateTime<Utc>,
}

/// A stored line of a fee.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct LineRow {
    pub placement_id: String,
    pub month: String,
    pub line_no: i32,
    pub component: i32,
    pub from_on: String,
    pub to_on: String,
    pub days: i32,
    pub rates_effective_on: String,
    pub monthly_fen: i64,
    pub margin_bps: i32,
    pub amount_fen: i64,
}

impl LineRow {
    /// The protobuf line.
    pub fn to_proto(&self) -> pb::FeeLine {
        pb::FeeLine {
            component: self.component,
            from_on: self.from_on.clone(),
            to_on: self.to_on.clone(),
            days: self.days,
            rates_effective_on: self.rates_effective_on.clone(),
            monthly: Some(Money {
                fen: self.monthly_fen,
            }),
            margin_bps: self.margin_bps,
            amount: Some(Money {
                fen: self.amount_fen,
            }),
        }
    }
}

impl FeeRow {
    /// The protobuf fee with `lines` (its own, in order).
    pub fn to_proto(&self, lines: &[LineRow]) -> pb::Fee {
        pb::Fee {
            placement_id: self.placement_id.clone(),
            institution_id: self.institution_id.clone(),
            station: self.station.clone(),
            month: self.month.clone(),
            days_in_care: self.days_in_care,
            days_in_month: self.days_in_month,
            lines: lines.iter().map(LineRow::to_proto).collect(),
            total: Some(Money {
                fen: self.total_fen,
            }),
            assessed_at: Some(timestamp(self.assessed_at)),
        }
    }
}

const FEE_COLUMNS: &str = "placement_id, month, institution_id, station, division, \
    days_in_care, days_in_month, total_fen, assessed_at";

const LINE_COLUMNS: &str = "placement_id, month, line_no, component, from_on, to_on, days, \
    rates_effective_on, monthly_fen, margin_bps, amount_fen";

/// Whether the fee of `placement_id` for `month` is stored.
pub async fn fee_exists(
    conn: Conn<'_>,
    placement_id: &str,
    month: &str,
) -> Result<bool, sqlx::Error> {
    let count = with_conn!(conn, |c| sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM fees WHERE placement_id = $1 AND month = $2"
    )
    .bind(placement_id)
    .bind(month)
    .fetch_one(c)
    .await)?;
    Ok(count > 0)
}

/// Stores a fee with its lines; false (nothing written) if that month's fee is stored already.
pub async fn insert_fee(tx: &mut Tx, fee: &FeeRow, lines: &[LineRow]) -> Result<bool, sqlx::Error> {
    let sql = format!(
        "INSERT INTO fees ({FEE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         ON CONFLICT (placement_id, month) DO NOTHING"
    );
    let done = with_tx!(tx, |c| sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(&fee.placement_id)
        .bind(&fee.month)
        .bind(&fee.institution_id)
        .bind(&fee.station)
        .bind(&fee.division)
        .bind(fee.days_in_care)
        .bind(fee.days_in_month)
        .bind(fee.total_fen)
        .bind(fee.assessed_at)
        .execute(c)
        .await
        .map(|done| done.rows_affected()))?;
    if done != 1 {
        return Ok(false);
    }
    let sql = format!(
        "INSERT INTO fee_lines ({LINE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, \
         $10, $11)"
    );
    for line in lines {
        with_tx!(tx, |c| sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(&line.placement_id)
            .bind(&line.month)
            .bind(line.line_no)
            .bind(line.component)
            .bind(&line.from_on)
            .bind(&line.to_on)
            .bind(line.days)
            .bind(&line.rates_effective_on)
            .bind(line.monthly_fen)
            .bind(line.margin_bps)
            .bind(line.amount_fen)
            .execute(c)
            .await
            .map(|_| ()))?;
    }
    Ok(true)
}

/// What a fee list is limited to; empty strings do not filter.
#[derive(Debug, Clone, Default)]
pub struct FeeFilter {
    /// `LIKE` pattern on the case's division (`%`: all).
    pub division_pattern: String,
    /// Only fees of this institution.
    pub institution_id: String,
    /// Only fees of placements sent by this station.
    pub station: String,
    /// Only this placement.
    pub placement_id: String,
    /// Only this month.
    pub month: String,
}

/// Fees matching `filter`, latest month first (then placement id, descending), after the
/// keyset position `after` (month, placement id), at most `limit`.
pub async fn list_fees(
    db: &Db,
    filter: &FeeFilter,
    (after_month, after_id): (&str, &str),
    limit: i64,
) -> Result<Vec<FeeRow>, sqlx::Error> {
    let sql = format!(
        "SELECT {FEE_COLUMNS} FROM fees WHERE division LIKE $1 \
         AND ($2 = '' OR institution_id = $2) AND ($3 = '' OR station = $3) \
         AND ($4 = '' OR placement_id = $4) AND ($5 = '' OR month = $5) \
         AND (month < $6 OR (month = $6 AND placement_id < $7)) \
         ORDER BY month DESC, placement_id DESC LIMIT $8"
    );
    with_db!(db, |pool| sqlx::query_as::<_, FeeRow>(sqlx::AssertSqlSafe(
        sql.as_str()
    ))
    .bind(&filter.division_pattern)
    .bind(&filter.institution_id)
    .bind(&filter.station)
    .bind(&filter.placement_id)
    .bind(&filter.month)
    .bind(after_month)
    .bind(after_id)
    .bind(limit)
    .fetch_all(pool)
    .await)
}

/// The lines of the fees `keys` (placement id, month), in line order.
pub async fn lines_of(db: &Db, keys: &[(&str, &str)]) -> Result<Vec<LineRow>, sqlx::Error> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let conditions = (0..keys.len())
        .map(|i| format!("(placement_id = ${} AND month = ${})", 2 * i + 1, 2 * i + 2))
        .collect::<Vec<_>>()
        .join(" OR ");
    let sql = format!(
        "SELECT {LINE_COLUMNS} FROM fee_lines WHERE {conditions} \
         ORDER BY placement_id, month, line_no"
    );
    with_db!(db, |pool| {
        let mut query = sqlx::query_as::<_, LineRow>(sqlx::AssertSqlSafe(sql.as_str()));
        for (placement_id, month) in keys {
            query = query.bind(*placement_id).bind(*month);
        }
        query.fetch_all(pool).await
    })
}

/// Records that fees of `division` for `month` lack rates from `first_day`; true if it was not
/// recorded yet (then the county is to be notified).
pub async fn record_missing(
    tx: &mut Tx,
    division: &str,
    month: &str,
    first_day: NaiveDate,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let done = with_tx!(tx, |c| sqlx::query(
        "INSERT INTO fee_rates_missing (division, month, first_day, notified_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (division, month) DO NOTHING"
    )
    .bind(division)
    .bind(month)
    .bind(first_day.to_string())
    .bind(now)
    .execute(c)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(done == 1)
}
