//! The purpose of a read: every RPC that returns personal data requires the caller to say why,
//! in the `x-relief-purpose` request header, and the audit log records it.

use crate::error::ApiError;

/// The request header carrying the purpose of a read of personal data.
pub const PURPOSE_HEADER: &str = "x-relief-purpose";

/// The longest purpose accepted, in characters.
pub const MAX_PURPOSE_CHARS: usize = 200;

/// The purpose the caller gave, trimmed. Missing, blank, longer than [`MAX_PURPOSE_CHARS`], not
/// UTF-8, or with control characters → INVALID_ARGUMENT with a field violation on
/// `x-relief-purpose`. Call it before reading anything, so a refused call reads and records
/// nothing.
///
/// ASCII is the portable choice; UTF-8 bytes (a purpose in Chinese) are accepted too, since
/// HTTP/2 carries them, though some gRPC clients refuse to send them.
pub fn purpose<T>(request: &tonic::Request<T>) -> Result<String, ApiError> {
    let invalid = |description: &str| ApiError::invalid_field(PURPOSE_HEADER, description);
    let value = request.metadata().get(PURPOSE_HEADER).ok_or_else(|| {
        invalid("required: say why personal data is read (it is recorded in the audit log)")
    })?;
    let text = std::str::from_utf8(value.as_encoded_bytes())
        .map_err(|_| invalid("must be UTF-8 text"))?
        .trim();
    if text.is_empty() {
        return Err(invalid("must not be blank"));
    }
    if text.chars().count() > MAX_PURPOSE_CHARS {
        return Err(invalid(&format!(
            "must be at most {MAX_PURPOSE_CHARS} characters"
        )));
    }
    if text.chars().any(char::is_control) {
        return Err(invalid("must not contain control characters"));
    }
    Ok(text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use tonic::metadata::MetadataValue;

    fn with(value: Option<&str>) -> tonic::Request<()> {
        let mut request = tonic::Request::new(());
        if let Some(value) = value {
            request
                .metadata_mut()
                .insert(PURPOSE_HEADER, MetadataValue::try_from(value).unwrap());
        }
        request
    }

    fn violation_field(error: ApiError) -> String {
        match error {
            ApiError::InvalidArgument { violations, .. } => violations[0].field.clone(),
            other => panic!("expected INVALID_ARGUMENT, got {other:?}"),
        }
    }

    #[test]
    fn a_purpose_is_trimmed_and_returned() {
        assert_eq!(
            purpose(&with(Some("  family search verification "))).unwrap(),
            "family search verification"
        );
        let longest = "a".repeat(MAX_PURPOSE_CHARS);
        assert_eq!(purpose(&with(Some(&longest))).unwrap(), longest);
    }

    #[test]
    fn missing_blank_or_long_is_invalid_naming_the_header() {
        let too_long = "a".repeat(MAX_PURPOSE_CHARS + 1);
        for value in [None, Some(""), Some("   "), Some(too_long.as_str())] {
            let error = purpose(&with(value)).unwrap_err();
            assert_eq!(violation_field(error), PURPOSE_HEADER, "{value:?}");
        }
    }

    #[test]
    fn utf8_bytes_are_accepted() {
        let mut request = tonic::Request::new(());
        let value = MetadataValue::try_from("家属寻亲核实".as_bytes()).unwrap();
        request.metadata_mut().insert(PURPOSE_HEADER, value);
        assert_eq!(purpose(&request).unwrap(), "家属寻亲核实");
    }
}
