//! The stranded register (长期滞留人员): a file still open `rules.stranded_months` (3) months after
//! the admission that began the stay enters it (a status duration: 24:00 local of the
//! corresponding day, start day not counted, no rest-day roll [plan §二(五)2]). Transfers do not
//! reset it: the file and its deadlines continue. For each person the steps owed — notice
//! published, DNA requested, face result received — are computed from the tables
//! ([`steps`]), each missing one is visible in `ListStrandedPersons`, and each completion after
//! entry is a `StrandedStepCompleted` event.

mod list;
pub mod register;
pub mod steps;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use relief_proto::identity::v1 as pb;
use relief_runtime::db::{Conn, Tx};
use relief_runtime::deadlines::DeadlineHandlers;
use relief_runtime::events::append;
use relief_runtime::time::timestamp;
use relief_runtime::{ApiError, ServiceContext};

use crate::files::store::{self, FileRow};
use crate::notices::refresh;

pub use list::list;

/// The deadline handlers of the register, by kind: entering it.
pub fn deadline_handlers() -> DeadlineHandlers {
    let mut handlers = DeadlineHandlers::new();
    handlers.insert(
        register::STRANDED_DEADLINE,
        Arc::new(register::EnterRegister) as _,
    );
    handlers
}

/// Schedules the clocks a newly opened `file` runs from its stay's beginning: entering the
/// register, and the end of its first notice-refresh window (month 1 for an UNKNOWN identity,
/// the stranded month for a stated one). Called by the files slice right after opening a file
/// (not on a transfer: the clocks continue).
pub async fn schedule(
    context: &ServiceContext,
    tx: &mut Tx,
    file: &FileRow,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    register::schedule(context, tx, file, now).await?;
    if let Some(k) = refresh::first_window(&context.config.rules, file.admitted_as) {
        refresh::schedule_window(tx, now, file, k).await?;
    }
    Ok(())
}

/// Records that `step` was done for file `file_id` at `now`: if the person is in the register
/// (stranded, file OPEN), appends `StrandedStepCompleted`. Callers call it after writing the
/// first row of the step's kind for the file (the notice, the DNA request, the face result), so
/// the step was missing until then.
pub async fn step_done(
    _context: &ServiceContext,
    tx: &mut Tx,
    file_id: &str,
    step: pb::StrandedStep,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let Some(file) = store::fetch(Conn::Tx(tx), file_id).await? else {
        return Ok(());
    };
    if !file.is_open() || file.stranded_since.is_none() {
        return Ok(());
    }
    append(
        tx,
        now,
        &pb::StrandedStepCompleted {
            file_id: file.id.clone(),
            division: file.division.clone(),
            step: step as i32,
            completed_at: Some(timestamp(now)),
        },
    )
    .await?;
    Ok(())
}
