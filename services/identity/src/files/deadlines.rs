//! The deadlines a file gets when it opens: the family-search notice (UNKNOWN identity only,
//! `rules.notice_hours` after admission) and the verification request (`rules.
//! verification_filing_working_days` working days). Each fires for a file still open whose act
//! was not done by the legal instant (`deadline.due_at`): a notice published and recorded by
//! then ([`crate::notices::first_notice_met`]), a request filed before it (24:00 of the last
//! working day: [`store::request_filed_by`]). An act done later does not count, whether it was
//! recorded before the sweeper fired or after: the outcome does not depend on when the sweeper
//! ran, and it agrees with the act's own `on_time` / `filed_on_time`. Then an event tells
//! reporting and the station and its county civil-affairs bureau are notified. Confirming or
//! closing the file cancels them (subject `identity-file/<id>`); a transfer keeps them (the
//! handler notifies whoever holds the file).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use relief_proto::identity::v1 as pb;
use relief_runtime::db::{Conn, Tx};
use relief_runtime::deadlines::{self, Deadline, DeadlineHandler, DeadlineHandlers};
use relief_runtime::events::append;
use relief_runtime::time::timestamp;
use relief_runtime::{ApiError, ServiceContext};

use super::store::{self, FileRow};
use crate::units;

/// The deadline kind of the first family-search notice.
pub const NOTICE_DEADLINE: &str = "identity.notice";

/// The deadline kind of filing a verification request.
pub const FILING_DEADLINE: &str = "identity.request_filing";

/// The notification kind of a missing notice.
pub const NOTICE_OVERDUE: &str = "NOTICE_OVERDUE";

/// The notification kind of a verification request not filed in time.
pub const FILING_OVERDUE: &str = "VERIFICATION_FILING_OVERDUE";

/// The handlers of this module, by kind.
pub fn handlers() -> DeadlineHandlers {
    let mut handlers = DeadlineHandlers::new();
    handlers.insert(
        NOTICE_DEADLINE,
        Arc::new(NoticeOverdue) as Arc<dyn DeadlineHandler>,
    );
    handlers.insert(FILING_DEADLINE, Arc::new(FilingOverdue) as _);
    handlers
}

/// Schedules the deadlines of a newly opened file (its due times are on the row). Stable ids:
/// scheduling twice is harmless.
pub async fn schedule(tx: &mut Tx, now: DateTime<Utc>, file: &FileRow) -> Result<(), ApiError> {
    if let Some(notice_due_at) = file.notice_due_at {
        deadlines::schedule(
            tx,
            now,
            &format!("{NOTICE_DEADLINE}:{}", file.id),
            NOTICE_DEADLINE,
            &file.subject(),
            notice_due_at,
            file.id.clone().into_bytes(),
        )
        .await?;
    }
    deadlines::schedule(
        tx,
        now,
        &format!("{FILING_DEADLINE}:{}", file.id),
        FILING_DEADLINE,
        &file.subject(),
        file.request_due_at,
        file.id.clone().into_bytes(),
    )
    .await?;
    Ok(())
}

/// The file a deadline is about, locked and read under the lock, when it is still open (a
/// confirmed or closed file's deadlines are cancelled, but the file may have changed since the
/// sweeper claimed the row). The lock serialises the check with a notice or a request being
/// recorded for the file, and with a transfer continuing it (the event names the current case).
async fn open_file(tx: &mut Tx, deadline: &Deadline) -> Result<Option<FileRow>, ApiError> {
    let file_id = String::from_utf8_lossy(&deadline.payload).into_owned();
    store::lock(tx, &file_id).await?;
    let file = store::fetch(Conn::Tx(tx), &file_id)
        .await?
        .ok_or_else(|| ApiError::internal(format!("deadline for a missing file {file_id}")))?;
    Ok(file.is_open().then_some(file))
}

/// Notifies the station holding `file` and the civil-affairs bureau of its division.
async fn notify(
    context: &ServiceContext,
    tx: &mut Tx,
    file: &FileRow,
    kind: &str,
    summary: String,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let mut recipients: Vec<_> = units::station(&file.division, &file.station)
        .into_iter()
        .collect();
    recipients.extend(units::civil_affairs_for(context, &file.division));
    relief_runtime::notifications::tracked(
        context,
        tx,
        now,
        relief_runtime::notifications::Tracked {
            kind: kind.to_owned(),
            subject: file.subject(),
            division: file.division.clone(),
            summary,
            recipients,
        },
    )
    .await?;
    Ok(())
}

/// Fires the notice deadline: no notice published and recorded by the due time for a file
/// still open.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoticeOverdue;

#[tonic::async_trait]
impl DeadlineHandler for NoticeOverdue {
    async fn fire(
        &self,
        context: &ServiceContext,
        tx: &mut Tx,
        deadline: &Deadline,
        now: DateTime<Utc>,
    ) -> Result<(), ApiError> {
        let Some(file) = open_file(tx, deadline).await? else {
            return Ok(());
        };
        if crate::notices::first_notice_met(Conn::Tx(tx), &file.id, deadline.due_at).await? {
            return Ok(());
        }
        append(
            tx,
            now,
            &pb::NoticeOverdue {
                file_id: file.id.clone(),
                case_id: file.case_id.clone(),
                division: file.division.clone(),
                due_at: Some(timestamp(deadline.due_at)),
                refresh: false,
            },
        )
        .await?;
        let summary = format!(
            "identity file {}: no family-search notice was published within {} hours of admission",
            file.id, context.config.rules.notice_hours
        );
        notify(context, tx, &file, NOTICE_OVERDUE, summary, now).await
    }
}

/// Fires the filing deadline: no verification request filed by the due time for a file still
/// open.
#[derive(Debug, Clone, Copy, Default)]
pub struct FilingOverdue;

#[tonic::async_trait]
impl DeadlineHandler for FilingOverdue {
    async fn fire(
        &self,
        context: &ServiceContext,
        tx: &mut Tx,
        deadline: &Deadline,
        now: DateTime<Utc>,
    ) -> Result<(), ApiError> {
        let Some(file) = open_file(tx, deadline).await? else {
            return Ok(());
        };
        if store::request_filed_by(Conn::Tx(tx), &file.id, deadline.due_at).await? {
            return Ok(());
        }
        append(
            tx,
            now,
            &pb::VerificationFilingOverdue {
                file_id: file.id.clone(),
                case_id: file.case_id.clone(),
                division: file.division.clone(),
                due_at: Some(timestamp(deadline.due_at)),
            },
        )
        .await?;
        let summary = format!(
            "identity file {}: no police verification request was filed within {} working days \
             of admission",
            file.id, context.config.rules.verification_filing_working_days
        );
        notify(context, tx, &file, FILING_OVERDUE, summary, now).await
    }
}
