//! Origin divisions as reporting counts them: the current code of the county a person came from.
//!
//! Origins come from household registrations and ID numbers, which keep abolished codes: 211121
//! (大洼县, until 2015) is today 211104 (大洼区, since 2016). relief-legal's division table knows
//! every code with its names and years but not which code replaced which, so the successor is
//! read from it this way: an abolished county-level code is succeeded by the one current
//! county-level code of the same prefecture (same first four digits) whose name has the same stem
//! (the name without its 县 / 区 / 市 / 旗 suffix, so 大洼县 → 大洼区) and that did not start
//! before the old name ended. A current code, an unknown code, a code of another level, or an
//! abolished code with no such successor (or more than one) is kept as it is: the origin is still
//! shown, under its own code. (This belongs next to the table in relief-legal, as
//! `Division::successor`, if another service needs it.)

use std::collections::BTreeMap;
use std::sync::LazyLock;

use relief_legal::division::{Division, DivisionLevel, divisions};

/// The code reporting counts the origin `code` under (see the module documentation).
pub fn current(code: &str) -> String {
    SUCCESSORS.get(code).copied().unwrap_or(code).to_owned()
}

/// `Some(current code)` of an origin field, `None` when the field is empty (unknown).
pub fn current_opt(code: &str) -> Option<String> {
    let code = code.trim();
    (!code.is_empty()).then(|| current(code))
}

/// Every abolished county-level code with exactly one successor.
static SUCCESSORS: LazyLock<BTreeMap<&'static str, &'static str>> = LazyLock::new(|| {
    let mut current_by_stem: BTreeMap<(&str, &str), Vec<&'static Division>> = BTreeMap::new();
    for division in divisions().filter(|d| d.current && d.level == DivisionLevel::County) {
        if let Some(prefecture) = division.code.get(..4) {
            current_by_stem
                .entry((prefecture, stem(division.name)))
                .or_default()
                .push(division);
        }
    }
    divisions()
        .filter(|old| !old.current && old.level == DivisionLevel::County)
        .filter_map(|old| {
            let candidates = current_by_stem.get(&(old.code.get(..4)?, stem(old.name)))?;
            let after: Vec<_> = candidates
                .iter()
                .filter(|new| match (new.since, old.until) {
                    (Some(since), Some(until)) => since >= until,
                    _ => true,
                })
                .collect();
            match after.as_slice() {
                [successor] => Some((old.code, successor.code)),
                _ => None,
            }
        })
        .collect()
});

/// A county-level name without its level suffix (自治县, 自治旗, 县, 区, 市, 旗).
fn stem(name: &str) -> &str {
    ["自治县", "自治旗", "县", "区", "市", "旗"]
        .into_iter()
        .find_map(|suffix| name.strip_suffix(suffix))
        .filter(|stem| !stem.is_empty())
        .unwrap_or(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use relief_legal::division::division;

    fn known(code: &str) -> bool {
        division(code).is_some()
    }

    #[test]
    fn the_former_dawa_county_counts_as_dawa_district() {
        assert_eq!(current("211121"), "211104");
        assert_eq!(current_opt("211121").as_deref(), Some("211104"));
    }

    #[test]
    fn current_unknown_and_successorless_codes_are_kept() {
        // 211102 carried the name 盘山区 in 1984–1985 but is current (双台子区).
        assert_eq!(current("211102"), "211102");
        assert_eq!(current("211122"), "211122");
        // Not in the table.
        assert!(!known("211199"));
        assert_eq!(current("211199"), "211199");
        // 崇文区 was merged into 东城区 (another name): no successor by the table alone.
        assert!(known("110103"));
        assert_eq!(current("110103"), "110103");
        assert_eq!(current_opt(""), None);
    }

    #[test]
    fn stems_drop_only_the_level_suffix() {
        assert_eq!(stem("大洼县"), "大洼");
        assert_eq!(stem("大洼区"), "大洼");
        assert_eq!(stem("长阳土家族自治县"), "长阳土家族");
        assert_eq!(stem("区"), "区");
    }
}
