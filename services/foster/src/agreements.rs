//! Agreements (托养协议, plan §二(一)3) between a sending station and an institution: term, beds,
//! fee terms (the margin); versioned. No placement without one in force.
//!
//! - [`sign`](mod@sign): `SignAgreement` (the station records a new version).
//! - [`list`](fn@list): `ListAgreements`, in the caller's scope.
//! - [`in_force`]: the version governing a day (placements take it at approval, fees its margin).
//! - [`store`]: the table.

mod reads;
mod sign;
pub mod store;

use chrono::NaiveDate;
use relief_runtime::db::Conn;

pub use reads::list;
pub use sign::sign;
pub use store::AgreementRow;

/// The `FAILED_PRECONDITION` reason of an agreement holding more beds than the institution has.
pub const AGREEMENT_BEDS_OVER_CAPACITY: &str = "AGREEMENT_BEDS_OVER_CAPACITY";

/// The agreement between `station` and institution `institution_id` governing local day `day`:
/// the highest version whose term (`starts_on..=ends_on`) covers it; `None` if none does.
pub async fn in_force(
    conn: Conn<'_>,
    station: &str,
    institution_id: &str,
    day: NaiveDate,
) -> Result<Option<AgreementRow>, sqlx::Error> {
    store::in_force(conn, station, institution_id, &store::day_text(day)).await
}
