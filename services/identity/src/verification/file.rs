//! `FileVerificationRequest`: the station holding the file asks a police unit to verify the
//! person by DNA and/or face. On time when filed by the file's request due time (7 working days
//! from the admission that began the stay); deemed received if not acknowledged within 3
//! working days.

use chrono::SubsecRound;
use relief_proto::identity::v1 as pb;
use relief_runtime::db::{Conn, Tx};
use relief_runtime::events::append;
use relief_runtime::time::timestamp;
use relief_runtime::validate::Violations;
use relief_runtime::{ApiError, ServiceContext, caller, idempotency};
use tonic::Request;

use super::convert::{encode_methods, join_warnings};
use super::deadlines::schedule_deemed_receipt;
use super::response_of;
use super::store::{self, RequestRow, status};
use crate::files::store as files;
use crate::{stranded, units};

/// The longest note accepted, in characters.
const MAX_NOTE: usize = 1000;

/// The `FAILED_PRECONDITION` reason of a method an unanswered request already asks for.
const METHOD_ALREADY_REQUESTED: &str = "METHOD_ALREADY_REQUESTED";

/// The requested methods: at least one, none twice, none unspecified or unknown (violations
/// on `methods`).
pub fn methods(check: &mut Violations, given: &[i32]) -> Vec<pb::VerificationMethod> {
    let mut methods = Vec::with_capacity(given.len());
    if given.is_empty() {
        check.add("methods", "at least one method is required");
    }
    for number in given {
        match pb::VerificationMethod::try_from(*number) {
            Ok(pb::VerificationMethod::Unspecified) | Err(_) => {
                check.add("methods", "holds a value that is not DNA or FACE");
            }
            Ok(method) if methods.contains(&method) => {
                check.add("methods", "names a method twice");
            }
            Ok(method) => methods.push(method),
        }
    }
    methods
}

/// `FileVerificationRequest`.
pub async fn file(
    context: &ServiceContext,
    request: Request<pb::FileVerificationRequestRequest>,
) -> Result<pb::FileVerificationRequestResponse, ApiError> {
    let caller = caller(&request)?.clone();
    let request = request.into_inner();
    let mut check = Violations::new();
    let file_id = check.required_id("file_id", &request.file_id);
    let methods = methods(&mut check, &request.methods);
    let police_unit = request.police_unit.trim().to_owned();
    if units::police_unit(context, &police_unit).is_none() {
        check.add("police_unit", "is not a police unit of units.toml");
    }
    let note = check.optional_text("note", &request.note, MAX_NOTE);
    check.finish()?;
    idempotency::run(
        context,
        &caller,
        "/relief.identity.v1.IdentityQueryService/FileVerificationRequest",
        &request.request_id,
        &request,
        async |tx| {
            // Locked before it is read: a confirmation (or a closing) committing meanwhile is
            // seen, so no request is filed on a file no longer open. Only the file: filing
            // cancels none of its deadlines.
            files::lock(tx, &file_id).await?;
            let file = files::fetch(Conn::Tx(tx), &file_id)
                .await?
                .filter(|file| file.station == caller.unit)
                .ok_or(ApiError::NotFound {
                    what: "identity file",
                })?;
            if !file.is_open() {
                return Err(crate::files::not_open());
            }
            // Read after the lock, as notices do: the filing deadline's handler takes the same
            // lock, so a filing it saw as missing is stamped after its due time. Stored to the
            // microsecond (PostgreSQL): events say what the rows say.
            let now = context.clock.now().trunc_subsecs(6);
            refuse_methods_asked(tx, &file.id, &methods).await?;
            let acknowledge_by = relief_legal::working_days(
                now,
                context.config.rules.verification_acknowledge_working_days,
                &context.holidays,
            );
            let row = RequestRow {
                id: uuid::Uuid::now_v7().to_string(),
                file_id: file.id.clone(),
                case_id: file.case_id.clone(),
                station: caller.unit.clone(),
                division: file.division.clone(),
                methods: encode_methods(&methods),
                police_unit: police_unit.clone(),
                note: note.clone(),
                filed_at: now,
                filed_on_time: now < file.request_due_at,
                acknowledge_by: acknowledge_by.due,
                received_at: None,
                receipt: 0,
                acknowledged_at: None,
                due_at: None,
                status: status::AWAITING_RECEIPT,
                answered_at: None,
                answered_on_time: None,
                warnings: join_warnings(
                    "",
                    acknowledge_by.warnings.iter().map(ToString::to_string),
                ),
            };
            store::insert(tx, &row).await?;
            schedule_deemed_receipt(tx, now, &row).await?;
            append(tx, now, &requested(&row, &methods)).await?;
            if methods.contains(&pb::VerificationMethod::Dna)
                && store::count_asking(tx, &file.id, pb::VerificationMethod::Dna as i32).await? == 1
            {
                stranded::step_done(context, tx, &file.id, pb::StrandedStep::DnaRequested, now)
                    .await?;
            }
            Ok(pb::FileVerificationRequestResponse {
                verification: Some(response_of(tx, &row.id, now).await?),
            })
        },
    )
    .await
}

/// METHOD_ALREADY_REQUESTED when a request of file `file_id` awaiting receipt or received
/// already asks for one of `methods`.
async fn refuse_methods_asked(
    tx: &mut Tx,
    file_id: &str,
    methods: &[pb::VerificationMethod],
) -> Result<(), ApiError> {
    for open in store::open_of_file(tx, file_id).await? {
        let asked = super::convert::decode_methods(&open.methods);
        if methods
            .iter()
            .any(|method| asked.contains(&(*method as i32)))
        {
            return Err(ApiError::failed_precondition(
                METHOD_ALREADY_REQUESTED,
                format!(
                    "unanswered verification request {} of this file already asks for a method",
                    open.id
                ),
            ));
        }
    }
    Ok(())
}

/// The VerificationRequested event of a new request.
fn requested(row: &RequestRow, methods: &[pb::VerificationMethod]) -> pb::VerificationRequested {
    let mut numbers: Vec<i32> = methods.iter().map(|method| *method as i32).collect();
    numbers.sort_unstable();
    pb::VerificationRequested {
        verification_id: row.id.clone(),
        file_id: row.file_id.clone(),
        case_id: row.case_id.clone(),
        division: row.division.clone(),
        station: row.station.clone(),
        police_unit: row.police_unit.clone(),
        methods: numbers,
        filed_at: Some(timestamp(row.filed_at)),
        filed_on_time: row.filed_on_time,
        acknowledge_by: Some(timestamp(row.acknowledge_by)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_need_one_or_two_distinct_known_values() {
        use pb::VerificationMethod::{Dna, Face};
        let mut check = Violations::new();
        assert_eq!(methods(&mut check, &[2, 1]), [Face, Dna]);
        assert!(check.finish().is_ok());
        for bad in [&[][..], &[1, 1], &[0], &[7], &[1, 0]] {
            let mut check = Violations::new();
            methods(&mut check, bad);
            let error = check.finish().unwrap_err();
            assert!(
                format!("{error:?}").contains("methods"),
                "{bad:?}: {error:?}"
            );
        }
    }
}
