//! The table of open days (migration 1004): `open_days`, and who must hold one: every station of
//! units.toml and every institution registered before the day's end. One SQL text per query for
//! both backends.

use chrono::{DateTime, Utc};
use relief_proto::foster::v1 as pb;
use relief_runtime::db::{Conn, Tx};
use relief_runtime::time::timestamp;
use relief_runtime::units::Units;
use relief_runtime::{Caller, CallerKind, with_conn, with_tx};

/// A recorded open day (no personal data).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct OpenDayRow {
    pub year: i32,
    /// A station's unit id or an institution's id.
    pub unit: String,
    pub institution: bool,
    pub division: String,
    pub visitors: i32,
    pub description: String,
    pub recorded_at: DateTime<Utc>,
}

impl OpenDayRow {
    /// The protobuf open day (held; recorded on the day by construction).
    pub fn to_proto(&self) -> pb::OpenDay {
        pb::OpenDay {
            year: self.year,
            unit: self.unit.clone(),
            institution: self.institution,
            division: self.division.clone(),
            held: true,
            missed: false,
            visitors: self.visitors,
            description: self.description.clone(),
            recorded_at: Some(timestamp(self.recorded_at)),
        }
    }
}

/// Inserts an open day; false if the unit's open day of that year is already recorded.
pub async fn insert(tx: &mut Tx, row: &OpenDayRow) -> Result<bool, sqlx::Error> {
    let done = with_tx!(tx, |c| sqlx::query(
        "INSERT INTO open_days (year, unit, institution, division, visitors, description, \
         recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (year, unit) DO NOTHING"
    )
    .bind(row.year)
    .bind(&row.unit)
    .bind(row.institution)
    .bind(&row.division)
    .bind(row.visitors)
    .bind(&row.description)
    .bind(row.recorded_at)
    .execute(c)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(done == 1)
}

/// Every open day recorded for `year`.
pub async fn of_year(conn: Conn<'_>, year: i32) -> Result<Vec<OpenDayRow>, sqlx::Error> {
    with_conn!(conn, |c| sqlx::query_as::<_, OpenDayRow>(
        "SELECT year, unit, institution, division, visitors, description, recorded_at \
         FROM open_days WHERE year = $1 ORDER BY unit"
    )
    .bind(year)
    .fetch_all(c)
    .await)
}

/// A unit that must hold an open day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Obliged {
    /// A station's unit id or an institution's id.
    pub unit: String,
    pub institution: bool,
    pub division: String,
}

impl Obliged {
    /// The unit as a caller (the one its certificate names).
    pub fn caller(&self) -> Caller {
        Caller {
            kind: if self.institution {
                CallerKind::Foster
            } else {
                CallerKind::Station
            },
            division: self.division.clone(),
            unit: self.unit.clone(),
        }
    }
}

/// Every unit obliged to hold the open day ending at `due_at`: each station of units.toml and
/// each institution registered before `due_at`, ordered by unit id.
pub async fn obliged(
    conn: Conn<'_>,
    units: &Units,
    due_at: DateTime<Utc>,
) -> Result<Vec<Obliged>, sqlx::Error> {
    let institutions: Vec<(String, String, DateTime<Utc>)> = with_conn!(conn, |c| {
        sqlx::query_as("SELECT id, division, registered_at FROM institutions")
            .fetch_all(c)
            .await
    })?;
    let mut obliged: Vec<Obliged> = units
        .iter()
        .filter(|unit| unit.kind == CallerKind::Station)
        .map(|unit| Obliged {
            unit: unit.id.clone(),
            institution: false,
            division: unit.division.clone(),
        })
        .chain(
            institutions
                .into_iter()
                .filter(|(_, _, registered_at)| *registered_at < due_at)
                .map(|(id, division, _)| Obliged {
                    unit: id,
                    institution: true,
                    division,
                }),
        )
        .collect();
    obliged.sort_by(|a, b| a.unit.cmp(&b.unit));
    Ok(obliged)
}
