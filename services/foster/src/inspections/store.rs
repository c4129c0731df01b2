//! The tables of inspections (migration 1004): `inspections` and `inspection_findings`. One SQL
//! text per query for both backends; reads take a pool or the caller's transaction ([`Conn`]).

use chrono::{DateTime, Utc};
use relief_proto::foster::v1 as pb;
use relief_runtime::db::{Conn, Db, Tx};
use relief_runtime::time::{timestamp, timestamp_opt};
use relief_runtime::{Caller, CallerKind, with_conn, with_db, with_tx};

use super::parse_day;

/// `inspections.target_kind`.
pub mod target_kind {
    /// A registered institution.
    pub const INSTITUTION: i32 = 1;
    /// A station of units.toml.
    pub const STATION: i32 = 2;
}

/// A stored inspection (no personal data).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct InspectionRow {
    pub id: String,
    pub target_kind: i32,
    /// The institution id or the station's unit id.
    pub target_unit: String,
    /// The inspected unit's division.
    pub division: String,
    pub authority: i32,
    pub inspected_by_kind: String,
    pub inspected_by_division: String,
    pub inspected_by: String,
    /// YYYY-MM-DD.
    pub inspected_on: String,
    pub summary: String,
    pub recorded_at: DateTime<Utc>,
}

impl InspectionRow {
    /// What was inspected.
    pub fn target(&self) -> pb::InspectionTarget {
        use pb::inspection_target::Target;
        let unit = self.target_unit.clone();
        pb::InspectionTarget {
            target: Some(if self.target_kind == target_kind::STATION {
                Target::Station(unit)
            } else {
                Target::InstitutionId(unit)
            }),
        }
    }

    /// The inspected unit as a caller: the institution (its certificate names its id) or the
    /// station.
    pub fn inspected_unit(&self) -> Caller {
        Caller {
            kind: if self.target_kind == target_kind::STATION {
                CallerKind::Station
            } else {
                CallerKind::Foster
            },
            division: self.division.clone(),
            unit: self.target_unit.clone(),
        }
    }

    /// The inspecting unit as a caller (`None` only for a row this code did not write).
    pub fn inspector(&self) -> Option<Caller> {
        Some(Caller {
            kind: self.inspected_by_kind.parse().ok()?,
            division: self.inspected_by_division.clone(),
            unit: self.inspected_by.clone(),
        })
    }

    /// Whether `caller` is the inspected unit or the inspecting unit.
    pub fn concerns(&self, caller: &Caller) -> bool {
        let same = |unit: &Caller| unit.kind == caller.kind && unit.unit == caller.unit;
        same(&self.inspected_unit()) || self.inspector().is_some_and(|unit| same(&unit))
    }

    /// The protobuf inspection with `findings` (its own, in number order) as seen at `now`.
    pub fn to_proto(&self, findings: &[FindingRow], now: DateTime<Utc>) -> pb::Inspection {
        pb::Inspection {
            inspection_id: self.id.clone(),
            target: Some(self.target()),
            division: self.division.clone(),
            authority: self.authority,
            inspected_by: self.inspected_by.clone(),
            inspected_on: self.inspected_on.clone(),
            summary: self.summary.clone(),
            findings: findings
                .iter()
                .filter(|finding| finding.inspection_id == self.id)
                .map(|finding| finding.to_proto(now))
                .collect(),
            recorded_at: Some(timestamp(self.recorded_at)),
        }
    }
}

/// A stored finding.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct FindingRow {
    pub inspection_id: String,
    pub finding_number: i32,
    pub description: String,
    pub breach: bool,
    /// YYYY-MM-DD, the last local day to rectify; `None`: nothing to rectify.
    pub rectify_by: Option<String>,
    pub rectified_at: Option<DateTime<Utc>>,
    pub rectification: Option<String>,
    pub rectified_by: Option<String>,
    /// When RectificationOverdue was raised.
    pub overdue_raised_at: Option<DateTime<Utc>>,
}

impl FindingRow {
    /// The due instant: 24:00 local of `rectify_by`.
    pub fn due_at(&self) -> Option<DateTime<Utc>> {
        self.rectify_by
            .as_deref()
            .and_then(parse_day)
            .map(relief_legal::end_of_day)
    }

    /// Whether the deadline passed without a rectification recorded before it, as seen at
    /// `now` (computed from the record, whether or not the sweeper has run).
    pub fn overdue(&self, now: DateTime<Utc>) -> bool {
        self.overdue_raised_at.is_some()
            || self
                .due_at()
                .is_some_and(|due| self.rectified_at.unwrap_or(now) >= due)
    }

