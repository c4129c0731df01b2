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

/// A keyset start later than any stored instant, which also sorts last as SQLite text.
pub fn end_of_time() -> chrono::DateTime<chrono::Utc> {
    chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 9999, 12, 31, 23, 59, 59)
        .single()
        .unwrap_or(chrono::DateTime::<chrono::Utc>::MAX_UTC)
}

/// The keyset position of a list sorted by (instant, id) descending: the token's position, or
/// [`end_of_time`] and an empty id for the first page.
pub fn decode_time_token(token: &str) -> Result<(chrono::DateTime<chrono::Utc>, String), ApiError> {
    match decode_token(token, 2)? {
        None => Ok((end_of_time(), String::new())),
        Some(parts) => {
            let at = chrono::DateTime::parse_from_rfc3339(&parts[0])
                .map_err(|_| {
                    ApiError::invalid_field("page_token", "is not a token this list returned")
                })?
                .with_timezone(&chrono::Utc);
            Ok((at, parts[1].clone()))
        }
    }
}

/// Cuts `rows` (fetched with `limit + 1`) to `limit` and returns the next page's token, empty
/// on the last page. `key` gives a row's (instant, id).
pub fn next_time_token<T>(
    rows: &mut Vec<T>,
    limit: i64,
    key: impl Fn(&T) -> (chrono::DateTime<chrono::Utc>, &str),
) -> String {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    if rows.len() <= limit {
        return String::new();
    }
    rows.truncate(limit);
    rows.last()
        .map(|last| {
            let (at, id) = key(last);
            encode_token(&[&at.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true), id])
        })
        .unwrap_or_default()
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
    fn time_tokens_page_through_rows() {
        let at = |s: i64| chrono::DateTime::from_timestamp(s, 0).unwrap();
        let mut rows = vec![
            (at(3), "c".to_owned()),
            (at(2), "b".to_owned()),
            (at(1), "a".to_owned()),
        ];
        let token = next_time_token(&mut rows, 2, |row| (row.0, row.1.as_str()));
        assert_eq!(rows.len(), 2);
        assert_eq!(decode_time_token(&token).unwrap(), (at(2), "b".to_owned()));
        let mut last = vec![(at(1), "a".to_owned())];
        assert!(next_time_token(&mut last, 2, |row| (row.0, row.1.as_str())).is_empty());
        assert_eq!(decode_time_token("").unwrap().0, end_of_time());
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
