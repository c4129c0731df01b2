//! The margin (basis points) of the agreements a fee is charged under, read through
//! `crate::agreements`: the version in force on a day between a station and an institution,
//! and the version recorded on a placement.

use chrono::NaiveDate;
use relief_runtime::db::Conn;

/// The margin of the agreement version between `station` and `institution_id` in force on
/// `day`, if any.
pub async fn in_force(
    conn: Conn<'_>,
    station: &str,
    institution_id: &str,
    day: NaiveDate,
) -> Result<Option<i32>, sqlx::Error> {
    Ok(
        crate::agreements::in_force(conn, station, institution_id, day)
            .await?
            .map(|agreement| agreement.margin_bps),
    )
}

/// The margin of agreement version `id`, if stored.
pub async fn of_agreement(conn: Conn<'_>, id: &str) -> Result<Option<i32>, sqlx::Error> {
    Ok(crate::agreements::store::fetch(conn, id)
        .await?
        .map(|agreement| agreement.margin_bps))
}
