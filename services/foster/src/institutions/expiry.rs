//! The document deadlines of an institution: for each expiring document, a warning at 24:00 local
//! of the day [`WARNING_DAYS`] days before its last valid day, and the expiry at 24:00 local of
//! that day. Each fires an event and a notification to the institution and the county civil
//! affairs. An expired document is not a status: reads compute `documents_expired`, and
//! [`super::accepts_placements`] refuses new placements. A document registered or renewed less
//! than [`WARNING_DAYS`] days before its expiry is warned about at once (the warning is due).

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use relief_proto::foster::v1 as pb;
use relief_runtime::db::{Conn, Tx};
use relief_runtime::deadlines::{self, Deadline, DeadlineHandler, DeadlineHandlers};
use relief_runtime::events::append;
use relief_runtime::time::timestamp;
use relief_runtime::{ApiError, ServiceContext};

use super::store::{self, InstitutionRow};
use super::{end_of, qualify, subject, warning_at};
use crate::units;

/// How many days before a document's expiry the warning goes out (DOMAIN.md, "Deadlines and
/// escalations": default 30 days [product]).
pub const WARNING_DAYS: u64 = 30;

/// The deadline kind of the warning ahead of a document's expiry.
pub const WARNING_DEADLINE: &str = "foster.document_warning";

/// The deadline kind of a document's expiry.
pub const EXPIRY_DEADLINE: &str = "foster.document_expiry";

/// The notification kind of the warning.
pub const EXPIRING_NOTIFICATION: &str = "INSTITUTION_DOCUMENT_EXPIRING";

/// The notification kind of the expiry.
pub const EXPIRED_NOTIFICATION: &str = "INSTITUTION_DOCUMENT_EXPIRED";

/// The deadline handlers of institutions, by kind.
pub fn deadline_handlers() -> DeadlineHandlers {
    let mut handlers = DeadlineHandlers::new();
    handlers.insert(
        WARNING_DEADLINE,
        Arc::new(DocumentDeadline { expired: false }) as _,
    );
    handlers.insert(
        EXPIRY_DEADLINE,
        Arc::new(DocumentDeadline { expired: true }) as _,
    );
    handlers
}

fn deadline_id(kind: &str, id: &str, document: pb::DocumentKind, expires_on: NaiveDate) -> String {
    format!("{kind}:{id}:{}:{expires_on}", document.as_str_name())
}

fn payload(id: &str, document: pb::DocumentKind, expires_on: NaiveDate) -> Vec<u8> {
    format!("{id}|{}|{expires_on}", document as i32).into_bytes()
}

/// Schedules the warning and the expiry of `document` of institution `id`, valid through
/// `expires_on`; scheduling twice is harmless.
pub async fn schedule(
    tx: &mut Tx,
    now: DateTime<Utc>,
    id: &str,
    document: pb::DocumentKind,
    expires_on: NaiveDate,
) -> Result<(), ApiError> {
    for (kind, due_at) in [
        (WARNING_DEADLINE, warning_at(expires_on)),
        (EXPIRY_DEADLINE, end_of(expires_on)),
    ] {
        deadlines::schedule(
            tx,
            now,
            &deadline_id(kind, id, document, expires_on),
            kind,
            &subject(id),
            due_at,
            payload(id, document, expires_on),
        )
        .await?;
    }
    Ok(())
}

/// Cancels the pending warning and expiry of `document` of institution `id` valid through
/// `expires_on` (it was renewed).
pub async fn cancel(
    tx: &mut Tx,
    now: DateTime<Utc>,
    id: &str,
    document: pb::DocumentKind,
    expires_on: NaiveDate,
) -> Result<(), ApiError> {
    for kind in [WARNING_DEADLINE, EXPIRY_DEADLINE] {
        deadlines::cancel(tx, now, &deadline_id(kind, id, document, expires_on)).await?;
    }
    Ok(())
}

/// Fires the warning (`expired: false`) or the expiry of one document: if the document still
/// expires on the day the deadline was scheduled for (not renewed since), the event and the
/// notification of the institution and the county civil affairs.
#[derive(Debug, Clone, Copy)]
struct DocumentDeadline {
    expired: bool,
}

#[tonic::async_trait]
impl DeadlineHandler for DocumentDeadline {
    async fn fire(
        &self,
        context: &ServiceContext,
        tx: &mut Tx,
        deadline: &Deadline,
        now: DateTime<Utc>,
    ) -> Result<(), ApiError> {
        let text = String::from_utf8_lossy(&deadline.payload).into_owned();
        let bad = || ApiError::internal(format!("bad document deadline payload {text}"));
        let mut parts = text.split('|');
        let (Some(id), Some(document), Some(expires_on)) =
            (parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        let document = document
            .parse::<i32>()
            .ok()
            .and_then(|number| pb::DocumentKind::try_from(number).ok())
            .ok_or_else(bad)?;
        let Some(row) = store::fetch(Conn::Tx(tx), id).await? else {
            return Err(ApiError::internal(format!(
                "document deadline for a missing institution {id}"
            )));
        };
        let qualification = row.qualification().map_err(ApiError::internal)?;
        let current = qualify::documents(&qualification)
            .into_iter()
            .find(|(kind, _, _)| *kind == document)
            .and_then(|(_, _, held)| held.map(|held| held.expires_on.clone()));
        if current.as_deref() != Some(expires_on) {
            // Renewed since: the renewal scheduled the new date's deadlines.
            return Ok(());
        }
        let at = Some(timestamp(deadline.due_at));
        if self.expired {
            append(
                tx,
                now,
                &pb::InstitutionDocumentExpired {
                    institution_id: row.id.clone(),
                    division: row.division.clone(),
                    document: document as i32,
                    expires_on: expires_on.to_owned(),
                    expired_at: at,
                },
            )
            .await?;
        } else {
            append(
                tx,
                now,
                &pb::InstitutionDocumentExpiring {
                    institution_id: row.id.clone(),
                    division: row.division.clone(),
                    document: document as i32,
                    expires_on: expires_on.to_owned(),
                    warned_at: at,
                },
            )
            .await?;
        }
        notify(context, tx, &row, document, expires_on, self.expired, now).await
    }
}

async fn notify(
    context: &ServiceContext,
    tx: &mut Tx,
    row: &InstitutionRow,
    document: pb::DocumentKind,
    expires_on: &str,
    expired: bool,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let mut recipients: Vec<_> = units::institution(&row.division, &row.id)
        .into_iter()
        .collect();
    recipients.extend(units::civil_affairs_for(context, &row.division));
    let (kind, summary) = if expired {
        (
            EXPIRED_NOTIFICATION,
            format!(
                "institution {}: its {} expired at the end of {expires_on}; no new placements \
                 until it is renewed",
                row.id,
                document.as_str_name()
            ),
        )
    } else {
        (
            EXPIRING_NOTIFICATION,
            format!(
                "institution {}: its {} expires at the end of {expires_on} (in {WARNING_DAYS} \
                 days); renew it to keep taking placements",
                row.id,
                document.as_str_name()
            ),
        )
    };
    relief_runtime::notifications::tracked(
        context,
        tx,
        now,
        relief_runtime::notifications::Tracked {
            kind: kind.to_owned(),
            subject: subject(&row.id),
            division: row.division.clone(),
            summary,
            recipients,
        },
    )
    .await
}
