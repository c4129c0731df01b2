//! Who sees what: a caller's division covers its own division and, for a prefecture-level
//! (xxxx00) or province-level (xx0000) division, every division inside it. Objects outside the
//! caller's scope answer NOT_FOUND, exactly as if they did not exist.

use crate::{ApiError, Caller, CallerKind};

/// Whether a unit of `caller_division` covers `division`.
pub fn covers(caller_division: &str, division: &str) -> bool {
    if caller_division == division {
        return true;
    }
    let (Some(caller_prefix), true) = (level_prefix(caller_division), division.len() == 6) else {
        return false;
    };
    division.starts_with(caller_prefix)
}

/// The prefix a prefecture- or province-level code shares with the divisions inside it.
fn level_prefix(division: &str) -> Option<&str> {
    if division.len() != 6 {
        return None;
    }
    if division.ends_with("0000") {
        Some(&division[..2])
    } else if division.ends_with("00") {
        Some(&division[..4])
    } else {
        None
    }
}

/// Whether `caller` may see a case admitted by `station` in `division`: the admitting station;
/// civil affairs and governments whose division covers the case's; services. Anyone else,
/// another station included, gets NOT_FOUND as if it did not exist. The one rule of case
/// visibility, for every RPC that touches a case.
pub fn sees_case(caller: &Caller, station: &str, division: &str) -> bool {
    match caller.kind {
        CallerKind::Station => caller.unit == station,
        CallerKind::CivilAffairs | CallerKind::Government => covers(&caller.division, division),
        CallerKind::Service => true,
        _ => false,
    }
}

/// The division filter of a List call: the requested one if in scope (else NOT_FOUND-like
/// emptiness is wrong: a filter outside scope is refused as INVALID_ARGUMENT naming the field),
/// or the caller's own division for a scoped caller.
pub fn list_division(caller: &Caller, requested: &str) -> Result<Option<String>, ApiError> {
    if !requested.is_empty() {
        if caller.kind != CallerKind::Service && !covers(&caller.division, requested) {
            return Err(ApiError::invalid_field(
                "division",
                "is outside the divisions this caller may see",
            ));
        }
        return Ok(Some(requested.to_owned()));
    }
    Ok(None)
}

/// A SQL `LIKE` pattern matching every division `caller_division` covers: itself for a county,
/// `xxxx%` for a prefecture, `xx%` for a province.
pub fn like_pattern(caller_division: &str) -> String {
    match level_prefix(caller_division) {
        Some(prefix) => format!("{prefix}%"),
        None => caller_division.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_city_covers_its_counties_a_county_only_itself() {
        assert!(covers("211100", "211103"));
        assert!(covers("211100", "211121"));
        assert!(!covers("211100", "210102"));
        assert!(covers("210000", "211103"));
        assert!(covers("211103", "211103"));
        assert!(!covers("211103", "211102"));
        assert!(!covers("211103", "211100"));
    }

    #[test]
    fn like_patterns_follow_the_level() {
        assert_eq!(like_pattern("211103"), "211103");
        assert_eq!(like_pattern("211100"), "2111%");
        assert_eq!(like_pattern("210000"), "21%");
    }
}
