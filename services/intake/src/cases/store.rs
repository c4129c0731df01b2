//! The tables of cases (migration 1010): `cases`, `case_number_counters` and `case_links`. One
//! SQL text per query for both backends; every function takes a pool or the caller's
//! transaction ([`Conn`]).

use std::fmt;

use chrono::{DateTime, Utc};
use relief_runtime::db::{Db, Tx};
use relief_runtime::{with_db, with_tx};

/// A stored case. `person` is a ciphertext and `id_number_index` a blind index: `Debug` prints
/// neither.
#[derive(Clone, sqlx::FromRow)]
pub struct CaseRow {
    pub id: String,
    pub case_number: String,
    pub station: String,
    pub division: String,
    pub admitted_at: DateTime<Utc>,
    pub referral: i32,
    pub referral_encounter_id: Option<String>,
    pub identity_status: i32,
    pub flags: i64,
    pub status: i32,
    pub origin_division: String,
    pub belongings: String,
    pub health_check: String,
    pub ten_day_rule_applies: bool,
    pub over_ten_days_since: Option<DateTime<Utc>>,
    pub long_stay_reason: Option<String>,
    pub long_stay_justified_at: Option<DateTime<Utc>>,
    pub person: String,
    pub id_number_index: Option<String>,
    pub warnings: String,
    pub created_at: DateTime<Utc>,
    /// Departure slice (migration 1020): from when the person is 16; NULL when unknown.
    pub turns_16_at: Option<DateTime<Utc>>,
    /// Departure slice (migration 1020): the case a TRANSFER admission continues.
    pub transferred_from_case_id: Option<String>,
    /// Foster feed (migration 1060): the current placement of a case in foster care.
    pub placement_id: Option<String>,
    /// Foster feed (migration 1060): the institution the person is in now.
    pub institution_id: Option<String>,
    /// Foster feed (migration 1060): its division (NULL for a move until ResidentPlaced).
    pub institution_division: Option<String>,
    /// Foster feed (migration 1061): a proposed placement not decided yet.
    pub proposed_placement_id: Option<String>,
}

impl fmt::Debug for CaseRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CaseRow")
            .field("id", &self.id)
            .field("case_number", &self.case_number)
            .field("station", &self.station)
            .field("division", &self.division)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

const COLUMNS: &str = "id, case_number, station, division, admitted_at, referral, \
    referral_encounter_id, identity_status, flags, status, origin_division, belongings, \
    health_check, ten_day_rule_applies, over_ten_days_since, long_stay_reason, \
    long_stay_justified_at, person, id_number_index, warnings, created_at, turns_16_at, \
    transferred_from_case_id, placement_id, institution_id, institution_division, \
    proposed_placement_id";

pub use relief_runtime::db::Conn;
use relief_runtime::with_conn;

/// Gives the next sequence number of the case numbers of `division` in `year`: an upsert that takes the counter row's
/// lock (PostgreSQL) or runs under the single writer (SQLite), so concurrent admissions never
/// share a number.
pub async fn next_sequence(tx: &mut Tx, division: &str, year: i32) -> Result<i64, sqlx::Error> {
    with_tx!(tx, |conn| {
        sqlx::query_scalar(
            "INSERT INTO case_number_counters (division, year, last_sequence) VALUES ($1, $2, 1) \
             ON CONFLICT (division, year) \
             DO UPDATE SET last_sequence = case_number_counters.last_sequence + 1 \
             RETURNING last_sequence",
        )
        .bind(division)
        .bind(year)
        .fetch_one(conn)
        .await
    })
}

