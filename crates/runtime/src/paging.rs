//! List pagination in one place: page sizes with a default and a cap, and opaque page tokens
//! carrying a keyset position.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::error::ApiError;

/// A validated page size: 0 means `default`, larger than `max` is capped, negative is
/// INVALID_ARGUMENT on `page_size`.
pub fn page_size(requested: i32, default: i64, max: i64) -> Result<i64, ApiError> {
    match requested {
        n if n < 0 => Err(ApiError::invalid_field("page_size", "must not be negative")),
        0 => Ok(default),
        n => Ok(i64::from(n).min(max)),
    }
}

/// Encodes a keyset position (the sort key values of the last row served) as a token.
pub fn encode_token(parts: &[&str]) -> String {
    let joined = parts.join("\u{1f}");
    URL_SAFE_NO_PAD.encode(joined.as_bytes())
}

/// Decodes a token into `n` parts; an empty token is `None`; anything else malformed is
/// INVALID_ARGUMENT on `page_token`.
pub fn decode_token(token: &str, n: usize) -> Result<Option<Vec<String>>, ApiError> {
    if token.is_empty() {
        return Ok(None);
    }
    let invalid = || ApiError::invalid_field("page_token", "is not a token this list returned");
    let bytes = URL_SAFE_NO_PAD.decode(token).map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    let parts: Vec<String> = text.split('\u{1f}').map(str::to_owned).collect();
    if parts.len() != n {
        return Err(invalid());
    }
    Ok(Some(parts))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_sizes_default_cap_and_refuse_negatives() {
        assert_eq!(page_size(0, 50, 500).unwrap(), 50);
        assert_eq!(page_size(10, 50, 500).unwrap(), 10);
        assert_eq!(page_size(9999, 50, 500).unwrap(), 500);
        assert!(page_size(-1, 50, 500).is_err());
    }

    #[test]
    fn tokens_round_trip_and_reject_garbage() {
        let token = encode_token(&["2026-01-01T00:00:00Z", "abc"]);
        assert_eq!(
            decode_token(&token, 2).unwrap().unwrap(),
            ["2026-01-01T00:00:00Z", "abc"]
        );
        assert!(decode_token("", 2).unwrap().is_none());
        assert!(decode_token("!!!", 2).is_err());
        assert!(decode_token(&token, 3).is_err());
    }
}
