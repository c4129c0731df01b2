//! Small helpers every API test uses: callers, request ids, the purpose header, reading a
//! status's error details, and valid (or deliberately broken) ID numbers.

use relief_runtime::{Caller, CallerKind};
use tonic_types::StatusExt;

/// The caller of a unit: `kind`, `division`, `id` (panics on a malformed one: a test bug).
pub fn unit(kind: CallerKind, division: &str, id: &str) -> Caller {
    Caller::new(kind, division, id)
        .unwrap_or_else(|e| panic!("not a caller: {kind:?} {division} {id}: {e}"))
}

/// A fresh `request_id` (UUID v4).
pub fn request_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// `message` as a request carrying the `x-relief-purpose` header.
pub fn with_purpose<T>(message: T, purpose: &str) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    let value = purpose
        .parse()
        .unwrap_or_else(|e| panic!("not a header value: {purpose}: {e}"));
    request
        .metadata_mut()
        .insert(relief_runtime::personal_data::PURPOSE_HEADER, value);
    request
}

/// The `ErrorInfo.reason` of a status (empty without one).
pub fn reason(status: &tonic::Status) -> String {
    status
        .get_error_details()
        .error_info()
        .map(|info| info.reason.clone())
        .unwrap_or_default()
}

/// The fields of a status's `BadRequest` violations, in order.
pub fn fields(status: &tonic::Status) -> Vec<String> {
    status
        .get_error_details()
        .bad_request()
        .map(|bad| {
            bad.field_violations
                .iter()
                .map(|v| v.field.clone())
                .collect()
        })
        .unwrap_or_default()
}

/// A valid 18-character ID number: division, birth date `yyyymmdd`, 3-digit sequence, and the
/// ISO 7064 MOD 11-2 check character.
pub fn id_number(division: &str, birth: &str, sequence: &str) -> String {
    let body = format!("{division}{birth}{sequence}");
    let check = relief_legal::check_character(&body)
        .unwrap_or_else(|| panic!("not 17 digits: {division}{birth}{sequence}"));
    format!("{body}{check}")
}

/// `id` with a wrong check character.
pub fn with_bad_check(id: &str) -> String {
    let (body, check) = id.split_at(17);
    let wrong = if check == "0" { '1' } else { '0' };
    format!("{body}{wrong}")
}
