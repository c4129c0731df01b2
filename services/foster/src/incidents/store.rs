//! The table of incidents (migration 1004): `incidents`. One SQL text per query for both
//! backends; notification ids are kept one per line.

use chrono::{DateTime, Utc};
use relief_proto::foster::v1 as pb;
use relief_runtime::db::{Db, Tx};
use relief_runtime::time::timestamp;
use relief_runtime::{with_db, with_tx};

/// A stored incident. The description may name people: it is returned to those who see the
/// placement and never put in an event or a notification.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct IncidentRow {
    pub id: String,
    pub placement_id: String,
    pub institution_id: String,
    /// The institution's division.
    pub division: String,
    /// The sending station.
    pub station: String,
    /// The case's division (the placement's scope).
    pub case_division: String,
    pub kind: i32,
    pub occurred_at: DateTime<Utc>,
    pub description: String,
    pub reported_by: String,
    pub reported_at: DateTime<Utc>,
    /// One id per line.
    pub notification_ids: String,
}

impl IncidentRow {
    /// The protobuf incident.
    pub fn to_proto(&self) -> pb::Incident {
        pb::Incident {
            incident_id: self.id.clone(),
            placement_id: self.placement_id.clone(),
            institution_id: self.institution_id.clone(),
            division: self.division.clone(),
            station: self.station.clone(),
            kind: self.kind,
            occurred_at: Some(timestamp(self.occurred_at)),
            description: self.description.clone(),
            reported_by: self.reported_by.clone(),
            reported_at: Some(timestamp(self.reported_at)),
            notification_ids: self
                .notification_ids
                .lines()
                .filter(|id| !id.is_empty())
                .map(str::to_owned)
                .collect(),
        }
    }
}

const COLUMNS: &str = "id, placement_id, institution_id, division, station, case_division, kind, \
    occurred_at, description, reported_by, reported_at, notification_ids";

/// Inserts a new incident.
pub async fn insert(tx: &mut Tx, row: &IncidentRow) -> Result<(), sqlx::Error> {
    let sql = format!(
        "INSERT INTO incidents ({COLUMNS}) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
    );
    with_tx!(tx, |c| sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(&row.id)
        .bind(&row.placement_id)
        .bind(&row.institution_id)
        .bind(&row.division)
        .bind(&row.station)
        .bind(&row.case_division)
        .bind(row.kind)
        .bind(row.occurred_at)
        .bind(&row.description)
        .bind(&row.reported_by)
        .bind(row.reported_at)
        .bind(&row.notification_ids)
        .execute(c)
        .await
        .map(|_| ()))
}

/// Which incidents a list returns; empty text means "no filter".
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// Only of this institution (a foster caller: itself).
    pub institution_id: String,
    /// Only of residents this station sent.
    pub station: String,
    /// Only of cases, or of institutions, of divisions matching this `LIKE` pattern; `%` for
    /// all. The institution's division counts too: its county civil affairs and government are
    /// notified of the incident and must be able to read it.
    pub division_pattern: String,
    /// Only of this placement.
    pub placement_id: String,
    /// Only of this institution (the request's filter).
    pub only_institution: String,
}

/// A page of incidents, latest report first, strictly after the keyset position `after`.
pub async fn list(
    db: &Db,
    filter: &ListFilter,
    after: (DateTime<Utc>, &str),
    limit: i64,
) -> Result<Vec<IncidentRow>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM incidents \
         WHERE ($1 = '' OR institution_id = $1) AND ($2 = '' OR station = $2) \
         AND (case_division LIKE $3 OR division LIKE $3) AND ($4 = '' OR placement_id = $4) \
         AND ($5 = '' OR institution_id = $5) \
         AND (reported_at < $6 OR (reported_at = $6 AND id < $7)) \
         ORDER BY reported_at DESC, id DESC LIMIT $8"
    );
    with_db!(db, |pool| sqlx::query_as::<_, IncidentRow>(
        sqlx::AssertSqlSafe(sql.as_str())
    )
    .bind(&filter.institution_id)
    .bind(&filter.station)
    .bind(&filter.division_pattern)
    .bind(&filter.placement_id)
    .bind(&filter.only_institution)
    .bind(after.0)
    .bind(after.1)
    .bind(limit)
    .fetch_all(pool)
    .await)
}
