//! The one way a figure changes: [`put`] records the contribution of one subject (a case, a
//! request, a placement-month) to one metric and moves the daily counters by the difference. The
//! same contribution again changes nothing, so a duplicate delivery or a rebuild from the feeds gives
//! the same counters; a revision (an origin learned later, an answer that turned late) moves the value
//! from one counter to another.

use relief_runtime::db::Tx;
use relief_runtime::{ApiError, with_tx};

/// What one subject adds to one metric: on which local day, in which division, under which
/// dimension (an outcome, a method, ON_TIME or LATE), and how much (1 for counts, fen for money).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contribution {
    /// Local day, `YYYY-MM-DD` (see [`crate::time::day`]).
    pub day: String,
    /// GB/T 2260 division of the row it counts in.
    pub division: String,
    /// Dimension; empty for a plain count.
    pub dim: String,
    /// The amount.
    pub value: i64,
}

impl Contribution {
    /// A count of one.
    pub fn one(day: String, division: &str, dim: &str) -> Self {
        Contribution {
            day,
            division: division.to_owned(),
            dim: dim.to_owned(),
            value: 1,
        }
    }
}

/// Sets the contribution of `subject` to `metric` (`None`: it no longer contributes).
pub async fn put(
    tx: &mut Tx,
    metric: &str,
    subject: &str,
    new: Option<Contribution>,
) -> Result<(), ApiError> {
    let old = get(tx, metric, subject).await?;
    if old == new {
        return Ok(());
    }
    if let Some(old) = &old {
        add(tx, metric, old, -old.value).await?;
    }
    match &new {
        Some(new) => {
            add(tx, metric, new, new.value).await?;
            with_tx!(tx, |conn| {
                sqlx::query(
                    "INSERT INTO r_facts (metric, subject, day, division, dim, value) \
                     VALUES ($1, $2, $3, $4, $5, $6) \
                     ON CONFLICT (metric, subject) DO UPDATE SET day = excluded.day, \
                     division = excluded.division, dim = excluded.dim, value = excluded.value",
                )
                .bind(metric)
                .bind(subject)
                .bind(&new.day)
                .bind(&new.division)
                .bind(&new.dim)
                .bind(new.value)
                .execute(conn)
                .await
                .map(|_| ())
            })?;
        }
        None => {
            with_tx!(tx, |conn| {
                sqlx::query("DELETE FROM r_facts WHERE metric = $1 AND subject = $2")
                    .bind(metric)
                    .bind(subject)
                    .execute(conn)
                    .await
                    .map(|_| ())
            })?;
        }
    }
    Ok(())
}

/// The contribution `subject` makes to `metric` now, if any (for handlers that revise one).
pub async fn get(
    tx: &mut Tx,
    metric: &str,
    subject: &str,
) -> Result<Option<Contribution>, ApiError> {
    let row = with_tx!(tx, |conn| {
        sqlx::query_as::<_, (String, String, String, i64)>(
            "SELECT day, division, dim, value FROM r_facts WHERE metric = $1 AND subject = $2",
        )
        .bind(metric)
        .bind(subject)
        .fetch_optional(conn)
        .await
    })?;
    Ok(row.map(|(day, division, dim, value)| Contribution {
        day,
        division,
        dim,
        value,
    }))
}

/// Moves one daily counter by `delta`.
async fn add(tx: &mut Tx, metric: &str, at: &Contribution, delta: i64) -> Result<(), ApiError> {
    with_tx!(tx, |conn| {
        sqlx::query(
            "INSERT INTO r_daily (day, division, metric, dim, value) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (day, division, metric, dim) DO UPDATE SET value = r_daily.value + excluded.value",
        )
        .bind(&at.day)
        .bind(&at.division)
        .bind(metric)
        .bind(&at.dim)
        .bind(delta)
        .execute(conn)
        .await
        .map(|_| ())
    })?;
    Ok(())
}
