//! Police verification requests: filing (7 working days from admission), receipt (acknowledged,
//! or deemed after 3 working days, escalated), forwarding (receipt and due time stay), the
//! 1-month answer period (an act period from receipt, relief-legal), reminders, overdue
//! escalation, and per-method results.
//!
//! A file per idea: [`store`] (the tables), [`convert`] (rows to messages), [`file`] (filing),
//! [`receipt`] (acknowledged or deemed), [`deadlines`] (reminders, overdue), [`forward`],
//! [`results`], [`reads`] (Get and the lists).

mod convert;
pub(crate) mod deadlines;
mod file;
mod forward;
mod reads;
mod receipt;
mod results;
mod store;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use relief_proto::identity::v1 as pb;
use relief_runtime::db::{Conn, Tx};
use relief_runtime::deadlines::{DeadlineHandlers, cancel_subject};
use relief_runtime::{ApiError, Caller, CallerKind, ServiceContext};

pub use file::file;
pub use forward::forward;
pub use reads::{get, list, list_pending};
pub use receipt::acknowledge;
pub use results::submit_result;

use convert::Details;
use store::RequestRow;

/// The `FAILED_PRECONDITION` reason of a change to a withdrawn (or, for forwarding, answered)
/// request.
const CLOSED: &str = "VERIFICATION_CLOSED";

/// What a NOT_FOUND names.
const WHAT: &str = "verification request";

/// The deadline handlers of verification requests, by kind.
pub fn deadline_handlers() -> DeadlineHandlers {
    let mut handlers = DeadlineHandlers::new();
    handlers.insert(
        deadlines::DEEMED_RECEIPT,
        Arc::new(receipt::DeemReceived) as _,
    );
    handlers.insert(deadlines::REMINDER, Arc::new(deadlines::Remind) as _);
    handlers.insert(deadlines::OVERDUE, Arc::new(deadlines::MarkOverdue) as _);
    handlers
}

/// Withdraws every unanswered request of file `file_id` (the identity was confirmed another
/// way, or the stay ended): status WITHDRAWN, their deadlines cancelled.
pub async fn withdraw_open(
    _context: &ServiceContext,
    tx: &mut Tx,
    file_id: &str,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    for row in store::open_of_file(tx, file_id).await? {
        // The deadline rows before the request's, the order the sweeper takes them in.
        store::lock_deadlines(tx, &row.id).await?;
        if store::withdraw(tx, &row.id).await? {
            cancel_subject(tx, now, &row.subject()).await?;
        }
    }
    Ok(())
}

/// The request `id` addressed to the calling police unit now, locked for the rest of `tx`
/// with its pending deadlines (those first, see [`store::lock_deadlines`]); NOT_FOUND for any
/// other (a forwarded request is no longer the old unit's).
async fn addressed_request(tx: &mut Tx, caller: &Caller, id: &str) -> Result<RequestRow, ApiError> {
    store::lock_deadlines(tx, id).await?;
    store::lock(tx, id).await?;
    store::fetch(Conn::Tx(tx), id)
        .await?
        .filter(|row| caller.kind == CallerKind::Police && row.police_unit == caller.unit)
        .ok_or(ApiError::NotFound { what: WHAT })
}

/// The division of the file of `row` now (a transfer moves the file; the request keeps the
/// division of the case it was filed for): what its events and notifications carry, so they
/// say where the file was when they happened.
async fn division_now(tx: &mut Tx, row: &RequestRow) -> Result<String, ApiError> {
    Ok(store::file_place(Conn::Tx(tx), &row.file_id)
        .await?
        .map_or_else(|| row.division.clone(), |(_, division)| division))
}

/// The request `id` as a mutation returns it, read back as stored (so it shows what any later
/// read shows, to the backend's precision): with its forwardings and results, personal parts
/// omitted (a stored idempotent response holds no personal data).
async fn response_of(
    tx: &mut Tx,
    id: &str,
    now: DateTime<Utc>,
) -> Result<pb::VerificationRequest, ApiError> {
    let row = store::fetch(Conn::Tx(tx), id)
        .await?
        .ok_or_else(|| ApiError::internal("a verification request vanished in its transaction"))?;
    let (forwardings, results) = store::details_of(Conn::Tx(tx), &[id]).await?;
    convert::to_proto(&row, &forwardings, &results, Details::Omitted, now)
}