    /// The protobuf finding as seen at `now`.
    pub fn to_proto(&self, now: DateTime<Utc>) -> pb::Finding {
        pb::Finding {
            finding_number: self.finding_number,
            description: self.description.clone(),
            breach: self.breach,
            rectify_by: self.rectify_by.clone().unwrap_or_default(),
            rectified_at: timestamp_opt(self.rectified_at),
            rectification: self.rectification.clone().unwrap_or_default(),
            overdue: self.overdue(now),
        }
    }
}

const COLUMNS: &str = "id, target_kind, target_unit, division, authority, inspected_by_kind, \
    inspected_by_division, inspected_by, inspected_on, summary, recorded_at";

const FINDING_COLUMNS: &str = "inspection_id, finding_number, description, breach, rectify_by, \
    rectified_at, rectification, rectified_by, overdue_raised_at";

/// Inserts an inspection and its findings.
pub async fn insert(
    tx: &mut Tx,
    row: &InspectionRow,
    findings: &[FindingRow],
) -> Result<(), sqlx::Error> {
    let sql = format!(
        "INSERT INTO inspections ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
    );
    with_tx!(tx, |c| sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(&row.id)
        .bind(row.target_kind)
        .bind(&row.target_unit)
        .bind(&row.division)
        .bind(row.authority)
        .bind(&row.inspected_by_kind)
        .bind(&row.inspected_by_division)
        .bind(&row.inspected_by)
        .bind(&row.inspected_on)
        .bind(&row.summary)
        .bind(row.recorded_at)
        .execute(c)
        .await
        .map(|_| ()))?;
    let sql = format!(
        "INSERT INTO inspection_findings ({FINDING_COLUMNS}) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
    );
    for finding in findings {
        with_tx!(tx, |c| sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(&finding.inspection_id)
            .bind(finding.finding_number)
            .bind(&finding.description)
            .bind(finding.breach)
            .bind(&finding.rectify_by)
            .bind(finding.rectified_at)
            .bind(&finding.rectification)
            .bind(&finding.rectified_by)
            .bind(finding.overdue_raised_at)
            .execute(c)
            .await
            .map(|_| ()))?;
    }
    Ok(())
}

/// The inspection `id`.
pub async fn fetch(conn: Conn<'_>, id: &str) -> Result<Option<InspectionRow>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM inspections WHERE id = $1");
    with_conn!(conn, |c| sqlx::query_as::<_, InspectionRow>(
        sqlx::AssertSqlSafe(sql.as_str())
    )
    .bind(id)
    .fetch_optional(c)
    .await)
}

/// The findings of the inspections `ids`, by inspection and number.
pub async fn findings(conn: Conn<'_>, ids: &[String]) -> Result<Vec<FindingRow>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders: Vec<String> = (1..=ids.len()).map(|n| format!("${n}")).collect();
    let sql = format!(
        "SELECT {FINDING_COLUMNS} FROM inspection_findings WHERE inspection_id IN ({}) \
         ORDER BY inspection_id, finding_number",
        placeholders.join(", ")
    );
    with_conn!(conn, |c| {
        let mut query = sqlx::query_as::<_, FindingRow>(sqlx::AssertSqlSafe(sql.as_str()));
        for id in ids {
            query = query.bind(id);
        }
        query.fetch_all(c).await
    })
}

/// Finding `number` of inspection `id`.
pub async fn finding(
    conn: Conn<'_>,
    id: &str,
    number: i32,
) -> Result<Option<FindingRow>, sqlx::Error> {
    let sql = format!(
        "SELECT {FINDING_COLUMNS} FROM inspection_findings \
         WHERE inspection_id = $1 AND finding_number = $2"
    );
    with_conn!(conn, |c| sqlx::query_as::<_, FindingRow>(
        sqlx::AssertSqlSafe(sql.as_str())
    )
    .bind(id)
    .bind(number)
    .fetch_optional(c)
    .await)
}

/// Records the rectification of finding `number` of inspection `id`; false if it was already
/// rectified.
pub async fn set_rectified(
    tx: &mut Tx,
    (id, number): (&str, i32),
    at: DateTime<Utc>,
    rectification: &str,
    by: &str,
) -> Result<bool, sqlx::Error> {
    let done = with_tx!(tx, |c| {
        sqlx::query(
        "UPDATE inspection_findings SET rectified_at = $3, rectification = $4, rectified_by = $5 \
         WHERE inspection_id = $1 AND finding_number = $2 AND rectified_at IS NULL"
    )
    .bind(id)
    .bind(number)
    .bind(at)
    .bind(rectification)
    .bind(by)
    .execute(c)
    .await
    .map(|done| done.rows_affected())
    })?;
    Ok(done == 1)
}

