//! Repeat vagrancy (多次重复流浪, plan §三(四)): on admission the new case is linked to every earlier
//! case with the same ID-number blind index, and each link is a `RepeatLinked` event carrying the
//! origin division (repeats are counted per origin county). A link staff split later keeps its
//! row with `split_at` set and is never linked again automatically.

use chrono::{DateTime, Utc};
use relief_proto::intake::v1 as pb;
use relief_runtime::ApiError;
use relief_runtime::db::Tx;
use relief_runtime::events::append;
use relief_runtime::time::timestamp;

use super::store;

/// The cases already admitted with the ID-number blind index `index`, earliest admission first:
/// the earlier cases of a new admission with that index.
///
/// On PostgreSQL two admissions of the same person could otherwise run side by side and miss each
/// other; a transaction-scoped advisory lock keyed by the index makes the second wait for the
/// first to commit. (SQLite transactions are `BEGIN IMMEDIATE`: one writer at a time.)
pub async fn earlier_cases(tx: &mut Tx, index: &str) -> Result<Vec<String>, ApiError> {
    if let Tx::Postgres(tx) = tx {
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(lock_key(index))
            .execute(&mut **tx)
            .await?;
    }
    Ok(store::with_id_number_index(tx, index).await?)
}

/// Stores the links of the new case `case_id` and writes one `RepeatLinked` per new link.
pub async fn link(
    tx: &mut Tx,
    now: DateTime<Utc>,
    case_id: &str,
    earlier: &[String],
    origin_division: &str,
) -> Result<(), ApiError> {
    for earlier_case_id in earlier {
        if store::insert_link(tx, case_id, earlier_case_id, now).await? {
            append(
                tx,
                now,
                &pb::RepeatLinked {
                    case_id: case_id.to_owned(),
                    earlier_case_id: earlier_case_id.clone(),
                    origin_division: origin_division.to_owned(),
                    linked_at: Some(timestamp(now)),
                },
            )
            .await?;
        }
    }
    Ok(())
}

/// The advisory-lock key of a blind index: its first 64 bits. (A collision with another lock
/// only makes one transaction wait for another.)
fn lock_key(index: &str) -> i64 {
    let prefix = index.get(..16).unwrap_or(index);
    u64::from_str_radix(prefix, 16).map_or(0, |bits| i64::from_ne_bytes(bits.to_ne_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lock_key_is_the_first_64_bits_of_the_index() {
        assert_eq!(
            lock_key(&format!("{}{}", "ff".repeat(8), "00".repeat(24))),
            -1
        );
        assert_eq!(lock_key(&format!("{}2a", "00".repeat(7))), 42);
        assert_eq!(lock_key("not hex"), 0);
    }
}