/// Inserts a new case.
pub async fn insert(tx: &mut Tx, row: &CaseRow) -> Result<(), sqlx::Error> {
    let sql = format!(
        "INSERT INTO cases ({COLUMNS}) VALUES \
         ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, \
         $20, $21, $22, $23, $24, $25, $26, $27)"
    );
    with_tx!(tx, |conn| {
        sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(&row.id)
            .bind(&row.case_number)
            .bind(&row.station)
            .bind(&row.division)
            .bind(row.admitted_at)
            .bind(row.referral)
            .bind(&row.referral_encounter_id)
            .bind(row.identity_status)
            .bind(row.flags)
            .bind(row.status)
            .bind(&row.origin_division)
            .bind(&row.belongings)
            .bind(&row.health_check)
            .bind(row.ten_day_rule_applies)
            .bind(row.over_ten_days_since)
            .bind(&row.long_stay_reason)
            .bind(row.long_stay_justified_at)
            .bind(&row.person)
            .bind(&row.id_number_index)
            .bind(&row.warnings)
            .bind(row.created_at)
            .bind(row.turns_16_at)
            .bind(&row.transferred_from_case_id)
            .bind(&row.placement_id)
            .bind(&row.institution_id)
            .bind(&row.institution_division)
            .bind(&row.proposed_placement_id)
            .execute(conn)
            .await
            .map(|_| ())
    })
}

/// The case `id`, if it exists (whoever may see it).
pub async fn fetch(conn: Conn<'_>, id: &str) -> Result<Option<CaseRow>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM cases WHERE id = $1");
    with_conn!(conn, |c| {
        sqlx::query_as::<_, CaseRow>(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(id)
            .fetch_optional(c)
            .await
    })
}

/// Which cases a list returns; an empty text means "no filter".
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// Only the cases of this station unit.
    pub station: String,
    /// Only this division.
    pub division: String,
    /// Only divisions matching this `LIKE` pattern of digits (`2111%`); `%` for all.
    pub division_pattern: String,
    /// Only this status (0: all).
    pub status: i32,
    /// Only cases with one of these flag bits (0: all).
    pub flags_any: i64,
    /// Only this identity status (0: all).
    pub identity_status: i32,
    /// Only cases admitted in `[from, until)`.
    pub admitted_from: Option<DateTime<Utc>>,
    /// See `admitted_from`.
    pub admitted_until: Option<DateTime<Utc>>,
}

/// A page of cases, newest admission first, strictly after the keyset position `after`.
pub async fn list(
    db: &Db,
    filter: &ListFilter,
    after: (DateTime<Utc>, &str),
    limit: i64,
) -> Result<Vec<CaseRow>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM cases \
         WHERE ($1 = '' OR station = $1) AND ($2 = '' OR division = $2) AND division LIKE $3 \
         AND ($4 = 0 OR status = $4) \
         AND ($8 = 0 OR (flags & $8) <> 0) AND ($9 = 0 OR identity_status = $9) \
         AND admitted_at >= $10 AND admitted_at < $11 \
         AND (admitted_at < $5 OR (admitted_at = $5 AND id < $6)) \
         ORDER BY admitted_at DESC, id DESC LIMIT $7"
    );
    with_db!(db, |pool| {
        sqlx::query_as::<_, CaseRow>(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(&filter.station)
            .bind(&filter.division)
            .bind(&filter.division_pattern)
            .bind(filter.status)
            .bind(after.0)
            .bind(after.1)
            .bind(limit)
            .bind(filter.flags_any)
            .bind(filter.identity_status)
            .bind(filter.admitted_from.unwrap_or_else(beginning_of_time))
            .bind(
                filter
                    .admitted_until
                    .unwrap_or_else(relief_runtime::paging::end_of_time),
            )
            .fetch_all(pool)
            .await
    })
}

/// Records when the stay passed 10 days.
pub async fn set_over_ten_days(
    tx: &mut Tx,
    id: &str,
    since: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    with_tx!(tx, |conn| {
        sqlx::query("UPDATE cases SET over_ten_days_since = $2 WHERE id = $1")
            .bind(id)
            .bind(since)
            .execute(conn)
            .await
            .map(|_| ())
    })
}