/// Marks finding `number` of inspection `id` overdue at `at`; false if it already was.
pub async fn mark_overdue(
    tx: &mut Tx,
    (id, number): (&str, i32),
    at: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let done = with_tx!(tx, |c| sqlx::query(
        "UPDATE inspection_findings SET overdue_raised_at = $3 \
         WHERE inspection_id = $1 AND finding_number = $2 AND overdue_raised_at IS NULL"
    )
    .bind(id)
    .bind(number)
    .bind(at)
    .execute(c)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(done == 1)
}

/// Which inspections a list returns: those matching any of the scope conditions (empty: that
/// condition matches nothing), then the target filter.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// Inspections of divisions matching this `LIKE` pattern.
    pub division_pattern: String,
    /// Inspections of this unit (target kind and unit).
    pub inspected: (i32, String),
    /// Inspections this unit made.
    pub inspected_by: String,
    /// Only of this target (kind 0: any).
    pub target: (i32, String),
}

/// A page of inspections, latest recorded first, strictly after the keyset position `after`.
pub async fn list(
    db: &Db,
    filter: &ListFilter,
    after: (DateTime<Utc>, &str),
    limit: i64,
) -> Result<Vec<InspectionRow>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM inspections \
         WHERE (($1 <> '' AND division LIKE $1) \
                OR (target_kind = $2 AND target_unit = $3) \
                OR ($4 <> '' AND inspected_by = $4)) \
         AND ($5 = 0 OR (target_kind = $5 AND target_unit = $6)) \
         AND (recorded_at < $7 OR (recorded_at = $7 AND id < $8)) \
         ORDER BY recorded_at DESC, id DESC LIMIT $9"
    );
    with_db!(db, |pool| sqlx::query_as::<_, InspectionRow>(
        sqlx::AssertSqlSafe(sql.as_str())
    )
    .bind(&filter.division_pattern)
    .bind(filter.inspected.0)
    .bind(&filter.inspected.1)
    .bind(&filter.inspected_by)
    .bind(filter.target.0)
    .bind(&filter.target.1)
    .bind(after.0)
    .bind(after.1)
    .bind(limit)
    .fetch_all(pool)
    .await)
}

/// Whether station `station` has (or had) an agreement with institution `institution_id`, any
/// version (reads the agreements table; the agreement slice owns it).
pub async fn has_agreement(
    conn: Conn<'_>,
    station: &str,
    institution_id: &str,
) -> Result<bool, sqlx::Error> {
    let count = with_conn!(conn, |c| sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM agreements WHERE station = $1 AND institution_id = $2"
    )
    .bind(station)
    .bind(institution_id)
    .fetch_one(c)
    .await)?;
    Ok(count > 0)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]

    use super::*;

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn finding(rectify_by: Option<&str>, rectified_at: Option<&str>) -> FindingRow {
        FindingRow {
            inspection_id: "i".to_owned(),
            finding_number: 1,
            description: "灭火器过期".to_owned(),
            breach: true,
            rectify_by: rectify_by.map(str::to_owned),
            rectified_at: rectified_at.map(utc),
            rectification: None,
            rectified_by: None,
            overdue_raised_at: None,
        }
    }

    #[test]
    fn a_finding_is_overdue_from_24_00_of_its_last_day_unless_rectified_before() {
        let open = finding(Some("2026-04-10"), None);
        assert_eq!(open.due_at(), Some(utc("2026-04-11T00:00:00+08:00")));
        assert!(!open.overdue(utc("2026-04-10T23:59:59+08:00")));
        assert!(open.overdue(utc("2026-04-11T00:00:00+08:00")));
        let in_time = finding(Some("2026-04-10"), Some("2026-04-10T23:59:59+08:00"));
        assert!(!in_time.overdue(utc("2026-05-01T00:00:00+08:00")));
        let late = finding(Some("2026-04-10"), Some("2026-04-11T00:00:00+08:00"));
        assert!(late.overdue(utc("2026-05-01T00:00:00+08:00")));
        let nothing = finding(None, None);
        assert_eq!(nothing.due_at(), None);
        assert!(!nothing.overdue(utc("2030-01-01T00:00:00Z")));
    }
}
