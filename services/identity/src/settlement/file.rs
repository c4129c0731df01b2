//! `FileSettlementApplication`: the station holding a stranded person's file files one
//! application (一人一函) to civil affairs and finance; each addressee is notified.

use chrono::{DateTime, Utc};
use relief_proto::identity::v1 as pb;
use relief_runtime::db::{Conn, Tx};
use relief_runtime::events::append;
use relief_runtime::time::timestamp;
use relief_runtime::validate::Violations;
use relief_runtime::{ApiError, Caller, ServiceContext, caller, idempotency};
use tonic::Request;

use super::store::{self, ApplicationRow, status};
use super::{SETTLEMENT_FILED_NOTIFICATION, addressees, subject};
use crate::files::store::{self as files, FileRow};

/// The `FAILED_PRECONDITION` reason of an application for a person not in the stranded
/// register (identified, gone, or not yet stranded).
const NOT_STRANDED: &str = "NOT_STRANDED";

/// The `FAILED_PRECONDITION` reason of a second live application for a person (一人一函).
const SETTLEMENT_ALREADY_FILED: &str = "SETTLEMENT_ALREADY_FILED";

/// The longest note accepted, in characters.
const MAX_NOTE: usize = 2000;

/// `FileSettlementApplication` (station holding the file).
pub async fn file(
    context: &ServiceContext,
    request: Request<pb::FileSettlementApplicationRequest>,
) -> Result<pb::FileSettlementApplicationResponse, ApiError> {
    let caller = caller(&request)?.clone();
    let request = request.into_inner();
    let now = context.clock.now();
    let mut check = Violations::new();
    let file_id = check.required_id("file_id", &request.file_id);
    let note = check.optional_text("note", &request.note, MAX_NOTE);
    check.finish()?;
    idempotency::run(
        context,
        &caller,
        "/relief.identity.v1.IdentityQueryService/FileSettlementApplication",
        &request.request_id,
        &request,
        async |tx| {
            // Locked before it is read: serialises with the file's confirmation, closing and
            // continuation by a transfer, and with a second filing, so the NOT_STRANDED check
            // and the application's case see the file as it is.
            files::lock(tx, &file_id).await?;
            let file = files::fetch(Conn::Tx(tx), &file_id)
                .await?
                .filter(|file| file.station == caller.unit)
                .ok_or(ApiError::NotFound {
                    what: "identity file",
                })?;
            let row = insert(context, tx, &caller, &file, &note, now).await?;
            Ok(pb::FileSettlementApplicationResponse {
                application: Some(row.to_proto()),
            })
        },
    )
    .await
}

/// Checks the rules, stores the application and writes its event and notifications.
async fn insert(
    context: &ServiceContext,
    tx: &mut Tx,
    caller: &Caller,
    file: &FileRow,
    note: &str,
    now: DateTime<Utc>,
) -> Result<ApplicationRow, ApiError> {
    if !file.is_open() || file.stranded_since.is_none() {
        return Err(ApiError::failed_precondition(
            NOT_STRANDED,
            "the person is not in the stranded register (identified, gone, or not yet stranded \
             3 months after the stay began)",
        ));
    }
    if store::live_for_file(tx, &file.id).await?.is_some() {
        return Err(already_filed());
    }
    let to = addressees::of(context, &file.division);
    let row = ApplicationRow {
        id: uuid::Uuid::now_v7().to_string(),
        file_id: file.id.clone(),
        case_id: file.case_id.clone(),
        station: caller.unit.clone(),
        division: file.division.clone(),
        addressed_to: to
            .iter()
            .map(|unit| unit.unit.as_str())
            .collect::<Vec<_>>()
            .join(","),
        filed_at: now,
        note: note.to_owned(),
        status: status::FILED,
        decided_at: None,
        decided_by: None,
        collective_household: None,
        state_support: None,
        central_care_institution: None,
        reason: None,
    };
    store::insert(tx, &row).await.map_err(|error| {
        // The partial unique index caught a concurrent filing the read above could not see.
        if store::is_unique_violation(&error) {
            already_filed()
        } else {
            error.into()
        }
    })?;
    append(
        tx,
        now,
        &pb::SettlementFiled {
            application_id: row.id.clone(),
            file_id: row.file_id.clone(),
            case_id: row.case_id.clone(),
            division: row.division.clone(),
            filed_at: Some(timestamp(now)),
        },
    )
    .await?;
    relief_runtime::notifications::tracked(
        context,
        tx,
        now,
        relief_runtime::notifications::Tracked {
            kind: SETTLEMENT_FILED_NOTIFICATION.to_owned(),
            subject: subject(&row.id),
            division: row.division.clone(),
            summary: format!(
                "settlement application {} filed by {} for the stranded person of identity \
                 file {}",
                row.id, row.station, row.file_id
            ),
            recipients: to,
        },
    )
    .await?;
    Ok(row)
}

fn already_filed() -> ApiError {
    ApiError::failed_precondition(
        SETTLEMENT_ALREADY_FILED,
        "an application for this person is already filed or approved (one per person; a new \
         one only after a rejection)",
    )
}