/// Records why a long stay is justified (a later reason replaces an earlier one).
pub async fn set_long_stay_reason(
    tx: &mut Tx,
    id: &str,
    reason: &str,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    with_tx!(tx, |conn| {
        sqlx::query(
            "UPDATE cases SET long_stay_reason = $2, long_stay_justified_at = $3 WHERE id = $1",
        )
        .bind(id)
        .bind(reason)
        .bind(at)
        .execute(conn)
        .await
        .map(|_| ())
    })
}

/// The cases with the ID-number blind index `index`, earliest admission first.
pub async fn with_id_number_index(tx: &mut Tx, index: &str) -> Result<Vec<String>, sqlx::Error> {
    with_tx!(tx, |conn| {
        sqlx::query_scalar(
            "SELECT id FROM cases WHERE id_number_index = $1 ORDER BY admitted_at, id",
        )
        .bind(index)
        .fetch_all(conn)
        .await
    })
}

/// Links `case_id` to `earlier_case_id`; an existing link (even a split one) is left alone.
pub async fn insert_link(
    tx: &mut Tx,
    case_id: &str,
    earlier_case_id: &str,
    at: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let inserted = with_tx!(tx, |conn| {
        sqlx::query(
            "INSERT INTO case_links (case_id, earlier_case_id, linked_at) VALUES ($1, $2, $3) \
             ON CONFLICT (case_id, earlier_case_id) DO NOTHING",
        )
        .bind(case_id)
        .bind(earlier_case_id)
        .bind(at)
        .execute(conn)
        .await
        .map(|done| done.rows_affected())
    })?;
    Ok(inserted == 1)
}

/// The unsplit links of the cases `ids` as (case, earlier case), earlier cases in admission
/// order.
pub async fn links_of(conn: Conn<'_>, ids: &[&str]) -> Result<Vec<(String, String)>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    // One placeholder per id: the text holds only `$n` markers, never a value.
    let placeholders: Vec<String> = (1..=ids.len()).map(|n| format!("${n}")).collect();
    let sql = format!(
        "SELECT l.case_id, l.earlier_case_id FROM case_links l \
         JOIN cases e ON e.id = l.earlier_case_id \
         WHERE l.split_at IS NULL AND l.case_id IN ({}) \
         ORDER BY l.case_id, e.admitted_at, e.id",
        placeholders.join(", ")
    );
    with_conn!(conn, |c| {
        let mut query = sqlx::query_as::<_, (String, String)>(sqlx::AssertSqlSafe(sql.as_str()));
        for id in ids {
            query = query.bind(*id);
        }
        query.fetch_all(c).await
    })
}

/// The earlier cases `id` is linked to (unsplit), in admission order.
pub async fn repeat_of(conn: Conn<'_>, id: &str) -> Result<Vec<String>, sqlx::Error> {
    Ok(links_of(conn, &[id])
        .await?
        .into_iter()
        .map(|(_, earlier)| earlier)
        .collect())
}

/// An instant before any admission (as SQLite text too).
fn beginning_of_time() -> DateTime<Utc> {
    chrono::TimeZone::with_ymd_and_hms(&Utc, 1900, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// Settlement slice (intake's consumer of identity's feed): records on case `id` the identity
/// the identity service confirmed: the person re-encrypted with it, the blind index of its ID
/// number, the origin division it gives, and the identity status CONFIRMED.
pub(crate) async fn record_confirmed_identity(
    tx: &mut Tx,
    id: &str,
    person: &str,
    id_number_index: Option<&str>,
    origin_division: &str,
    identity_status: i32,
) -> Result<(), sqlx::Error> {
    with_tx!(tx, |conn| {
        sqlx::query(
            "UPDATE cases SET person = $2, id_number_index = $3, origin_division = $4, \
             identity_status = $5 WHERE id = $1",
        )
        .bind(id)
        .bind(person)
        .bind(id_number_index)
        .bind(origin_division)
        .bind(identity_status)
        .execute(conn)
        .await
        .map(|_| ())
    })
}
