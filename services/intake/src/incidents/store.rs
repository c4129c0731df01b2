//! The `incidents` and `abuse_reports` tables (migration 1030). One SQL text per query for both
//! backends; notification ids are kept one per line.

use chrono::{DateTime, Utc};
use relief_proto::intake::v1 as pb;
use relief_runtime::db::Tx;
use relief_runtime::notifications::unit_ref;
use relief_runtime::time::timestamp;
use relief_runtime::{Caller, with_tx};

/// A stored incident.
#[derive(Debug, Clone)]
pub struct IncidentRow {
    pub id: String,
    pub case_id: String,
    pub division: String,
    pub kind: i32,
    pub occurred_at: DateTime<Utc>,
    pub description: String,
    pub notification_ids: Vec<String>,
    pub reported_by_unit: String,
    pub reported_at: DateTime<Utc>,
}

impl IncidentRow {
    /// The protobuf form.
    pub fn to_proto(&self) -> pb::Incident {
        pb::Incident {
            incident_id: self.id.clone(),
            case_id: self.case_id.clone(),
            kind: self.kind,
            occurred_at: Some(timestamp(self.occurred_at)),
            description: self.description.clone(),
            notification_ids: self.notification_ids.clone(),
        }
    }
}

/// Inserts a new incident.
pub async fn insert_incident(tx: &mut Tx, row: &IncidentRow) -> Result<(), sqlx::Error> {
    with_tx!(tx, |conn| {
        sqlx::query(
            "INSERT INTO incidents (id, case_id, division, kind, occurred_at, description, \
             notification_ids, reported_by_unit, reported_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&row.id)
        .bind(&row.case_id)
        .bind(&row.division)
        .bind(row.kind)
        .bind(row.occurred_at)
        .bind(&row.description)
        .bind(row.notification_ids.join("\n"))
        .bind(&row.reported_by_unit)
        .bind(row.reported_at)
        .execute(conn)
        .await
        .map(|_| ())
    })
}

/// A stored report of suspected abuse.
#[derive(Debug, Clone)]
pub struct AbuseRow {
    pub id: String,
    pub case_id: Option<String>,
    pub division: String,
    pub description: String,
    pub reported_by: Caller,
    pub reported_at: DateTime<Utc>,
    pub notification_ids: Vec<String>,
}

impl AbuseRow {
    /// The protobuf form.
    pub fn to_proto(&self) -> pb::AbuseReport {
        pb::AbuseReport {
            report_id: self.id.clone(),
            case_id: self.case_id.clone().unwrap_or_default(),
            division: self.division.clone(),
            description: self.description.clone(),
            reported_by: Some(unit_ref(&self.reported_by)),
            reported_at: Some(timestamp(self.reported_at)),
            notification_ids: self.notification_ids.clone(),
        }
    }
}

/// Inserts a new report.
pub async fn insert_abuse(tx: &mut Tx, row: &AbuseRow) -> Result<(), sqlx::Error> {
    with_tx!(tx, |conn| {
        sqlx::query(
            "INSERT INTO abuse_reports (id, case_id, division, description, reported_by_kind, \
             reported_by_division, reported_by_unit, reported_at, notification_ids) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&row.id)
        .bind(&row.case_id)
        .bind(&row.division)
        .bind(&row.description)
        .bind(row.reported_by.kind.as_str())
        .bind(&row.reported_by.division)
        .bind(&row.reported_by.unit)
        .bind(row.reported_at)
        .bind(row.notification_ids.join("\n"))
        .execute(conn)
        .await
        .map(|_| ())
    })
}
