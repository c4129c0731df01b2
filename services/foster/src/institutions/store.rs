//! The table of institutions (migration 1000): `institutions`. One SQL text per query for both
//! backends; reads take a pool or the caller's transaction ([`Conn`]).

use chrono::{DateTime, NaiveDate, Utc};
use prost::Message;
use relief_proto::foster::v1 as pb;
use relief_runtime::db::{Conn, Db, Tx};
use relief_runtime::time::{timestamp, timestamp_opt};
use relief_runtime::{with_conn, with_db, with_tx};

/// `institutions.status`: relief.foster.v1.InstitutionStatus numbers.
pub mod status {
    /// Registered, not suspended.
    pub const ACTIVE: i32 = 1;
    /// Suspended by civil affairs.
    pub const SUSPENDED: i32 = 2;
}

/// A stored institution (no personal data).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct InstitutionRow {
    pub id: String,
    pub name: String,
    pub division: String,
    pub address: String,
    pub kind: i32,
    pub government_run: bool,
    pub capacity: i32,
    pub approved_for_minors: bool,
    /// The encoded relief.foster.v1.Qualification.
    pub qualification: Vec<u8>,
    pub status: i32,
    /// YYYY-MM-DD.
    pub documents_expire_on: String,
    pub registered_at: DateTime<Utc>,
    pub registered_by: String,
    pub suspended_at: Option<DateTime<Utc>>,
    pub suspension_reason: Option<String>,
}

impl InstitutionRow {
    /// The qualification evidence as stored.
    pub fn qualification(&self) -> Result<pb::Qualification, prost::DecodeError> {
        pb::Qualification::decode(self.qualification.as_slice())
    }

    /// Whether the earliest document's last valid day has ended at `now`.
    pub fn documents_expired(&self, now: DateTime<Utc>) -> bool {
        NaiveDate::parse_from_str(&self.documents_expire_on, "%Y-%m-%d")
            .map(|date| now >= super::end_of(date))
            .unwrap_or(false)
    }

    /// The protobuf institution as seen at `now`.
    pub fn to_proto(&self, now: DateTime<Utc>) -> pb::Institution {
        pb::Institution {
            institution_id: self.id.clone(),
            name: self.name.clone(),
            division: self.division.clone(),
            address: self.address.clone(),
            kind: self.kind,
            government_run: self.government_run,
            capacity: self.capacity,
            approved_for_minors: self.approved_for_minors,
            qualification: self.qualification().ok(),
            status: self.status,
            documents_expire_on: self.documents_expire_on.clone(),
            documents_expired: self.documents_expired(now),
            registered_at: Some(timestamp(self.registered_at)),
            registered_by: self.registered_by.clone(),
            suspended_at: timestamp_opt(self.suspended_at),
            suspension_reason: self.suspension_reason.clone().unwrap_or_default(),
        }
    }
}

/// Every column, in [`InstitutionRow`] order.
const COLUMNS: &str = "id, name, division, address, kind, government_run, capacity, \
    approved_for_minors, qualification, status, documents_expire_on, registered_at, \
    registered_by, suspended_at, suspension_reason";

/// Inserts a new institution.
pub async fn insert(tx: &mut Tx, row: &InstitutionRow) -> Result<(), sqlx::Error> {
    let sql = format!(
        "INSERT INTO institutions ({COLUMNS}) VALUES \
         ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
    );
    with_tx!(tx, |c| sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(&row.id)
        .bind(&row.name)
        .bind(&row.division)
        .bind(&row.address)
        .bind(row.kind)
        .bind(row.government_run)
        .bind(row.capacity)
        .bind(row.approved_for_minors)
        .bind(&row.qualification)
        .bind(row.status)
        .bind(&row.documents_expire_on)
        .bind(row.registered_at)
        .bind(&row.registered_by)
        .bind(row.suspended_at)
        .bind(&row.suspension_reason)
        .execute(c)
        .await
        .map(|_| ()))
}

