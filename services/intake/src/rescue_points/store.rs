//! The `rescue_points` table (migration 1040). One SQL text per query for both backends.

use chrono::{DateTime, Utc};
use relief_proto::intake::v1 as pb;
use relief_runtime::db::{Db, Tx};
use relief_runtime::time::timestamp;
use relief_runtime::{with_db, with_tx};

/// A stored rescue point.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RescuePointRow {
    pub id: String,
    pub division: String,
    pub street: String,
    pub name: String,
    pub address: String,
    pub registered_by_unit: String,
    pub registered_by_division: String,
    pub registered_at: DateTime<Utc>,
}

impl RescuePointRow {
    /// The rescue point as the API returns it (without who registered it).
    pub fn to_proto(&self) -> pb::RescuePoint {
        pb::RescuePoint {
            rescue_point_id: self.id.clone(),
            division: self.division.clone(),
            street: self.street.clone(),
            name: self.name.clone(),
            address: self.address.clone(),
            registered_at: Some(timestamp(self.registered_at)),
        }
    }
}

const COLUMNS: &str = "id, division, street, name, address, registered_by_unit, \
    registered_by_division, registered_at";

/// Inserts a new rescue point.
pub async fn insert(tx: &mut Tx, row: &RescuePointRow) -> Result<(), sqlx::Error> {
    let sql =
        format!("INSERT INTO rescue_points ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)");
    with_tx!(tx, |conn| {
        sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(&row.id)
            .bind(&row.division)
            .bind(&row.street)
            .bind(&row.name)
            .bind(&row.address)
            .bind(&row.registered_by_unit)
            .bind(&row.registered_by_division)
            .bind(row.registered_at)
            .execute(conn)
            .await
            .map(|_| ())
    })
}

/// A page of rescue points, newest registration first, strictly after the keyset position
/// `after`; only `division` unless it is empty.
pub async fn list(
    db: &Db,
    division: &str,
    after: (DateTime<Utc>, &str),
    limit: i64,
) -> Result<Vec<RescuePointRow>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM rescue_points \
         WHERE ($1 = '' OR division = $1) \
         AND (registered_at < $2 OR (registered_at = $2 AND id < $3)) \
         ORDER BY registered_at DESC, id DESC LIMIT $4"
    );
    with_db!(db, |pool| {
        sqlx::query_as::<_, RescuePointRow>(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(division)
            .bind(after.0)
            .bind(after.1)
            .bind(limit)
            .fetch_all(pool)
            .await
    })
}
