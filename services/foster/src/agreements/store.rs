//! The table of agreements (migration 1001): `agreements`. One SQL text per query for both
//! backends; reads take a pool or the caller's transaction ([`Conn`]). Days are `YYYY-MM-DD`
//! text, so they compare as dates.

use chrono::{DateTime, NaiveDate, Utc};
use relief_proto::foster::v1 as pb;
use relief_runtime::db::{Conn, Db, Tx};
use relief_runtime::time::timestamp;
use relief_runtime::{with_conn, with_db, with_tx};

/// A stored agreement version, with the id of the version after it (if any).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct AgreementRow {
    pub id: String,
    /// The sending station (unit id).
    pub station: String,
    /// The station's division.
    pub station_division: String,
    pub institution_id: String,
    /// 1, 2, ... per (station, institution).
    pub version: i32,
    /// First day in force, YYYY-MM-DD local.
    pub starts_on: String,
    /// Last day in force, YYYY-MM-DD local.
    pub ends_on: String,
    /// Beds held for the station.
    pub beds: i32,
    /// The margin on the fee subtotal, in basis points.
    pub margin_bps: i32,
    pub reference: String,
    pub signed_by: String,
    pub signed_at: DateTime<Utc>,
    /// The next version's id (it governs from its start day on), if one was signed.
    pub superseded_by: Option<String>,
}

impl AgreementRow {
    /// The protobuf agreement.
    pub fn to_proto(&self) -> pb::Agreement {
        pb::Agreement {
            agreement_id: self.id.clone(),
            station: self.station.clone(),
            station_division: self.station_division.clone(),
            institution_id: self.institution_id.clone(),
            version: self.version,
            starts_on: self.starts_on.clone(),
            ends_on: self.ends_on.clone(),
            beds: self.beds,
            margin_bps: self.margin_bps,
            reference: self.reference.clone(),
            signed_by: self.signed_by.clone(),
            signed_at: Some(timestamp(self.signed_at)),
            superseded_by: self.superseded_by.clone().unwrap_or_default(),
        }
    }
}

/// A day as stored: `YYYY-MM-DD`.
pub fn day_text(day: NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

/// A stored (or requested) `YYYY-MM-DD` day.
pub fn parse_day(text: &str) -> Option<NaiveDate> {
    if text.len() != 10 {
        return None;
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

/// Every column of [`AgreementRow`] of `agreements a`, the next version's id last.
const COLUMNS: &str = "a.id, a.station, a.station_division, a.institution_id, a.version, \
    a.starts_on, a.ends_on, a.beds, a.margin_bps, a.reference, a.signed_by, a.signed_at, \
    (SELECT n.id FROM agreements n WHERE n.station = a.station \
     AND n.institution_id = a.institution_id AND n.version = a.version + 1) AS superseded_by";

/// Inserts a new version (`superseded_by` is not stored: it is the next row).
pub async fn insert(tx: &mut Tx, row: &AgreementRow) -> Result<(), sqlx::Error> {
    with_tx!(tx, |c| sqlx::query(
        "INSERT INTO agreements (id, station, station_division, institution_id, version, \
         starts_on, ends_on, beds, margin_bps, reference, signed_by, signed_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
    )
    .bind(&row.id)
    .bind(&row.station)
    .bind(&row.station_division)
    .bind(&row.institution_id)
    .bind(row.version)
    .bind(&row.starts_on)
    .bind(&row.ends_on)
    .bind(row.beds)
    .bind(row.margin_bps)
    .bind(&row.reference)
    .bind(&row.signed_by)
    .bind(row.signed_at)
    .execute(c)
    .await
    .map(|_| ()))
}

/// The highest version so far of the agreement of `station` with `institution_id` (0: none).
pub async fn last_version(
    tx: &mut Tx,
    station: &str,
    institution_id: &str,
) -> Result<i32, sqlx::Error> {
    let last = with_tx!(tx, |c| sqlx::query_scalar::<_, Option<i32>>(
        "SELECT MAX(version) FROM agreements WHERE station = $1 AND institution_id = $2"
    )
    .bind(station)
    .bind(institution_id)
    .fetch_one(c)
    .await)?;
    Ok(last.unwrap_or(0))
}

/// The agreement `id`.
pub async fn fetch(conn: Conn<'_>, id: &str) -> Result<Option<AgreementRow>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM agreements a WHERE a.id = $1");
    with_conn!(conn, |c| sqlx::query_as::<_, AgreementRow>(
        sqlx::AssertSqlSafe(sql.as_str())
    )
    .bind(id)
    .fetch_optional(c)
    .await)
}

/// The highest version of the agreement of `station` with `institution_id` whose term covers
/// `day` (`YYYY-MM-DD`).
pub async fn in_force(
    conn: Conn<'_>,
    station: &str,
    institution_id: &str,
    day: &str,
) -> Result<Option<AgreementRow>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM agreements a WHERE a.station = $1 AND a.institution_id = $2 \
         AND a.starts_on <= $3 AND a.ends_on >= $3 ORDER BY a.version DESC LIMIT 1"
    );
    with_conn!(conn, |c| sqlx::query_as::<_, AgreementRow>(
        sqlx::AssertSqlSafe(sql.as_str())
    )
    .bind(station)
    .bind(institution_id)
    .bind(day)
    .fetch_optional(c)
    .await)
}

/// Which agreements a list returns; empty text means "no filter".
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// Only this station.
    pub station: String,
    /// Only this institution.
    pub institution_id: String,
    /// Only agreements whose station's division or institution's division matches this `LIKE`
    /// pattern; `%` for all.
    pub division_pattern: String,
}

/// A page of agreements, newest first (signing instant, then id), strictly after the keyset
/// position `after`.
pub async fn list(
    db: &Db,
    filter: &ListFilter,
    after: (DateTime<Utc>, &str),
    limit: i64,
) -> Result<Vec<AgreementRow>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM agreements a JOIN institutions i ON i.id = a.institution_id \
         WHERE ($1 = '' OR a.station = $1) AND ($2 = '' OR a.institution_id = $2) \
         AND (a.station_division LIKE $3 OR i.division LIKE $3) \
         AND (a.signed_at < $4 OR (a.signed_at = $4 AND a.id < $5)) \
         ORDER BY a.signed_at DESC, a.id DESC LIMIT $6"
    );
    with_db!(db, |pool| sqlx::query_as::<_, AgreementRow>(
        sqlx::AssertSqlSafe(sql.as_str())
    )
    .bind(&filter.station)
    .bind(&filter.institution_id)
    .bind(&filter.division_pattern)
    .bind(after.0)
    .bind(after.1)
    .bind(limit)
    .fetch_all(pool)
    .await)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]

    use super::*;

    #[test]
    fn days_are_strict_dates_stored_as_sortable_text() {
        assert!(parse_day("2026-3-1").is_none());
        assert!(parse_day("2026-02-30").is_none());
        assert!(parse_day(" 2026-03-01").is_none());
        let day = parse_day("2026-03-09").unwrap();
        assert_eq!(day_text(day), "2026-03-09");
        assert!(day_text(parse_day("2026-10-01").unwrap()) > day_text(day));
    }
}
