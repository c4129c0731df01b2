//! Repeat vagrancy (多次重复流浪, plan §三(四)): on admission the new case is linked to every earlier
//! case with the same ID-number blind index, and each link is a `RepeatLinked` event carrying the
//! origin division (repeats are counted per origin county).
//!
//! Staff split a wrong link with `SplitRepeatLink` (a `RepeatSplit` event). A split link keeps its
//! row with `split_at` set, the reason and who split it, and is never linked again
//! automatically: [`link`], the one way links are made, skips a pair split in either direction,
//! and reads (`store::links_of`) return only unsplit links.

use chrono::{DateTime, Utc};
use relief_proto::intake::v1 as pb;
use relief_runtime::db::Tx;
use relief_runtime::events::append;
use relief_runtime::time::timestamp;
use relief_runtime::{ApiError, Caller, CallerKind, ServiceContext, caller, idempotency, with_tx};
use tonic::Request;

use super::store::{self, CaseRow, Conn};
use super::{convert, visible};
use relief_runtime::validate::Violations;

/// The `FAILED_PRECONDITION` reason of a split of a link that does not exist or is already
/// split.
const LINK_NOT_FOUND_OR_SPLIT: &str = "LINK_NOT_FOUND_OR_SPLIT";

/// The longest reason accepted, in characters.
const MAX_REASON: usize = 1000;

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

/// Stores the links of the case `case_id` to the `earlier` cases and writes one `RepeatLinked` per
/// new link. A pair that staff split, in either direction, is skipped: it is never linked again
/// automatically (an existing row, split or not, is left alone too).
pub async fn link(
    tx: &mut Tx,
    now: DateTime<Utc>,
    case_id: &str,
    earlier: &[String],
    origin_division: &str,
) -> Result<(), ApiError> {
    for earlier_case_id in earlier {
        if earlier_case_id == case_id || was_split(tx, case_id, earlier_case_id).await? {
            continue;
        }
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

/// `SplitRepeatLink`: the admitting station of the later case, or civil affairs whose division
/// covers it, splits its link to an earlier case. NOT_FOUND for a case the caller may not split;
/// FAILED_PRECONDITION `LINK_NOT_FOUND_OR_SPLIT` when there is no such unsplit link.
pub async fn split(
    context: &ServiceContext,
    request: Request<pb::SplitRepeatLinkRequest>,
) -> Result<pb::SplitRepeatLinkResponse, ApiError> {
    let caller = caller(&request)?.clone();
    refuse_read_only(&caller)?;
    let request = request.into_inner();
    let now = context.clock.now();
    let mut check = Violations::new();
    let case_id = check.required_id("case_id", &request.case_id);
    let earlier_case_id = check.required_id("earlier_case_id", &request.earlier_case_id);
    let reason = check.required_text("reason", &request.reason, MAX_REASON);
    check.finish()?;
    idempotency::run(
        context,
        &caller,
        "/relief.intake.v1.IntakeService/SplitRepeatLink",
        &request.request_id,
        &request,
        async |tx| {
            let row = store::fetch(Conn::Tx(tx), &case_id)
                .await?
                .filter(|row| may_split(&caller, row))
                .ok_or(ApiError::NotFound { what: "case" })?;
            let split = Split {
                case_id: &row.id,
                earlier_case_id: &earlier_case_id,
                reason: &reason,
                by: &caller,
                at: now,
            };
            if !mark_split(tx, &split).await? {
                return Err(ApiError::failed_precondition(
                    LINK_NOT_FOUND_OR_SPLIT,
                    "this case is not linked to that earlier case, or the link is already split",
                ));
            }
            append(
                tx,
                now,
                &pb::RepeatSplit {
                    case_id: row.id.clone(),
                    earlier_case_id: earlier_case_id.clone(),
                    split_at: Some(timestamp(now)),
                    origin_division: row.origin_division.clone(),
                },
            )
            .await?;
            let repeat_of = store::repeat_of(Conn::Tx(tx), &row.id).await?;
            let mut case = convert::to_proto(&row, repeat_of);
            case.person_omitted = true;
            Ok(pb::SplitRepeatLinkResponse { case: Some(case) })
        },
    )
    .await
}

/// Whether `caller` may split the links of the later case `row`: its admitting station, or civil
/// affairs whose division covers the case's (as `visible`, restricted to those two kinds).
fn may_split(caller: &Caller, row: &CaseRow) -> bool {
    matches!(caller.kind, CallerKind::Station | CallerKind::CivilAffairs) && visible(caller, row)
}

/// The provincial civil-affairs department (a province-level division, `xx0000`) reads only
/// (DOMAIN.md, "Callers"): PERMISSION_DENIED before anything is read.
fn refuse_read_only(caller: &Caller) -> Result<(), ApiError> {
    if caller.kind == CallerKind::CivilAffairs
        && caller.division.len() == 6
        && caller.division.ends_with("0000")
    {
        return Err(ApiError::PermissionDenied {
            message: "the provincial civil-affairs department may only read".to_owned(),
        });
    }
    Ok(())
}

/// A split to record.
#[derive(Debug)]
struct Split<'a> {
    case_id: &'a str,
    earlier_case_id: &'a str,
    reason: &'a str,
    by: &'a Caller,
    at: DateTime<Utc>,
}

/// Marks the unsplit link of `split` as split, with the reason and who split it; false when
/// there is no such unsplit link. The condition on `split_at` makes a concurrent second split
/// of the same link find nothing (PostgreSQL re-checks it after the first commits).
async fn mark_split(tx: &mut Tx, split: &Split<'_>) -> Result<bool, ApiError> {
    let updated = with_tx!(tx, |conn| {
        sqlx::query(
            "UPDATE case_links SET split_at = $3, split_reason = $4, split_by_kind = $5, \
             split_by_division = $6, split_by_unit = $7 \
             WHERE case_id = $1 AND earlier_case_id = $2 AND split_at IS NULL",
        )
        .bind(split.case_id)
        .bind(split.earlier_case_id)
        .bind(split.at)
        .bind(split.reason)
        .bind(split.by.kind.as_str())
        .bind(&split.by.division)
        .bind(&split.by.unit)
        .execute(conn)
        .await
        .map(|done| done.rows_affected())
    })?;
    Ok(updated == 1)
}

/// Whether staff split a link between the cases `a` and `b`, in either direction.
async fn was_split(tx: &mut Tx, a: &str, b: &str) -> Result<bool, ApiError> {
    let count: i64 = with_tx!(tx, |conn| {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM case_links WHERE split_at IS NOT NULL \
             AND ((case_id = $1 AND earlier_case_id = $2) OR (case_id = $2 AND earlier_case_id = $1))",
        )
        .bind(a)
        .bind(b)
        .fetch_one(conn)
        .await
    })?;
    Ok(count > 0)
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
