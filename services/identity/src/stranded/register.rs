//! Entering the register: the `identity.stranded` deadline of a file, at the instant its stay has
//! lasted over `rules.stranded_months` months (a status duration: 24:00 local of the
//! corresponding day, no rest-day roll).

use chrono::{DateTime, Utc};
use relief_proto::identity::v1 as pb;
use relief_runtime::db::{Conn, Tx};
use relief_runtime::deadlines::{self, Deadline, DeadlineHandler};
use relief_runtime::events::append;
use relief_runtime::time::timestamp;
use relief_runtime::{ApiError, ServiceContext, with_tx};

use super::steps;
use crate::files::store::{self, FileRow};
use crate::units;

/// The deadline kind of entering the stranded register.
pub const STRANDED_DEADLINE: &str = "identity.stranded";

/// The notification kind the station and the county civil affairs receive.
pub const STRANDED_NOTIFICATION: &str = "PERSON_STRANDED";

/// The instant the person of `file` is stranded if still unidentified.
pub fn stranded_at(context: &ServiceContext, file: &FileRow) -> DateTime<Utc> {
    relief_legal::status_months(file.stay_began_at, context.config.rules.stranded_months)
}

/// Schedules the entry of `file` into the register; scheduling twice is harmless.
pub async fn schedule(
    context: &ServiceContext,
    tx: &mut Tx,
    file: &FileRow,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    deadlines::schedule(
        tx,
        now,
        &format!("{STRANDED_DEADLINE}:{}", file.id),
        STRANDED_DEADLINE,
        &file.subject(),
        stranded_at(context, file),
        file.id.clone().into_bytes(),
    )
    .await?;
    Ok(())
}

/// Fires when a stay has lasted over the stranded months: an OPEN file gets `stranded_since`
/// (the legal instant, however late the sweeper ran), `PersonStranded` with the missing steps,
/// and a `PERSON_STRANDED` notification to the station holding the case and the county civil
/// affairs.
#[derive(Debug, Clone, Copy, Default)]
pub struct EnterRegister;

#[tonic::async_trait]
impl DeadlineHandler for EnterRegister {
    async fn fire(
        &self,
        context: &ServiceContext,
        tx: &mut Tx,
        deadline: &Deadline,
        now: DateTime<Utc>,
    ) -> Result<(), ApiError> {
        let file_id = String::from_utf8_lossy(&deadline.payload).into_owned();
        // Locked before it is read: a transfer continuing the file meanwhile is seen (the event
        // and the notification name the station holding the case now).
        store::lock(tx, &file_id).await?;
        let Some(file) = store::fetch(Conn::Tx(tx), &file_id).await? else {
            return Err(ApiError::internal(format!(
                "stranded deadline for a missing file {file_id}"
            )));
        };
        if !file.is_open() || file.stranded_since.is_some() {
            return Ok(());
        }
        let since = deadline.due_at;
        set_stranded_since(tx, &file.id, since).await?;
        // What was owed at the legal instant, however late this runs; a step done since (while
        // the sweeper was behind) is completed right after the entry, as it would have been.
        let missing = steps::of_file_before(Conn::Tx(tx), &file.id, since)
            .await?
            .missing();
        let done_now = steps::of_file(Conn::Tx(tx), &file.id).await?.done();
        append(
            tx,
            now,
            &pb::PersonStranded {
                file_id: file.id.clone(),
                case_id: file.case_id.clone(),
                division: file.division.clone(),
                stranded_since: Some(timestamp(since)),
                missing: missing.iter().map(|step| *step as i32).collect(),
            },
        )
        .await?;
        for step in missing.iter().filter(|step| done_now.contains(step)) {
            append(
                tx,
                now,
                &pb::StrandedStepCompleted {
                    file_id: file.id.clone(),
                    division: file.division.clone(),
                    step: *step as i32,
                    completed_at: Some(timestamp(now)),
                },
            )
            .await?;
        }
        notify(context, tx, &file, &missing, now).await
    }
}

async fn set_stranded_since(
    tx: &mut Tx,
    file_id: &str,
    since: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    with_tx!(tx, |conn| sqlx::query(
        "UPDATE identity_files SET stranded_since = $2 WHERE id = $1"
    )
    .bind(file_id)
    .bind(since)
    .execute(conn)
    .await
    .map(|_| ()))
}

/// The station holding the case and the county civil affairs learn the person is stranded and
/// which steps are owed.
async fn notify(
    context: &ServiceContext,
    tx: &mut Tx,
    file: &FileRow,
    missing: &[pb::StrandedStep],
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let station = units::station(&file.division, &file.station)
        .ok_or_else(|| ApiError::internal(format!("file {} names an invalid station", file.id)))?;
    let mut recipients = vec![station];
    recipients.extend(units::civil_affairs_for(context, &file.division));
    let owed = if missing.is_empty() {
        "none".to_owned()
    } else {
        missing
            .iter()
            .map(|step| step.as_str_name())
            .collect::<Vec<_>>()
            .join(", ")
    };
    relief_runtime::notifications::tracked(
        context,
        tx,
        now,
        relief_runtime::notifications::Tracked {
            kind: STRANDED_NOTIFICATION.to_owned(),
            subject: file.subject(),
            division: file.division.clone(),
            summary: format!(
                "identity file {}: still unidentified {} months after the stay began, the \
                 person enters the stranded register; missing steps: {owed}",
                file.id, context.config.rules.stranded_months
            ),
            recipients,
        },
    )
    .await?;
    Ok(())
}
