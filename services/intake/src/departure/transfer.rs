//! Transfers (跨区域转送) continue the stay: the sending station closes its case as TRANSFERRED to
//! a named station, and that station's admission with a TRANSFER referral names the closed case.
//! The new case records it (`transferred_from_case_id`, `PersonAdmitted.continues_case_id`), and
//! the cases it continues are not counted as earlier stays of the person.

use relief_proto::intake::v1 as pb;
use relief_runtime::db::Tx;
use relief_runtime::{ApiError, Caller};

use super::store;

/// The `FAILED_PRECONDITION` reason of a second admission continuing the same transfer.
pub const TRANSFER_ALREADY_CONTINUED: &str = "TRANSFER_ALREADY_CONTINUED";

/// The longest chain of transfers followed (a guard: each link names an earlier case, so a
/// chain cannot loop).
const MAX_CHAIN: usize = 100;

/// Checks that `case_id` was closed as TRANSFERRED to `caller` and is not continued yet.
/// NOT_FOUND for a case that does not exist or was not transferred to the caller.
pub async fn check_transfer(tx: &mut Tx, caller: &Caller, case_id: &str) -> Result<(), ApiError> {
    let (status, kind_opt, to_station_opt) = store::transfer_source(tx, case_id)
        .await?
        .ok_or(ApiError::NotFound { what: "case" })?;
    let fits = status == pb::CaseStatus::Closed as i32
        && kind_opt == Some(pb::DepartureKind::Transferred as i32)
        && to_station_opt.as_deref() == Some(caller.unit.as_str());
    if !fits {
        // Only a case transferred to the caller is the caller's to see: anything else answers
        // as if it did not exist.
        return Err(ApiError::NotFound { what: "case" });
    }
    if store::is_continued(tx, case_id).await? {
        return Err(ApiError::failed_precondition(
            TRANSFER_ALREADY_CONTINUED,
            "this transfer was already admitted",
        ));
    }
    Ok(())
}

/// `case_id` and every case it continues through earlier transfers, latest first.
pub async fn transfer_chain(tx: &mut Tx, case_id: &str) -> Result<Vec<String>, ApiError> {
    let mut chain = vec![case_id.to_owned()];
    while chain.len() < MAX_CHAIN {
        let Some(last) = chain.last() else { break };
        match store::transferred_from(tx, last).await? {
            Some(earlier) if !chain.contains(&earlier) => chain.push(earlier),
            _ => break,
        }
    }
    Ok(chain)
}
