//! `GetIdentityFile`: one file by its id or by any case of its stay, in the caller's scope; the
//! identity only with `x-relief-purpose`, and then every field returned is audited.

use relief_proto::identity::v1 as pb;
use relief_runtime::db::Conn;
use relief_runtime::personal_data::{self, PURPOSE_HEADER};
use relief_runtime::validate::Violations;
use relief_runtime::{ApiError, ServiceContext, caller};
use tonic::Request;

use super::convert::{self, Related};
use super::store::{self, FileRow};
use crate::identity::{FILE_IDENTITY_COLUMN, IdentityRecord};

/// `GetIdentityFile`: exactly one of `file_id` and `case_id`; NOT_FOUND outside the caller's
/// scope.
pub async fn get(
    context: &ServiceContext,
    request: Request<pb::GetIdentityFileRequest>,
) -> Result<pb::GetIdentityFileResponse, ApiError> {
    let caller = caller(&request)?.clone();
    // Checked before anything is read: a call with a bad purpose reads and records nothing.
    let purpose_opt = if request.metadata().contains_key(PURPOSE_HEADER) {
        Some(personal_data::purpose(&request)?)
    } else {
        None
    };
    let which = which_file(request.get_ref())?;
    let conn = Conn::Db(&context.db);
    let row = match &which {
        Which::File(id) => store::fetch(conn, id).await?,
        Which::Case(id) => store::fetch_by_case(conn, id).await?,
    }
    .filter(|row| super::visible(&caller, row))
    .ok_or(ApiError::NotFound {
        what: "identity file",
    })?;
    let mut file = convert::to_proto(&row, related(Conn::Db(&context.db), &row).await?);
    match (&row.identity, purpose_opt) {
        (None, _) => {}
        (Some(_), None) => file.identity_omitted = true,
        (Some(ciphertext), Some(purpose)) => {
            let keys = personal_data::require(context.personal_data.as_deref())?;
            let identity =
                IdentityRecord::decrypt(keys, &FILE_IDENTITY_COLUMN, &row.id, ciphertext)?;
            let fields = identity.returned_fields("identity");
            if !fields.is_empty() {
                let fields: Vec<&str> = fields.iter().map(String::as_str).collect();
                // Committed before the response is sent.
                personal_data::record_read(
                    &context.db,
                    &context.clock,
                    &caller,
                    &row.subject(),
                    &fields,
                    &purpose,
                )
                .await?;
            }
            file.identity = Some(identity.to_proto());
        }
    }
    Ok(pb::GetIdentityFileResponse { file: Some(file) })
}

/// Which file a request names.
enum Which {
    File(String),
    Case(String),
}

/// Exactly one of `file_id` and `case_id`.
fn which_file(request: &pb::GetIdentityFileRequest) -> Result<Which, ApiError> {
    let mut check = Violations::new();
    let (file_id, case_id) = (request.file_id.trim(), request.case_id.trim());
    let which = match (file_id.is_empty(), case_id.is_empty()) {
        (false, true) => Which::File(check.required_id("file_id", file_id)),
        (true, false) => Which::Case(check.required_id("case_id", case_id)),
        (true, true) => {
            check.add("file_id", "give the file id or a case id");
            Which::File(String::new())
        }
        (false, false) => {
            check.add("case_id", "must be empty when file_id is given");
            Which::File(String::new())
        }
    };
    check.finish()?;
    Ok(which)
}

/// The cases, notices and verification requests of file `row`, and where the person of its
/// current case is now (foster's feed).
pub async fn related(mut conn: Conn<'_>, row: &FileRow) -> Result<Related, ApiError> {
    let case_ids = store::case_ids(store::reborrow(&mut conn), &row.id).await?;
    let verification_ids = store::verification_ids(store::reborrow(&mut conn), &row.id).await?;
    let foster_stay = crate::consumer::foster::current(store::reborrow(&mut conn), &row.case_id)
        .await?
        .map(|placement| placement.to_proto());
    let notices = crate::notices::for_file(conn, &row.id).await?;
    Ok(Related {
        case_ids,
        notices,
        verification_ids,
        foster_stay,
    })
}