/// The institution `id`.
pub async fn fetch(conn: Conn<'_>, id: &str) -> Result<Option<InstitutionRow>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM institutions WHERE id = $1");
    with_conn!(conn, |c| sqlx::query_as::<_, InstitutionRow>(
        sqlx::AssertSqlSafe(sql.as_str())
    )
    .bind(id)
    .fetch_optional(c)
    .await)
}

/// Locks institution `id` for the rest of `tx` (PostgreSQL: a no-op update takes the row lock;
/// SQLite has one writer).
pub async fn lock(tx: &mut Tx, id: &str) -> Result<(), sqlx::Error> {
    with_tx!(tx, |c| sqlx::query(
        "UPDATE institutions SET status = status WHERE id = $1"
    )
    .bind(id)
    .execute(c)
    .await
    .map(|_| ()))
}

/// Sets the status of institution `id` from `from` to `to` (with the suspension's time and
/// reason, or none); false if it was not `from`.
pub async fn set_status(
    tx: &mut Tx,
    id: &str,
    from: i32,
    to: i32,
    suspended: (Option<DateTime<Utc>>, Option<&str>),
) -> Result<bool, sqlx::Error> {
    let done = with_tx!(tx, |c| sqlx::query(
        "UPDATE institutions SET status = $3, suspended_at = $4, suspension_reason = $5 \
         WHERE id = $1 AND status = $2"
    )
    .bind(id)
    .bind(from)
    .bind(to)
    .bind(suspended.0)
    .bind(suspended.1)
    .execute(c)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(done == 1)
}

/// Replaces the qualification and the earliest expiry of institution `id`.
pub async fn set_qualification(
    tx: &mut Tx,
    id: &str,
    qualification: &[u8],
    documents_expire_on: &str,
) -> Result<(), sqlx::Error> {
    with_tx!(tx, |c| sqlx::query(
        "UPDATE institutions SET qualification = $2, documents_expire_on = $3 WHERE id = $1"
    )
    .bind(id)
    .bind(qualification)
    .bind(documents_expire_on)
    .execute(c)
    .await
    .map(|_| ()))
}

/// Which institutions a list returns; empty text and 0 mean "no filter".
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// Only this institution (a foster caller).
    pub id: String,
    /// Only this division.
    pub division: String,
    /// Only divisions matching this `LIKE` pattern; `%` for all.
    pub division_pattern: String,
    /// Only this kind (0: all).
    pub kind: i32,
    /// Only government-run (1), not (0), or both (-1).
    pub government_run: i32,
    /// Only this status (0: all).
    pub status: i32,
}

/// A page of institutions, newest registration first, strictly after the keyset position
/// `after`.
pub async fn list(
    db: &Db,
    filter: &ListFilter,
    after: (DateTime<Utc>, &str),
    limit: i64,
) -> Result<Vec<InstitutionRow>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM institutions \
         WHERE ($1 = '' OR id = $1) AND ($2 = '' OR division = $2) AND division LIKE $3 \
         AND ($4 = 0 OR kind = $4) \
         AND ($5 = -1 OR (CASE WHEN government_run THEN 1 ELSE 0 END) = $5) \
         AND ($6 = 0 OR status = $6) \
         AND (registered_at < $7 OR (registered_at = $7 AND id < $8)) \
         ORDER BY registered_at DESC, id DESC LIMIT $9"
    );
    with_db!(db, |pool| sqlx::query_as::<_, InstitutionRow>(
        sqlx::AssertSqlSafe(sql.as_str())
    )
    .bind(&filter.id)
    .bind(&filter.division)
    .bind(&filter.division_pattern)
    .bind(filter.kind)
    .bind(filter.government_run)
    .bind(filter.status)
    .bind(after.0)
    .bind(after.1)
    .bind(limit)
    .fetch_all(pool)
    .await)
}
